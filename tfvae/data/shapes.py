"""Datasets with known factors of variation, for disentanglement metrics.

:class:`Shapes` renders a dSprites-like dataset procedurally (64x64x1 binary images of a
square, an ellipse or a heart; factors shape, scale, orientation, x, y with dSprites' grid
sizes 3, 6, 40, 32, 32), deterministically, so it needs no download. :class:`DSprites` reads
the real ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`` for users who have it. Both follow
:class:`GroundTruthData`, the factor-sampling API of :mod:`tfvae.metrics.disentanglement`
(as in disentanglement_lib): sample factors, fix some, render the matching observations.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tfvae.data.arrays import DataError

SHAPE_NAMES = ("square", "ellipse", "heart")
FACTOR_NAMES = ("shape", "scale", "orientation", "pos_x", "pos_y")
FACTOR_SIZES = (3, 6, 40, 32, 32)
IMAGE_SIZE = 64
_HALF_EXTENT = 9.0  # pixels, at scale 1
_CENTRE_RANGE = (14.0, 50.0)  # pixels, pos 0 -> 1
_WINDOW = 32  # pixels: the square around a centre that holds every shape


class GroundTruthData:
    """A dataset whose observations are a function of discrete factors.

    Subclasses set :attr:`factor_names`, :attr:`factor_sizes` and implement
    :meth:`sample_observations_from_factors`.
    """

    factor_names: tuple[str, ...] = ()
    factor_sizes: tuple[int, ...] = ()

    @property
    def num_factors(self) -> int:
        return len(self.factor_sizes)

    @property
    def observation_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def sample_factors(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` factor vectors drawn uniformly, int64 ``[n, num_factors]``."""
        return np.stack([rng.integers(0, size, n) for size in self.factor_sizes], axis=1)

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Observations for ``factors: [n, num_factors]`` ints, float32 ``[n, *shape]``."""
        raise NotImplementedError

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(factors [n, K], observations [n, *shape])``."""
        factors = self.sample_factors(n, rng)
        return factors, self.sample_observations_from_factors(factors, rng)

    def check_factors(self, factors: np.ndarray) -> np.ndarray:
        factors = np.asarray(factors)
        if factors.ndim != 2 or factors.shape[1] != self.num_factors:
            raise DataError(
                f"{type(self).__name__}: factors must be [n, {self.num_factors}] "
                f"({', '.join(self.factor_names)}), got shape {factors.shape}"
            )
        if not np.issubdtype(factors.dtype, np.integer):
            raise DataError(f"{type(self).__name__}: factors must be integers, got {factors.dtype}")
        sizes = np.asarray(self.factor_sizes)
        if factors.size and (factors.min() < 0 or np.any(factors.max(axis=0) >= sizes)):
            raise DataError(
                f"{type(self).__name__}: factor values out of range; sizes are "
                f"{dict(zip(self.factor_names, self.factor_sizes, strict=True))}"
            )
        return factors.astype(np.int64)


class SpriteFactors(GroundTruthData):
    """dSprites' factors (shape, scale, orientation, pos_x, pos_y) and 64x64x1 images."""

    factor_names = FACTOR_NAMES
    factor_sizes = FACTOR_SIZES

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return (IMAGE_SIZE, IMAGE_SIZE, 1)


class Shapes(SpriteFactors):
    """Procedural dSprites: binary 64x64x1 images, float32 in {0, 1}.

    Factor values follow dSprites: scale in ``linspace(0.5, 1, 6)``, orientation in
    ``linspace(0, 2 pi, 40)``, x and y in ``linspace(0, 1, 32)`` mapped to shape centres from
    14 to 50 pixels (columns left to right, rows top to bottom; every shape stays inside the
    image). Rendering is a pure function of the
    factors: pixel centres inside the rotated, scaled shape are 1.

    Example:
        >>> shapes = Shapes()
        >>> factors, images = shapes.sample(16, np.random.default_rng(0))
        >>> images.shape
        (16, 64, 64, 1)
    """

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        return render(self.check_factors(factors))


def render(factors: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Images ``[n, 64, 64, 1]`` float32 in {0, 1} for ``factors: [n, 5]`` ints (shape, scale,
    orientation, pos_x, pos_y), in chunks of ``chunk`` images.

    Each shape is evaluated on a 32x32 window around its centre (every shape fits in it) and
    pasted into the blank image.
    """
    n = len(factors)
    out = np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32)
    win = np.arange(_WINDOW)
    lo, hi = _CENTRE_RANGE
    for start in range(0, n, chunk):
        f = factors[start : start + chunk].astype(np.float32)
        shape = factors[start : start + chunk, 0]
        scale = (0.5 + 0.1 * f[:, 1]) * _HALF_EXTENT
        angle = f[:, 2] * np.float32(2.0 * np.pi / 39.0)
        cx = lo + (hi - lo) * f[:, 3] / 31.0
        cy = lo + (hi - lo) * f[:, 4] / 31.0
        ox = np.clip(np.floor(cx).astype(np.int64) - _WINDOW // 2, 0, IMAGE_SIZE - _WINDOW)
        oy = np.clip(np.floor(cy).astype(np.int64) - _WINDOW // 2, 0, IMAGE_SIZE - _WINDOW)
        cols = (ox[:, None] + win + 0.5).astype(np.float32)[:, None, :]  # [m, 1, W]
        rows = (oy[:, None] + win + 0.5).astype(np.float32)[:, :, None]  # [m, W, 1]
        dx = cols - cx[:, None, None]
        dy = cy[:, None, None] - rows  # y up
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        s = scale[:, None, None]
        u = (cos * dx + sin * dy) / s
        v = (-sin * dx + cos * dy) / s
        masks = np.empty(u.shape, bool)
        for index, inside in enumerate((_square, _ellipse, _heart)):
            sel = shape == index
            if sel.any():
                masks[sel] = inside(u[sel], v[sel])
        m = len(f)
        images = out[start : start + chunk, :, :, 0]
        images[
            np.arange(m)[:, None, None],
            (oy[:, None] + win)[:, :, None],
            (ox[:, None] + win)[:, None, :],
        ] = masks
    return out


def _square(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u), np.abs(v)) <= 0.8


def _ellipse(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return u**2 + (2.0 * v) ** 2 <= 1.0


def _heart(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    x, y = 1.15 * u, 1.15 * v + 0.25
    return (x**2 + y**2 - 1.0) ** 3 - x**2 * y**3 <= 0.0


def shapes_cache_dir() -> Path:
    """``$TFVAE_DATA_DIR/shapes`` or ``~/.cache/tfvae/shapes``."""
    root = os.environ.get("TFVAE_DATA_DIR")
    return Path(root) / "shapes" if root else Path.home() / ".cache" / "tfvae" / "shapes"


def load_shapes(
    num_train: int = 20000, num_test: int = 2000, seed: int = 0, cache_dir: str | Path | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A deterministic sample of :class:`Shapes`: factors drawn uniformly with ``seed``,
    rendered, cached as ``shapes_{num_train}_{num_test}_{seed}.npz``.

    Returns:
        ``((x_train, factors_train), (x_test, factors_test))``: uint8 images
        ``[N, 64, 64, 1]`` with values {0, 255} (the loaders scale uint8 to [0, 1]) and int64
        factors ``[N, 5]``.
    """
    folder = Path(cache_dir) if cache_dir is not None else shapes_cache_dir()
    path = folder / f"shapes_{num_train}_{num_test}_{seed}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as arrays:
            return (arrays["x_train"], arrays["f_train"]), (arrays["x_test"], arrays["f_test"])
    rng = np.random.default_rng(seed)
    factors = Shapes().sample_factors(num_train + num_test, rng)
    images = (render(factors) * 255).astype(np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        x_train=images[:num_train],
        f_train=factors[:num_train],
        x_test=images[num_train:],
        f_test=factors[num_train:],
    )
    tmp.replace(path)
    return (images[:num_train], factors[:num_train]), (images[num_train:], factors[num_train:])


#: rows of dSprites' ``imgs`` per unit of each factor (its ``latents_bases`` without colour)
DSPRITES_BASES = np.concatenate([np.cumprod(FACTOR_SIZES[::-1])[::-1][1:], [1]])


def dsprites_index(factors: np.ndarray) -> np.ndarray:
    """Row of dSprites' ``imgs`` for ``factors [n, 5]`` (mixed radix over the factor sizes)."""
    return np.asarray(factors, np.int64) @ DSPRITES_BASES


class DSprites(SpriteFactors):
    """The real dSprites (Matthey et al.) from ``dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``
    (not downloadable here: pass the file you have). Observations float32 ``[n, 64, 64, 1]``."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"dSprites file not found: {path} (dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz "
                "from https://github.com/google-deepmind/dsprites-dataset)"
            )
        with np.load(path, allow_pickle=False) as arrays:
            if "imgs" not in arrays:
                raise DataError(f"{path}: no 'imgs' array; is this the dSprites .npz?")
            self.images = arrays["imgs"]
        expected = int(np.prod(FACTOR_SIZES))
        if self.images.shape != (expected, IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(
                f"{path}: imgs has shape {self.images.shape}, expected ({expected}, 64, 64)"
            )

    def sample_observations_from_factors(
        self, factors: np.ndarray, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        index = dsprites_index(self.check_factors(factors))
        return self.images[index][..., None].astype(np.float32)
