"""File readers: IDX (MNIST format, raw or gzip), ``.npz`` archives, folders of images."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from tfvae.data.arrays import DataError, stack_examples

_IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (``*-idx3-ubyte`` or ``.gz``) into an array of its stored shape."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4]!r})")
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset != expected:
        raise DataError(
            f"{path}: IDX header announces shape {tuple(dims)} ({expected} bytes) but the file "
            f"holds {len(raw) - offset} bytes (truncated download?)"
        )
    return (
        np.frombuffer(raw, dtype=dtype, offset=offset).reshape(dims).astype(dtype.newbyteorder("="))
    )


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ``.npz`` archive without pickle (``allow_pickle=False``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f".npz file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except ValueError as err:
        raise DataError(
            f"{path}: cannot read without pickle ({err}); tfvae never unpickles"
        ) from err


def read_image_folder(path: str | Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a folder of PNG/JPEG images.

    Either images directly in ``path`` (no labels) or one sub-folder per class
    (labels = sub-folder index in sorted order).

    Returns:
        images ``[N, H, W, C]`` uint8, labels ``[N]`` int64 or ``None``, class names.
    """
    from PIL import Image

    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir())
    groups = [(d.name, d) for d in subdirs] if subdirs else [("", root)]
    images, labels, names = [], [], []
    for label, (class_name, folder) in enumerate(groups):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        names.append(class_name)
        for file in files:
            with Image.open(file) as img:
                arr = np.asarray(img.convert("L" if img.mode in ("L", "1", "P", "I") else "RGB"))
            images.append(arr if arr.ndim == 3 else arr[..., None])
            labels.append(label)
    if not images:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {root}")
    stacked = stack_examples(images, name=f"images in {root}")
    return stacked, (np.asarray(labels, np.int64) if subdirs else None), names
