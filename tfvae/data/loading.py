"""``tfvae.data.load``: one entry point from any source to train / validation / test pipelines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfvae import safety
from tfvae.data.arrays import DataError, as_images
from tfvae.data.named import FASHION_MNIST_CLASSES, load_digits, load_fashion_mnist, load_tfds
from tfvae.data.pipeline import EpochCallback, make_dataset
from tfvae.data.readers import read_idx, read_image_folder, read_npz
from tfvae.data.shapes import SHAPE_NAMES, load_shapes

NAMED_DATASETS = ("fashion_mnist", "digits", "shapes")


@dataclasses.dataclass
class DataSplits:
    """Arrays and ``tf.data`` pipelines of one dataset.

    Attributes:
        train, validation, test: batched datasets of ``[batch, H, W, C]`` float32 in ``[0, 1]``
            (``validation``/``test`` may be ``None``); ``train`` reshuffles every epoch.
        x_train, x_val, x_test: the validated arrays; ``y_*`` labels or ``None``.
        epoch: the variable keying the train shuffle; see :meth:`callbacks`.
        class_names: names of the label values, when known.
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

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(28, 28, 1)``."""
        return tuple(int(d) for d in self.x_train.shape[1:])

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


def _resolve(source: object, seed: int) -> tuple[str, tuple, tuple | None, list[str] | None]:
    """Turn any supported source into ``(name, (x_train, y_train), (x_test, y_test) | None,
    class names | None)``."""
    if isinstance(source, np.ndarray | list):
        return "array", (source, None), None, None
    if isinstance(source, tuple):
        if len(source) == 2 and all(isinstance(s, tuple) for s in source):
            return "arrays", source[0], source[1], None
        if len(source) == 2:
            return "arrays", (source[0], source[1]), None, None
        raise DataError("a tuple source must be (x, y) or ((x_train, y_train), (x_test, y_test))")
    if not isinstance(source, str | Path):
        raise DataError(
            f"cannot load data from {type(source).__name__}; pass an array, a path "
            f"(.npz, IDX, image folder) or a name ({', '.join(NAMED_DATASETS)}, tfds:NAME)"
        )
    text = str(source)
    key = text.lower().replace("-", "_")
    if key in ("fashion_mnist", "fashionmnist"):
        train, test = load_fashion_mnist()
        return "fashion_mnist", train, test, list(FASHION_MNIST_CLASSES)
    if key == "digits":
        train, test = load_digits(seed=seed)
        return "digits", train, test, [str(d) for d in range(10)]
    if key in ("shapes", "dsprites_like"):
        (x, f), (x_test, f_test) = load_shapes(seed=0)
        # labels: the shape factor; all five factors come from tfvae.data.shapes
        return "shapes", (x, f[:, 0]), (x_test, f_test[:, 0]), list(SHAPE_NAMES)
    path = Path(text).expanduser()
    if path.is_dir():
        x, y, names = read_image_folder(path)
        return path.name, (x, y), None, (names if y is not None else None)
    if path.exists() and not path.is_file():  # a FIFO, a device: refused, never read
        kind = safety.describe_file_kind(path)
        raise DataError(f"{path} is {kind}, not a regular file or folder; tfvae reads only those")
    if path.is_file():
        if path.suffix == ".npz":
            train, test = _from_npz(path)
            return path.stem, train, test, None
        if "idx" in path.name:
            return path.name, (read_idx(path), None), None, None
        raise DataError(f"{path}: unsupported file type; expected .npz or an IDX file")
    if text.startswith("tfds:"):
        train, test = load_tfds(text[5:])
        return text[5:], train, test, None
    if "/" in text or "\\" in text or Path(text).suffix:
        raise FileNotFoundError(f"data path not found: {text}")
    train, test = load_tfds(text)
    return text, train, test, None


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
) -> DataSplits:
    """Load a dataset into train / validation / test ``tf.data`` pipelines.

    Args:
        source: a numpy array ``[N, H, W(, C)]`` or ``[N, D]``; a tuple ``(x, y)`` or
            ``((x_train, y_train), (x_test, y_test))``; a path to a ``.npz`` archive, an IDX
            file (raw or ``.gz``) or a folder of PNG/JPEG images (one sub-folder per class for
            labels); ``"fashion_mnist"`` (local files, see :func:`load_fashion_mnist`),
            ``"digits"`` (scikit-learn, offline); ``"shapes"`` (procedural dSprites, 20,000 +
            2,000 64x64 images, labels = the shape; see :mod:`tfvae.data.shapes`); or a TensorFlow Datasets name
            (``"tfds:mnist"``) whose files are already prepared.
        batch_size: examples per batch.
        validation_split: fraction of the training examples held out for validation
            (``0`` for none).
        seed: seeds the split and the per-epoch shuffle.
        limit: keep at most this many training examples (before the validation split).
        test_limit: keep at most this many test examples.
        binarize: dynamic binarisation of the training data (each epoch a new draw).
        dequantize: uniform dequantisation of the training data.
    Returns:
        :class:`DataSplits` with float32 channels-last arrays in ``[0, 1]``.
    Raises:
        DataError: empty data, wrong rank or dtype, NaN/Inf, values out of range, mixed shapes.
        FileNotFoundError: a path or dataset that is not on disk (the message says how to get it).
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise DataError(f"batch_size must be a positive int, got {batch_size!r}")
    if not 0.0 <= float(validation_split) < 1.0:
        raise DataError(f"validation_split must be in [0, 1), got {validation_split!r}")
    name, (x, y), test, class_names = _resolve(source, seed)
    x = as_images(x, name=f"{name} training data")
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
        x_test = as_images(test[0], name=f"{name} test data")
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
    epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")
    train = make_dataset(
        x_train,
        batch_size,
        shuffle=True,
        seed=seed,
        epoch=epoch,
        binarize=binarize,
        dequantize=dequantize,
    )
    validation = None if x_val is None else make_dataset(x_val, batch_size)
    test_ds = None if x_test is None else make_dataset(x_test, batch_size)
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
    )
