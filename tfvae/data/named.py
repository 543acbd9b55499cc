"""Named datasets that work offline: Fashion-MNIST (local IDX files), scikit-learn digits,
and TensorFlow Datasets names whose files are already on disk."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tfvae.data.arrays import DataError
from tfvae.data.readers import read_idx

Split = tuple[np.ndarray, np.ndarray | None]

FASHION_MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


def fashion_mnist_dirs() -> list[Path]:
    """Folders searched for the Fashion-MNIST IDX files, in order."""
    dirs = []
    env = os.environ.get("TFVAE_DATA_DIR")
    if env:
        dirs += [Path(env), Path(env) / "fashion-mnist", Path(env) / "fashion_mnist"]
    dirs += [
        Path("/usr/share/datasets/fashion-mnist"),
        Path.home() / ".keras" / "datasets" / "fashion-mnist",
    ]
    return dirs


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def load_fashion_mnist() -> tuple[Split, Split]:
    """Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 ``[N, 28, 28]``.

    Looks in ``$TFVAE_DATA_DIR``, Debian's ``/usr/share/datasets/fashion-mnist`` and the Keras
    cache; never downloads.
    """
    for folder in fashion_mnist_dirs():
        paths = {k: _find(folder, stem) for k, stem in FASHION_MNIST_FILES.items()}
        if all(paths.values()):
            arrays = {k: read_idx(p) for k, p in paths.items()}
            return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
    searched = ", ".join(str(d) for d in fashion_mnist_dirs())
    raise FileNotFoundError(
        "Fashion-MNIST files not found (searched: "
        f"{searched}). Install them with `sudo apt-get install dataset-fashion-mnist` "
        "(Debian/Ubuntu), or put the four IDX files (train-images-idx3-ubyte.gz, ...) from "
        "https://github.com/zalandoresearch/fashion-mnist in a folder and set TFVAE_DATA_DIR to it."
    )


def load_digits(seed: int = 0, test_fraction: float = 0.2) -> tuple[Split, Split]:
    """scikit-learn's bundled 8x8 digits (1,797 images), float ``[N, 8, 8]`` in ``[0, 1]``.

    Split into train/test by a seeded permutation.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    x = (bunch.images / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


def load_sklearn_table(
    name: str, seed: int = 0, test_fraction: float = 0.2
) -> tuple[Split, Split, list[str]]:
    """A table bundled with scikit-learn (offline): ``"breast_cancer"`` (569 x 30 real
    features, 2 classes) or ``"wine"`` (178 x 13, 3 classes), in the data's own units, split
    into train/test by a seeded permutation: ``((x_train [N, D] float32, y_train), (x_test,
    y_test), class names)``."""
    from sklearn import datasets

    loaders = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}
    if name not in loaders:
        raise DataError(f"no scikit-learn table {name!r}; expected one of {sorted(loaders)}")
    bunch = loaders[name]()
    names = [str(n) for n in bunch.target_names]
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test]), names


def load_tfds(name: str, data_dir: str | None = None) -> tuple[Split, Split | None]:
    """A TensorFlow Datasets dataset whose prepared files are already on disk (no download)."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:  # pragma: no cover - declared dependency
        raise ImportError("tensorflow-datasets is required for tfds names") from err
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as err:
        raise DataError(
            f"unknown dataset {name!r}: not a tfvae name, a path or a tfds name ({err})"
        ) from err
    if not Path(builder.data_dir).exists():
        raise FileNotFoundError(
            f"tfds dataset {name!r} is not prepared in {builder.data_dir}; tfvae never downloads. "
            "Prepare it once with `tfds build` (or tfds.load(..., download=True)) where there is "
            "network, or pass data_dir."
        )
    splits = {}
    for split in ("train", "test"):
        if split not in builder.info.splits:
            continue
        ds = builder.as_dataset(split=split, as_supervised=False)
        xs, ys = [], []
        for ex in tfds.as_numpy(ds):
            xs.append(ex.get("image", ex.get("features")))
            ys.append(ex.get("label", -1))
        splits[split] = (np.stack(xs), np.asarray(ys))
    if "train" not in splits:
        raise DataError(f"tfds dataset {name!r} has no 'train' split")
    return splits["train"], splits.get("test")
