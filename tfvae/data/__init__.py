"""Data: loaders for arrays, files and named datasets of every kind (vectors, tables,
sequences, images, volumes), validated into tfvae's data contract, fitted preprocessing
statistics, and ``tf.data`` pipelines with resumable shuffling."""

from tfvae.data.arrays import DATA_KINDS, DataError, as_examples, as_images, binarize, kind_of_shape
from tfvae.data.loading import NAMED_DATASETS, DataSplits, load
from tfvae.data.named import load_digits, load_fashion_mnist, load_sklearn_table
from tfvae.data.pipeline import EpochCallback, make_dataset
from tfvae.data.preprocessing import FittedStats, fit_stats
from tfvae.data.readers import read_idx, read_image_folder, read_npy, read_npz
from tfvae.data.series import load_ucr, read_ts
from tfvae.data.shapes import DSprites, GroundTruthData, Shapes, load_shapes
from tfvae.data.tables import TableSchema, read_table, to_frame
from tfvae.data.volumes import (
    make_volumes,
    normalize_intensity,
    patches,
    read_nifti,
    read_nifti_folder,
    write_nifti,
)

__all__ = [
    "DATA_KINDS",
    "NAMED_DATASETS",
    "DataError",
    "DataSplits",
    "DSprites",
    "FittedStats",
    "GroundTruthData",
    "Shapes",
    "TableSchema",
    "load_shapes",
    "EpochCallback",
    "as_examples",
    "as_images",
    "binarize",
    "fit_stats",
    "kind_of_shape",
    "load",
    "load_digits",
    "load_fashion_mnist",
    "load_sklearn_table",
    "load_ucr",
    "make_dataset",
    "make_volumes",
    "normalize_intensity",
    "patches",
    "read_idx",
    "read_image_folder",
    "read_nifti",
    "read_nifti_folder",
    "read_npy",
    "read_npz",
    "read_table",
    "read_ts",
    "to_frame",
    "write_nifti",
]
