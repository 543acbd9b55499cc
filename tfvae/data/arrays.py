"""Checks and conversions that turn user arrays into tfvae's image contract.

The contract: float32, channels-last ``[N, H, W, C]`` images (or ``[N, D]`` vectors), values
in ``[0, 1]``. Bad input is refused with a message that names what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tfvae.errors import DataError


def stack_examples(items: Sequence[np.ndarray], name: str = "data") -> np.ndarray:
    """Stack a list of per-example arrays, refusing mixed shapes.

    Args:
        items: arrays of identical shape (e.g. ``[H, W, C]`` images).
        name: how the data is called in error messages.
    Returns:
        ``[N, *shape]`` array.
    """
    if len(items) == 0:
        raise DataError(f"{name} is empty: no examples to stack")
    shapes = {}
    for i, item in enumerate(items):
        shapes.setdefault(np.shape(item), i)
    if len(shapes) > 1:
        listed = ", ".join(f"{s} (first at index {i})" for s, i in list(shapes.items())[:4])
        raise DataError(f"{name} has examples of mixed shapes: {listed}; resize them to one shape")
    return np.stack([np.asarray(item) for item in items])


def as_images(x: object, name: str = "data", allow_vectors: bool = True) -> np.ndarray:
    """Validate and convert examples to float32 channels-last in ``[0, 1]``.

    Args:
        x: ``[N, H, W]`` (a channel axis is added), ``[N, H, W, C]`` images or ``[N, D]``
            vectors; integer dtypes are read as 8-bit pixels and divided by 255, float dtypes
            must already lie in ``[0, 1]``.
        name: how the data is called in error messages.
        allow_vectors: accept ``[N, D]`` arrays.
    Returns:
        float32 array, ``[N, H, W, C]`` or ``[N, D]``, values in ``[0, 1]``.
    Raises:
        DataError: empty data, object/str/complex dtype, wrong rank, NaN/Inf, values outside
            the expected range.
    """
    if isinstance(x, list | tuple):
        x = stack_examples(x, name)
    arr = np.asarray(x)
    if arr.dtype == object:
        raise DataError(
            f"{name} has dtype object (mixed shapes or non-numeric values); "
            "pass a numeric array of one shape"
        )
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{name} must be numeric (uint8 or float), got dtype {arr.dtype}")
    if arr.size == 0 or arr.shape[0] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape})")
    if arr.ndim == 3:
        arr = arr[..., None]
    valid_ranks = "[N, H, W], [N, H, W, C]" + (" or [N, D]" if allow_vectors else "")
    if arr.ndim not in ((2, 4) if allow_vectors else (4,)):
        raise DataError(f"{name} must have shape {valid_ranks}; got rank {arr.ndim} {arr.shape}")
    if arr.dtype.kind in "biu":
        if arr.min() < 0 or arr.max() > 255:
            raise DataError(
                f"{name} has integer values in [{arr.min()}, {arr.max()}]; expected 8-bit "
                "pixels in [0, 255]"
            )
        return (arr.astype(np.float32) / 255.0).astype(np.float32)
    arr = arr.astype(np.float32)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int((~finite).sum())
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise DataError(f"{name} contains {bad} NaN/Inf values (first at index {first})")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise DataError(
            f"{name} has float values in [{lo:.4g}, {hi:.4g}]; tfvae expects [0, 1] "
            "(divide 8-bit images by 255, or min-max scale your features)"
        )
    return arr


def binarize(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """One seeded stochastic binarisation, ``x_b ~ Bernoulli(x)``, float32 in {0, 1} (the test
    protocol for Bernoulli likelihoods)."""
    x = np.asarray(x, np.float32)
    return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)
