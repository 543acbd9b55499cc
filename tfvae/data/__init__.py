"""Data: loaders for arrays, files and named datasets, validated into tfvae's image contract,
and ``tf.data`` pipelines with resumable shuffling."""

from tfvae.data.arrays import DataError, as_images, binarize
from tfvae.data.loading import NAMED_DATASETS, DataSplits, load
from tfvae.data.named import load_digits, load_fashion_mnist
from tfvae.data.pipeline import EpochCallback, make_dataset
from tfvae.data.readers import read_idx, read_image_folder, read_npz
from tfvae.data.shapes import DSprites, GroundTruthData, Shapes, load_shapes

__all__ = [
    "NAMED_DATASETS",
    "DataError",
    "DataSplits",
    "DSprites",
    "GroundTruthData",
    "Shapes",
    "load_shapes",
    "EpochCallback",
    "as_images",
    "binarize",
    "load",
    "load_digits",
    "load_fashion_mnist",
    "make_dataset",
    "read_idx",
    "read_image_folder",
    "read_npz",
]
