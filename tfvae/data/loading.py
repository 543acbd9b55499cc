"""``tfvae.data.load``: one entry point from any source to train / validation / test pipelines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfvae import safety
from tfvae.data.arrays import DataError, as_examples, kind_of_shape
from tfvae.data.named import (
    FASHION_MNIST_CLASSES,
    load_digits,
    load_fashion_mnist,
    load_sklearn_table,
    load_tfds,
)
from tfvae.data.pipeline import EpochCallback, make_dataset
from tfvae.data.readers import read_idx, read_image_folder, read_npy, read_npz
from tfvae.data.series import load_ucr
from tfvae.data.shapes import SHAPE_NAMES, load_shapes
from tfvae.data.tables import TABLE_SUFFIXES, TableSchema, read_table, table_arrays
from tfvae.data.volumes import NIFTI_SUFFIXES, VOLUME_SHAPES, make_volumes, read_nifti_folder

NAMED_DATASETS = (
    "fashion_mnist",
    "digits",
    "shapes",
    "volumes",
    "breast_cancer",
    "wine",
    "ucr:NAME",
)


@dataclasses.dataclass
class DataSplits:
    """Arrays and ``tf.data`` pipelines of one dataset.

    Attributes:
        train, validation, test: batched datasets of ``[batch, *input_shape]`` float32
            (``validation``/``test`` may be ``None``); ``train`` reshuffles every epoch.
            With ``load(..., labels=True)`` they yield ``(x, y)`` pairs (conditional models).
        x_train, x_val, x_test: the validated arrays; ``y_*`` labels or ``None``.
        epoch: the variable keying the train shuffle; see :meth:`callbacks`.
        class_names: names of the label values, when known.
        kind: ``"vector"``, ``"sequence"``, ``"image"`` or ``"volume"``.
        schema: the :class:`~tfvae.data.TableSchema` of a table, else ``None``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    batch_size: int
    seed: int
    epoch: tf.Variable
    train: tf.data.Dataset
    validation: tf.data.Dataset | None
    test: tf.data.Dataset | None
    class_names: list[str] | None = None
    schema: TableSchema | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(28, 28, 1)``."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def kind(self) -> str:
        """The data kind: ``"vector"``, ``"sequence"``, ``"image"`` or ``"volume"``."""
        return kind_of_shape(self.input_shape)

    def model_fields(self) -> dict:
        """Config fields a model of this data needs (a table's ``categorical_sizes`` and
        ``table_schema``), for ``tfvae.build_model(..., **splits.model_fields())``."""
        if self.schema is None:
            return {}
        return {
            "categorical_sizes": self.schema.categorical_sizes,
            "table_schema": self.schema.to_dict(),
        }

    def callbacks(self) -> list[keras.callbacks.Callback]:
        """Callbacks that make the shuffle order exact on resume (pass them to ``fit``)."""
        return [EpochCallback(self.epoch)]

    def __repr__(self) -> str:
        sizes = {
            k: (None if v is None else len(v))
            for k, v in (("train", self.x_train), ("validation", self.x_val), ("test", self.x_test))
        }
        return f"DataSplits({self.name!r}, shape={self.input_shape}, sizes={sizes})"


def _from_npz(path: Path) -> tuple[tuple, tuple | None]:
    arrays = read_npz(path)
    if "x_train" in arrays:
        train = (arrays["x_train"], arrays.get("y_train"))
        test = (arrays["x_test"], arrays.get("y_test")) if "x_test" in arrays else None
        return train, test
    for key in ("x", "images", "data", "arr_0"):
        if key in arrays:
            return (arrays[key], arrays.get("y", arrays.get("labels"))), None
    raise DataError(
        f"{path}: found arrays {sorted(arrays)}; expected 'x_train' (and optionally 'y_train', "
        "'x_test', 'y_test') or one of 'x', 'images', 'data', 'arr_0'"
    )


@dataclasses.dataclass
class _Source:
    name: str
    train: tuple
    test: tuple | None = None
    class_names: list[str] | None = None
    kind: str | None = None
    schema: TableSchema | None = None


def _resolve(source: object, seed: int, options: dict) -> _Source:
    """Turn any supported source into its arrays, labels, class names and kind."""
    if isinstance(source, np.ndarray | list):
        return _Source("array", (source, None))
    if isinstance(source, tuple):
        if len(source) == 2 and all(isinstance(s, tuple) for s in source):
            return _Source("arrays", source[0], source[1])
        if len(source) == 2:
            return _Source("arrays", (source[0], source[1]))
        raise DataError("a tuple source must be (x, y) or ((x_train, y_train), (x_test, y_test))")
    if type(source).__name__ == "DataFrame":
        return _table("dataframe", source, options)
    if not isinstance(source, str | Path):
        raise DataError(
            f"cannot load data from {type(source).__name__}; pass an array, a DataFrame, a path "
            f"(.npz, .npy, .csv, .parquet, IDX, a folder of images or NIfTI volumes) or a name "
            f"({', '.join(NAMED_DATASETS)}, tfds:NAME)"
        )
    text = str(source)
    key = text.lower().replace("-", "_")
    if key in ("fashion_mnist", "fashionmnist"):
        train, test = load_fashion_mnist()
        return _Source("fashion_mnist", train, test, list(FASHION_MNIST_CLASSES))
    if key == "digits":
        train, test = load_digits(seed=seed)
        return _Source("digits", train, test, [str(d) for d in range(10)])
    if key in ("shapes", "dsprites_like"):
        (x, f), (x_test, f_test) = load_shapes(seed=0)
        # labels: the shape factor; all five factors come from tfvae.data.shapes
        return _Source("shapes", (x, f[:, 0]), (x_test, f_test[:, 0]), list(SHAPE_NAMES))
    if key == "volumes":
        x, f = make_volumes(1200, options.get("volume_size") or 32, seed=0)
        return _Source(
            "volumes", (x[:1000], f[:1000, 0]), (x[1000:], f[1000:, 0]), list(VOLUME_SHAPES)
        )
    if key in ("breast_cancer", "wine"):
        train, test, names = load_sklearn_table(key, seed=seed)
        return _Source(key, train, test, names, "vector")
    if key.startswith("ucr:"):
        train, test, names = load_ucr(text[4:])
        return _Source(text[4:], train, test, names, "sequence")
    path = Path(text).expanduser()
    if path.is_dir():
        if any(p.name.endswith(NIFTI_SUFFIXES) for p in path.rglob("*")):
            x, y, names = read_nifti_folder(path, options.get("volume_shape"))
            return _Source(path.name, (x, y), None, names if y is not None else None, "volume")
        x, y, names = read_image_folder(path)
        return _Source(path.name, (x, y), None, (names if y is not None else None))
    if path.exists() and not path.is_file():  # a FIFO, a device: refused, never read
        kind = safety.describe_file_kind(path)
        raise DataError(f"{path} is {kind}, not a regular file or folder; tfvae reads only those")
    if path.is_file():
        if path.suffix == ".npz":
            train, test = _from_npz(path)
            return _Source(path.stem, train, test)
        if path.suffix == ".npy":
            return _Source(path.stem, (read_npy(path), None))
        if path.suffix.lower() in TABLE_SUFFIXES:
            return _table(path.name, read_table(path), options)
        if "idx" in path.name:
            return _Source(path.name, (read_idx(path), None))
        raise DataError(
            f"{path}: unsupported file type; expected .npz, .npy, .csv, .parquet or an IDX file"
        )
    if text.startswith("tfds:"):
        train, test = load_tfds(text[5:])
        return _Source(text[5:], train, test)
    if "/" in text or "\\" in text or Path(text).suffix:
        raise FileNotFoundError(f"data path not found: {text}")
    train, test = load_tfds(text)
    return _Source(text, train, test)


def _table(name: str, frame: object, options: dict) -> _Source:
    x, y, schema, names = table_arrays(
        frame,
        label_column=options.get("label_column"),
        columns=options.get("columns"),
        categorical=options.get("categorical"),
        name=name,
    )
    return _Source(name, (x, y), None, names, "vector", schema)


def load(
    source: object,
    *,
    batch_size: int = 64,
    validation_split: float = 0.1,
    seed: int = 0,
    limit: int | None = None,
    test_limit: int | None = None,
    binarize: bool = False,
    dequantize: bool = False,
    kind: str | None = None,
    label_column: str | None = None,
    columns: list[str] | None = None,
    categorical: list[str] | None = None,
    volume_shape: tuple[int, int, int] | None = None,
    labels: bool = False,
) -> DataSplits:
    """Load a dataset into train / validation / test ``tf.data`` pipelines.

    Args:
        source: a numpy array of any kind (see :func:`tfvae.data.arrays.as_examples`); a tuple
            ``(x, y)`` or ``((x_train, y_train), (x_test, y_test))``; a pandas DataFrame; a
            path to a ``.npz`` archive, a ``.npy`` array, a ``.csv``/``.parquet`` table, an IDX
            file (raw or ``.gz``), a folder of PNG/JPEG images or of NIfTI volumes
            (``.nii``/``.nii.gz``; one sub-folder per class for labels); or a name:
            ``"fashion_mnist"`` (local files, see :func:`load_fashion_mnist`), ``"digits"``
            (scikit-learn, offline), ``"shapes"`` (procedural dSprites, 64x64, labels = the
            shape), ``"volumes"`` (procedural 32^3 solids, 1,000 + 200, labels = the solid),
            ``"breast_cancer"``, ``"wine"`` (scikit-learn tables of real values),
            ``"ucr:GunPoint"`` (a UCR time series inside aeon's wheel, see
            :mod:`tfvae.data.series`), or a TensorFlow Datasets name (``"tfds:mnist"``) whose
            files are already prepared.
        batch_size: examples per batch.
        validation_split: fraction of the training examples held out for validation
            (``0`` for none).
        seed: seeds the split and the per-epoch shuffle.
        limit: keep at most this many training examples (before the validation split).
        test_limit: keep at most this many test examples.
        binarize: dynamic binarisation of the training data (each epoch a new draw).
        dequantize: uniform dequantisation of the training data.
        kind: ``"vector"``, ``"sequence"``, ``"image"`` or ``"volume"`` when an array's rank
            is ambiguous (``[N, T, C]`` sequences vs ``[N, H, W]`` images).
        label_column, columns, categorical: for tables: the label column, the feature
            columns (default: all others), the columns to model as categories.
        volume_shape: resample NIfTI volumes to ``(D, H, W)``; the procedural ``"volumes"``
            use ``D`` as their size.
        labels: the pipelines yield ``(x, y)`` batches (for conditional models); refused for
            data without labels.
    Returns:
        :class:`DataSplits` with float32 channels-last arrays in data units (8-bit values
        divided by 255); the model's likelihood says whether they must lie in ``[0, 1]``.
    Raises:
        DataError: empty data, wrong rank or dtype, NaN/Inf, mixed shapes, a bad column.
        FileNotFoundError: a path or dataset that is not on disk (the message says how to get it).
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise DataError(f"batch_size must be a positive int, got {batch_size!r}")
    if not 0.0 <= float(validation_split) < 1.0:
        raise DataError(f"validation_split must be in [0, 1), got {validation_split!r}")
    options = {
        "label_column": label_column,
        "columns": columns,
        "categorical": categorical,
        "volume_shape": volume_shape,
        "volume_size": None if volume_shape is None else int(volume_shape[0]),
    }
    src = _resolve(source, seed, options)
    name, (x, y), test, class_names = src.name, src.train, src.test, src.class_names
    kind = kind or src.kind
    x = as_examples(x, name=f"{name} training data", kind=kind)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(x):
            raise DataError(f"{name}: {len(x)} examples but {len(y)} labels")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    if limit is not None:
        order = order[:limit]
    n_val = int(round(len(order) * validation_split))
    if len(order) - n_val <= 0:
        raise DataError(f"{name}: no training examples left after the validation split")
    train_idx, val_idx = order[n_val:], order[:n_val]
    x_test = y_test = None
    if test is not None:
        x_test = as_examples(test[0], name=f"{name} test data", kind=kind)
        if x_test.shape[1:] != x.shape[1:]:
            raise DataError(
                f"{name}: test examples have shape {x_test.shape[1:]}, training {x.shape[1:]}"
            )
        y_test = None if test[1] is None else np.asarray(test[1])
        if test_limit is not None:
            x_test = x_test[:test_limit]
            y_test = None if y_test is None else y_test[:test_limit]
    x_train, x_val = x[train_idx], (x[val_idx] if n_val else None)
    y_train = None if y is None else y[train_idx]
    y_val = None if (y is None or not n_val) else y[val_idx]
    if labels and y_train is None:
        raise DataError(
            f"{name} has no labels: labels=True needs labelled data (a (x, y) tuple, a "
            "label_column, a folder of class sub-folders, a labelled named dataset)"
        )
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")
    train = make_dataset(
        x_train,
        batch_size,
        shuffle=True,
        seed=seed,
        epoch=epoch,
        binarize=binarize,
        dequantize=dequantize,
        labels=y_train if labels else None,
    )
    validation = (
        None if x_val is None else make_dataset(x_val, batch_size, labels=y_val if labels else None)
    )
    test_ds = None
    if x_test is not None:
        if labels and y_test is None:
            raise DataError(f"{name}: the test split has no labels (labels=True)")
        test_ds = make_dataset(x_test, batch_size, labels=y_test if labels else None)
    return DataSplits(
        name,
        x_train,
        y_train,
        x_val,
        y_val,
        x_test,
        y_test,
        batch_size,
        seed,
        epoch,
        train,
        validation,
        test_ds,
        class_names,
        src.schema,
    )
