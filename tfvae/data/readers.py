"""File readers: IDX (MNIST format, raw or gzip), ``.npz`` archives, ``.npy`` arrays, folders of
images."""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from tfvae import safety
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
    """Read an IDX file (``*-idx3-ubyte`` or ``.gz``) into an array of its stored shape.

    The header is read first; the declared size must be within
    :attr:`tfvae.safety.Limits.data_bytes` and match the bytes present, and a ``.gz`` stream
    is decompressed only up to the declared size (a gzip bomb stops there).

    Raises:
        FileNotFoundError: no such file.
        DataError: not an IDX file, a FIFO or device, over the limit, truncated or too long.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f"IDX file not found: {path}")
    with safety.open_regular(path, follow_symlinks=True, error=DataError) as raw_fh:
        fh = gzip.GzipFile(fileobj=raw_fh) if path.suffix == ".gz" else raw_fh
        try:
            magic = fh.read(4)
            if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _IDX_DTYPES:
                raise DataError(f"{path} is not an IDX file (bad magic number {magic!r})")
            dtype = np.dtype(_IDX_DTYPES[magic[2]])
            ndim = magic[3]
            header = fh.read(4 * ndim)
            if len(header) != 4 * ndim:
                raise DataError(f"{path}: IDX header cut short ({ndim} dimensions announced)")
            dims = [int(d) for d in np.frombuffer(header, dtype=">u4")]
            expected = math.prod(dims) * dtype.itemsize
            limit = safety.LIMITS.data_bytes
            if expected > limit or math.prod(dims) > safety.LIMITS.array_elements:
                raise DataError(
                    f"{path}: IDX header announces shape {tuple(dims)} ({expected} bytes), over "
                    f"the limit of {limit} bytes (tfvae.safety.limits(data_bytes=...) raises it)"
                )
            raw = fh.read(expected + 1)
        except (OSError, EOFError, zlib.error) as err:
            raise DataError(f"{path}: cannot decompress ({err})") from err
    if len(raw) != expected:
        found = f"{len(raw)} bytes" if len(raw) <= expected else "more bytes"
        raise DataError(
            f"{path}: IDX header announces shape {tuple(dims)} ({expected} bytes) but the file "
            f"holds {found} (truncated download?)"
        )
    return np.frombuffer(raw, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Read a ``.npz`` archive without pickle (``allow_pickle=False``)."""
    path = Path(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f".npz file not found: {path}")
    # headers first (numeric dtypes, element counts, bombs), then the arrays
    return safety.read_npz(path, follow_symlinks=True, error=DataError)


def read_npy(path: str | Path) -> np.ndarray:
    """Read one ``.npy`` array without pickle, its header checked first."""
    path = Path(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f".npy file not found: {path}")
    return safety.read_npy(path, follow_symlinks=True, error=DataError)


def read_image_folder(path: str | Path) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a folder of PNG/JPEG images.

    Either images directly in ``path`` (no labels) or one sub-folder per class
    (labels = sub-folder index in sorted order).

    Returns:
        images ``[N, H, W, C]`` uint8, labels ``[N]`` int64 or ``None``, class names.
    """
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
            # a regular file, its pixel count checked from the header before decoding
            with safety.open_image(file, follow_symlinks=True) as img:
                arr = np.asarray(img.convert("L" if img.mode in ("L", "1", "P", "I") else "RGB"))
            images.append(arr if arr.ndim == 3 else arr[..., None])
            labels.append(label)
    if not images:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {root}")
    stacked = stack_examples(images, name=f"images in {root}")
    return stacked, (np.asarray(labels, np.int64) if subdirs else None), names
