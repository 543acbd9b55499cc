"""Fitted preprocessing statistics: per-feature standardisation or min-max scaling.

The statistics are fitted on training data in numpy (float64 sums, so large or offset data
fit exactly) and applied by the model (:class:`tfvae.models.base.transform.DataTransform`),
which stores them as weights: they are saved, reloaded and exported with it, and every
``encode``/``decode``/``generate`` speaks the user's units.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from tfvae.errors import DataError

PREPROCESSING_KINDS = ("standardize", "minmax")


def stat_shape(input_shape: tuple[int, ...], axes: str) -> tuple[int, ...]:
    """Shape of one statistic: ``input_shape`` for ``"feature"``, ``(1, ..., C)`` for
    ``"channel"`` (one value per channel, shared over time and space)."""
    if axes == "feature":
        return tuple(input_shape)
    if axes == "channel":
        return (1,) * (len(input_shape) - 1) + (int(input_shape[-1]),)
    raise DataError(f"preprocessing axes must be 'feature' or 'channel', got {axes!r}")


def default_axes(input_shape: tuple[int, ...]) -> Literal["feature", "channel"]:
    """``"feature"`` for vectors ``(D,)``, ``"channel"`` for sequences, images and volumes."""
    return "feature" if len(input_shape) == 1 else "channel"


@dataclasses.dataclass(frozen=True)
class FittedStats:
    """``shift`` and ``scale`` so that ``(x - shift) / scale`` is standardised (mean 0, std 1)
    or in ``[0, 1]`` (min-max); both ``stat_shape`` float32, ``scale > 0``."""

    kind: str
    shift: np.ndarray
    scale: np.ndarray


def fit_stats(x: np.ndarray, kind: str, axes: str) -> FittedStats:
    """Fit ``kind`` (``"standardize"`` or ``"minmax"``) on ``x: [N, *input_shape]``.

    A constant feature gets scale 1 (its values map to 0), never a division by zero.

    Raises:
        DataError: an unknown kind, empty or non-finite data.
    """
    if kind not in PREPROCESSING_KINDS:
        raise DataError(f"preprocessing must be one of {PREPROCESSING_KINDS}, got {kind!r}")
    x = np.asarray(x, np.float64)
    if x.ndim < 2 or len(x) == 0:
        raise DataError(f"preprocessing needs a batch [N, *input_shape], got shape {x.shape}")
    if not np.isfinite(x).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(f"cannot fit preprocessing: NaN/Inf in the data (first at {first})")
    reduce = (0,) if axes == "feature" else tuple(range(x.ndim - 1))
    if kind == "standardize":
        shift = x.mean(axis=reduce, keepdims=True)[0]
        scale = x.std(axis=reduce, keepdims=True)[0]
    else:
        shift = x.min(axis=reduce, keepdims=True)[0]
        scale = x.max(axis=reduce, keepdims=True)[0] - shift
    scale = np.where(scale > 1e-12 * np.maximum(1.0, np.abs(shift)), scale, 1.0)
    return FittedStats(kind, shift.astype(np.float32), scale.astype(np.float32))
