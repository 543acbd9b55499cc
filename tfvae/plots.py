"""Pictures: image grids, latent scatter plots, interpolation strips, latent traversals.

Everything returns arrays (``[H, W, C]`` float in [0, 1]) and optionally writes a PNG;
``tf.summary.image(name, grid[None])`` puts a grid in TensorBoard.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np


def image_grid(images: Any, ncols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile images into one picture.

    Args:
        images: ``[N, H, W, C]`` (or ``[N, H, W]``) in [0, 1].
        ncols: images per row (default: ``ceil(sqrt(N))``).
        pad: pixels of padding (value 1.0, white) between images.
    Returns:
        ``[rows * (H + pad) + pad, ncols * (W + pad) + pad, C]`` float32 in [0, 1].
    """
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"image_grid expects [N, H, W, C] images, got shape {images.shape}")
    n, h, w, c = images.shape
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / ncols)
    grid = np.ones((rows * (h + pad) + pad, ncols * (w + pad) + pad, c), np.float32)
    for i in range(n):
        r, col = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + col * (w + pad)
        grid[top : top + h, left : left + w] = images[i]
    return grid


def save_png(picture: np.ndarray, path: str | Path, scale: int = 1) -> Path:
    """Write ``[H, W, C]`` in [0, 1] (C = 1 or 3) as an 8-bit PNG, upscaled ``scale`` times."""
    from PIL import Image

    arr = (np.clip(picture, 0, 1) * 255).round().astype(np.uint8)
    if scale > 1:
        arr = arr.repeat(scale, axis=0).repeat(scale, axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(path)
    return path


def save_image_grid(
    images: Any, path: str | Path, ncols: int | None = None, scale: int = 2
) -> Path:
    """:func:`image_grid` written to ``path`` as PNG."""
    return save_png(image_grid(images, ncols=ncols), path, scale=scale)


def interpolation_strip(model: Any, start: Any, end: Any, granularity: int = 10) -> np.ndarray:
    """Rows of decoded interpolations between ``start[i]`` and ``end[i]``.

    Args:
        model: a tfvae model.
        start, end: ``[B, H, W, C]``.
    Returns:
        grid picture with ``B`` rows of ``granularity`` images.
    """
    frames = np.asarray(model.interpolate(start, end, granularity=granularity))
    return image_grid(frames.reshape(-1, *frames.shape[2:]), ncols=granularity)


def latent_traversals(
    model: Any, x: Any, dims: list[int] | None = None, span: float = 3.0, steps: int = 9
) -> np.ndarray:
    """Decode the code of one example with one latent coordinate swept over ``[-span, span]``.

    Args:
        model: a tfvae model.
        x: one example ``[H, W, C]`` (or ``[1, H, W, C]``).
        dims: latent dimensions to sweep (default: all, up to 10).
    Returns:
        grid picture, one row per dimension, ``steps`` images per row.
    """
    x = np.asarray(x, np.float32).reshape(1, *model.input_shape_)
    z = np.asarray(model.encode(x))[0]
    dims = dims if dims is not None else list(range(min(model.latent_dim, 10)))
    values = np.linspace(-span, span, steps, dtype=np.float32)
    codes = np.repeat(z[None], len(dims) * steps, axis=0)
    for row, d in enumerate(dims):
        codes[row * steps : (row + 1) * steps, d] = values
    return image_grid(np.asarray(model.decode(codes)), ncols=steps)


def latent_scatter(codes: Any, labels: Any = None, path: str | Path | None = None,
                   title: str = "latent space", class_names: list[str] | None = None) -> np.ndarray:  # fmt: skip
    """Scatter plot of codes ``[N, D]`` coloured by label; PCA to 2-D when ``D > 2``.

    Returns the figure as ``[H, W, 3]`` float in [0, 1]; also written as PNG to ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    codes = np.asarray(codes, np.float64)
    axes_names = ("z1", "z2")
    if codes.shape[1] > 2:
        from sklearn.decomposition import PCA

        codes = PCA(n_components=2, random_state=0).fit_transform(codes)
        axes_names = ("PC 1", "PC 2")
    elif codes.shape[1] == 1:
        codes = np.concatenate([codes, np.zeros_like(codes)], axis=1)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=4, alpha=0.6)
    else:
        labels = np.asarray(labels)
        for value in np.unique(labels):
            mask = labels == value
            name = class_names[int(value)] if class_names is not None else str(value)
            ax.scatter(codes[mask, 0], codes[mask, 1], s=4, alpha=0.6, label=name)
        ax.legend(markerscale=3, fontsize=7, loc="best")
    ax.set_xlabel(axes_names[0])
    ax.set_ylabel(axes_names[1])
    ax.set_title(title)
    fig.tight_layout()
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(np.float32) / 255.0
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    plt.close(fig)
    return picture
