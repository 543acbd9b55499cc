"""Checks and conversions that turn user arrays into tfvae's data contract.

The contract: float32, channels-last ``[N, *event_shape]`` of rank 1 to 4 per example
(vectors, sequences, images, volumes), finite. Bad input is refused with a message that
names what is wrong.
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


DATA_KINDS = ("vector", "sequence", "image", "volume")
#: the rank of one example of each kind (channels-last)
KIND_RANKS = {"vector": 1, "sequence": 2, "image": 3, "volume": 4}
_KIND_OF_RANK = {rank: kind for kind, rank in KIND_RANKS.items()}


def kind_of_shape(input_shape: Sequence[int]) -> str:
    """The data kind of an example shape: ``(D,)`` vector, ``(T, C)`` sequence, ``(H, W, C)``
    image, ``(D, H, W, C)`` volume."""
    rank = len(tuple(input_shape))
    if rank not in _KIND_OF_RANK:
        raise DataError(f"examples of rank {rank} {tuple(input_shape)}: tfvae models ranks 1-4")
    return _KIND_OF_RANK[rank]


def as_examples(x: object, name: str = "data", kind: str | None = None) -> np.ndarray:
    """Validate and convert examples to tfvae's contract: float32, channels-last
    ``[N, *event_shape]`` of any rank, finite.

    Args:
        x: ``[N, D]`` vectors, ``[N, T, C]`` sequences, ``[N, H, W, C]`` images or
            ``[N, D, H, W, C]`` volumes. A missing channel axis is added: ``[N, H, W]`` is read
            as grayscale images unless ``kind="sequence"`` (then ``[N, T]`` gains the axis),
            ``[N, D, H, W]`` is a volume when ``kind="volume"``. ``uint8`` values are 8-bit
            intensities and divided by 255 (so are other integer images and volumes within
            [0, 255]); other values are kept as they are: real values are fine, the ``[0, 1]``
            range is checked by the model whose likelihood needs it (``model.check_data``).
        name: how the data is called in error messages.
        kind: ``"vector"``, ``"sequence"``, ``"image"``, ``"volume"`` or ``None`` (from the
            rank: 2 vectors, 3 and 4 images, 5 volumes).
    Returns:
        float32 array ``[N, *event_shape]``.
    Raises:
        DataError: empty data, object/str/complex dtype, a rank the kind does not have, NaN/Inf
            (with the index of the first one).
    """
    if kind is not None and kind not in DATA_KINDS:
        raise DataError(f"kind must be one of {DATA_KINDS} or None, got {kind!r}")
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
    if kind is None:
        kind = {2: "vector", 3: "image", 4: "image", 5: "volume"}.get(arr.ndim)
        if kind is None:
            raise DataError(
                f"{name} must have shape [N, D], [N, T, C], [N, H, W(, C)] or "
                f"[N, D, H, W, C]; got rank {arr.ndim} {arr.shape}"
            )
    rank = KIND_RANKS[kind] + 1
    if arr.ndim == rank - 1 and kind != "vector":
        arr = arr[..., None]
    if arr.ndim != rank:
        layout = {
            "vector": "[N, D]",
            "sequence": "[N, T, C] (or [N, T])",
            "image": "[N, H, W, C] (or [N, H, W])",
            "volume": "[N, D, H, W, C] (or [N, D, H, W])",
        }[kind]
        raise DataError(
            f"{name}: {kind}s must have shape {layout}; got rank {arr.ndim} {arr.shape}"
        )
    if arr.dtype.kind in "biu":
        eight_bit = arr.dtype == np.uint8 or (
            kind in ("image", "volume") and arr.min() >= 0 and arr.max() <= 255
        )
        return (arr.astype(np.float32) / 255.0) if eight_bit else arr.astype(np.float32)
    arr = arr.astype(np.float32)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int((~finite).sum())
        first = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise DataError(f"{name} contains {bad} NaN/Inf values (first at index {first})")
    return arr


def as_images(x: object, name: str = "data", allow_vectors: bool = True) -> np.ndarray:
    """:func:`as_examples` for images ``[N, H, W(, C)]`` (and ``[N, D]`` vectors when
    ``allow_vectors``) whose values must lie in ``[0, 1]`` (metrics on images, FID).

    Raises:
        DataError: as :func:`as_examples`, plus a wrong rank or values outside ``[0, 1]``.
    """
    arr = np.asarray(x) if not isinstance(x, list | tuple) else stack_examples(x, name)
    if arr.ndim not in ((2, 3, 4) if allow_vectors else (3, 4)):
        valid = "[N, H, W], [N, H, W, C]" + (" or [N, D]" if allow_vectors else "")
        raise DataError(f"{name} must have shape {valid}; got rank {arr.ndim} {arr.shape}")
    arr = as_examples(arr, name, kind="vector" if arr.ndim == 2 else "image")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0.0 or hi > 1.0:
        raise DataError(
            f"{name} has float values in [{lo:.4g}, {hi:.4g}]; expected [0, 1] "
            "(divide 8-bit images by 255, or min-max scale your features)"
        )
    return arr


def binarize(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """One seeded stochastic binarisation, ``x_b ~ Bernoulli(x)``, float32 in {0, 1} (the test
    protocol for Bernoulli likelihoods)."""
    x = np.asarray(x, np.float32)
    return (np.random.default_rng(seed).random(x.shape) < x).astype(np.float32)
