"""3-D volumes: procedural shapes with known factors, and NIfTI files through nibabel.

Volumes follow the contract ``[N, D, H, W, C]`` float32, channels-last. nibabel is an optional
extra (``pip install 'tfvae[volumes]'``), imported only when a NIfTI file is read or written.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from tfvae import safety
from tfvae.errors import DataError

VOLUME_SHAPES = ("sphere", "cube", "ellipsoid")
NIFTI_SUFFIXES = (".nii", ".nii.gz")


def make_volumes(n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` procedural volumes ``[n, size, size, size, 1]`` in [0, 1] of one solid each, and
    their factors ``[n, 5]``: shape (0 sphere, 1 cube, 2 ellipsoid), radius (as a fraction of
    the volume, 0.15-0.3) and the centre's z, y, x (fractions, 0.35-0.65). Edges are smooth
    (a logistic of the signed distance, one voxel wide), so intensities are real values.
    """
    if not isinstance(n, int) or n <= 0 or not isinstance(size, int) or size < 8:
        raise DataError(f"make_volumes: n must be a positive int and size >= 8, got {n}, {size}")
    rng = np.random.default_rng(seed)
    shape = rng.integers(0, len(VOLUME_SHAPES), n)
    radius = rng.uniform(0.15, 0.3, n)
    centre = rng.uniform(0.35, 0.65, (n, 3))
    grid = (np.arange(size, dtype=np.float32) + 0.5) / size
    zz, yy, xx = np.meshgrid(grid, grid, grid, indexing="ij")
    out = np.empty((n, size, size, size, 1), np.float32)
    for i in range(n):
        d = np.stack([zz - centre[i, 0], yy - centre[i, 1], xx - centre[i, 2]]) / radius[i]
        if shape[i] == 0:
            dist = np.sqrt((d**2).sum(0)) - 1.0
        elif shape[i] == 1:
            dist = np.abs(d).max(0) - 0.8
        else:
            dist = np.sqrt(d[0] ** 2 / 0.4 + d[1] ** 2 + d[2] ** 2 / 1.6) - 1.0
        out[i, ..., 0] = 1.0 / (1.0 + np.exp(np.clip(dist * radius[i] * size, -30, 30)))
    factors = np.column_stack([shape, radius, centre]).astype(np.float32)
    return out, factors


def _nibabel() -> Any:
    try:
        import nibabel  # optional extra, imported only to read or write NIfTI
    except ImportError as err:
        raise DataError(
            "reading NIfTI volumes needs nibabel: pip install 'tfvae[volumes]' (or nibabel)"
        ) from err
    return nibabel


def read_nifti(path: str | Path) -> np.ndarray:
    """One NIfTI volume ``.nii``/``.nii.gz`` as float32 ``[D, H, W, C]`` (C = 1 for 3-D files,
    the 4th axis for 4-D ones).

    The header is read first: the file must be NIfTI-1/2, and its voxel count within
    :attr:`tfvae.safety.Limits.array_elements` and its data within ``data_bytes`` before any
    voxel is read.

    Raises:
        DataError: not a regular file, not NIfTI, over a limit, more than 4 axes, NaN/Inf.
    """
    nib = _nibabel()
    path = Path(path)
    with safety.open_regular(path, follow_symlinks=True, error=DataError) as fh:
        size = os.fstat(fh.fileno()).st_size
    if size > safety.LIMITS.data_bytes:
        raise DataError(f"{path} is {size} bytes, over the limit of {safety.LIMITS.data_bytes}")
    try:
        image = nib.load(str(path))
    except Exception as err:  # nibabel raises several types for a file that is not NIfTI
        raise DataError(f"{path} is not a NIfTI file ({type(err).__name__}: {err})") from None
    if not isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
        raise DataError(f"{path} is a {type(image).__name__}, not a NIfTI-1/2 image")
    shape = tuple(int(d) for d in image.header.get_data_shape())
    voxels = math.prod(shape)
    nbytes = voxels * image.header.get_data_dtype().itemsize
    if voxels > safety.LIMITS.array_elements or nbytes > safety.LIMITS.data_bytes:
        raise DataError(
            f"{path}: its header announces {shape} = {voxels} voxels ({nbytes} bytes), over the "
            f"limit of {safety.LIMITS.array_elements} voxels (tfvae.safety.limits raises it)"
        )
    if len(shape) not in (3, 4):
        raise DataError(f"{path}: a NIfTI volume of {len(shape)} axes {shape}; expected 3 or 4")
    data = np.asarray(image.dataobj, dtype=np.float32)
    if data.ndim == 3:
        data = data[..., None]
    if not np.isfinite(data).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(data))[0])
        raise DataError(f"{path}: NaN/Inf voxels (first at {first})")
    return data


def normalize_intensity(volume: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Map the ``low``-``high`` percentiles of a volume's intensities to [0, 1], clipped (the
    usual MRI normalisation: robust to a few bright voxels)."""
    lo, hi = np.percentile(volume, [low, high])
    if hi <= lo:
        return np.zeros_like(volume, np.float32)
    return np.clip((volume - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def resample(volume: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Linear resampling of ``[D, H, W, C]`` to ``[*shape, C]`` (``scipy.ndimage.zoom``)."""
    from scipy import ndimage  # scikit-learn's dependency; imported only to resample

    factors = [t / s for t, s in zip(shape, volume.shape[:3], strict=True)] + [1.0]
    out = ndimage.zoom(volume, factors, order=1)
    return out[: shape[0], : shape[1], : shape[2]].astype(np.float32)


def patches(volume: np.ndarray, size: int, stride: int | None = None) -> np.ndarray:
    """Cubic patches ``[n, size, size, size, C]`` of a volume ``[D, H, W, C]`` on a regular grid
    (``stride`` default ``size // 2``)."""
    stride = stride or max(1, size // 2)
    if min(volume.shape[:3]) < size:
        raise DataError(f"volume {volume.shape[:3]} is smaller than a {size}^3 patch")
    out = [
        volume[z : z + size, y : y + size, x : x + size]
        for z in range(0, volume.shape[0] - size + 1, stride)
        for y in range(0, volume.shape[1] - size + 1, stride)
        for x in range(0, volume.shape[2] - size + 1, stride)
    ]
    return np.stack(out).astype(np.float32)


def _is_nifti(path: Path) -> bool:
    return path.name.endswith(NIFTI_SUFFIXES)


def read_nifti_folder(
    root: str | Path, shape: tuple[int, int, int] | None = None, normalize: bool = True
) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """NIfTI volumes of a folder: ``root/*.nii(.gz)``, or one sub-folder per class.

    Args:
        shape: resample every volume to ``shape`` (``None``: all must share one shape).
        normalize: map each volume's 1st-99th intensity percentiles to [0, 1].
    Returns:
        ``x: [N, D, H, W, C]`` float32, labels ``[N]`` (``None`` without sub-folders), class
        names (the sub-folders, sorted).
    Raises:
        DataError: no volumes, a file that is not NIfTI, mixed shapes without ``shape``.
    """
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    groups = [(root / c, i) for i, c in enumerate(classes)] if classes else [(root, None)]
    volumes, labels, names = [], [], []
    for folder, label in groups:
        for path in sorted(folder.iterdir()):
            if not _is_nifti(path):
                continue
            vol = read_nifti(path)
            if shape is not None:
                vol = resample(vol, tuple(shape))
            volumes.append(normalize_intensity(vol) if normalize else vol)
            labels.append(label)
            names.append(path.name)
    if not volumes:
        raise DataError(f"{root}: no .nii or .nii.gz volumes")
    first = {}
    for vol, name in zip(volumes, names, strict=True):
        first.setdefault(vol.shape, name)
    if len(first) > 1:
        listed = ", ".join(f"{s} ({n})" for s, n in list(first.items())[:4])
        raise DataError(f"{root}: volumes of mixed shapes: {listed}; pass shape=(D, H, W)")
    y = np.asarray(labels, np.int64) if classes else None
    return np.stack(volumes), y, classes


def write_nifti(volume: np.ndarray, path: str | Path, root: str | Path | None = None) -> Path:
    """Write ``[D, H, W, C]`` (or ``[D, H, W]``) as a NIfTI-1 file (``.nii`` or ``.nii.gz``,
    identity affine), through :func:`tfvae.safety.safe_output` (never through a link)."""
    nib = _nibabel()
    vol = np.asarray(volume, np.float32)
    if vol.ndim == 4 and vol.shape[-1] == 1:
        vol = vol[..., 0]
    path = Path(path)
    if not _is_nifti(path):
        raise DataError(f"write_nifti: {path} must end in .nii or .nii.gz")
    with safety.safe_output(path, root) as tmp:  # keeps the .nii(.gz) suffix nibabel reads
        nib.save(nib.Nifti1Image(vol, np.eye(4)), str(tmp))
    return path
