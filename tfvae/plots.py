"""Pictures: image grids, latent scatter plots, interpolation strips, latent traversals.

Everything returns arrays (``[H, W, C]`` float in [0, 1]) and optionally writes a PNG;
``tf.summary.image(name, grid[None])`` puts a grid in TensorBoard.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from tfvae.safety import safe_output


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
    with safe_output(path) as tmp:  # temp file + rename: never written through a link
        Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(tmp)
    return path


def save_image_grid(
    images: Any, path: str | Path, ncols: int | None = None, scale: int = 2
) -> Path:
    """:func:`image_grid` written to ``path`` as PNG."""
    return save_png(image_grid(images, ncols=ncols), path, scale=scale)


def interpolation_strip(
    model: Any, start: Any, end: Any, granularity: int = 10, condition: Any = None
) -> np.ndarray:
    """Rows of decoded interpolations between ``start[i]`` and ``end[i]``.

    Args:
        model: a tfvae model.
        start, end: ``[B, H, W, C]``.
    Returns:
        grid picture with ``B`` rows of ``granularity`` images.
    """
    frames = np.asarray(model.interpolate(start, end, granularity=granularity, condition=condition))
    return image_grid(frames.reshape(-1, *frames.shape[2:]), ncols=granularity)


def latent_traversals(
    model: Any,
    x: Any,
    dims: list[int] | None = None,
    span: float = 3.0,
    steps: int = 9,
    condition: Any = None,
) -> np.ndarray:
    """Decode the code of one example with one latent coordinate swept over ``[-span, span]``.

    Args:
        model: a tfvae model.
        x: one example ``[H, W, C]`` (or ``[1, H, W, C]``).
        dims: latent dimensions to sweep (default: all, up to 10).
        condition: a conditional model's condition of ``x`` (one label or attribute vector).
    Returns:
        grid picture, one row per dimension, ``steps`` images per row.
    """
    x = np.asarray(x, np.float32).reshape(1, *model.input_shape_)
    one = None if condition is None else np.asarray(condition)[None]
    z = np.asarray(model.encode(x, one))[0]
    dims = dims if dims is not None else list(range(min(model.latent_dim, 10)))
    values = np.linspace(-span, span, steps, dtype=np.float32)
    codes = np.repeat(z[None], len(dims) * steps, axis=0)
    for row, d in enumerate(dims):
        codes[row * steps : (row + 1) * steps, d] = values
    repeated = None if one is None else np.repeat(one, len(codes), axis=0)
    return image_grid(np.asarray(model.decode(codes, repeated)), ncols=steps)


def class_grid(
    model: Any,
    per_class: int = 8,
    seed: int = 0,
    sampler: Any = None,
    guidance: float | None = None,
    consistent: bool = False,
    guidance_rescale: float | None = None,
) -> np.ndarray:
    """Samples of a class-conditional model (or of its ``sampler``), one row per class, at
    the classifier-free guidance weight ``guidance`` and rescale ``guidance_rescale``
    (defaults: the model's); ``consistent``:
    only samples the model itself classifies as their class (``sample(..., consistent=)``).

    Returns:
        grid picture of ``num_classes`` rows of ``per_class`` images.
    """
    labels = np.repeat(np.arange(int(model.config.num_classes)), per_class)
    if sampler is not None:
        draw = sampler.sample
    else:
        draw = model.generate
    images = draw(
        len(labels),
        seed=seed,
        condition=labels,
        guidance=guidance,
        consistent=consistent,
        guidance_rescale=guidance_rescale,
    )
    return image_grid(np.asarray(images), ncols=per_class)


def latent_scatter(
    codes: Any,
    labels: Any = None,
    path: str | Path | None = None,
    title: str = "latent space",
    class_names: list[str] | None = None,
) -> np.ndarray:
    """Scatter plot of codes ``[N, D]`` coloured by label; PCA to 2-D when ``D > 2``.

    Returns the figure as ``[H, W, 3]`` float in [0, 1]; also written as PNG to ``path``.
    (:func:`latent_space` draws a model's codes in its own geometry.)
    """
    import matplotlib

    matplotlib.use("Agg")
    return draw_codes(codes, "euclidean", labels, path=path, title=title, class_names=class_names)


def show(picture: str | Path) -> Path:
    """Display a PNG inline in Jupyter (IPython present and running); elsewhere print its path.

    Returns the path, so ``show(save_image_grid(images, "x.png"))`` reads naturally.
    """
    path = Path(picture)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Image(filename=str(path)))
    else:
        print(f"picture: {path}")
    return path


#: how :func:`latent_space` draws a model's codes, from its ``latent_geometry`` attribute
GEOMETRIES = ("euclidean", "poincare", "sphere")


def latent_space(
    model: Any,
    data: Any,
    labels: Any = None,
    path: str | Path | None = None,
    title: str | None = None,
    class_names: list[str] | None = None,
    ax: Any = None,
) -> np.ndarray | None:
    """The clustering picture: codes of ``data`` coloured by ``labels``, in the latent geometry.

    Euclidean latents are drawn in the plane (PCA to 2-D when ``latent_dim > 2``); a model whose
    ``latent_geometry`` is ``"poincare"`` in the Poincare disk (unit circle drawn, codes with
    ``latent_dim == 2``); ``"sphere"`` on the sphere (``latent_dim == 3``, 3-D axes; on the
    circle for ``latent_dim == 2``).

    Args:
        model: a tfvae model (``model.embed`` gives the codes).
        data: images ``[N, *input_shape]`` (or a dataset) to embed.
        labels: ``[N]`` integer classes, or ``None``.
        path: write the figure there as PNG.
        title: default: the model's class name and geometry.
        class_names: legend names of the classes.
        ax: draw into this matplotlib axes (3-D axes for the sphere) instead of a new figure.
    Returns:
        the figure as ``[H, W, 3]`` float in [0, 1] (``None`` when drawn into ``ax``).
    """
    import matplotlib

    matplotlib.use("Agg")

    geometry = model.latent_geometry
    if geometry not in GEOMETRIES:
        raise ValueError(f"unknown latent_geometry {geometry!r}; expected one of {GEOMETRIES}")
    codes = np.asarray(model.embed(data), np.float64)
    return draw_codes(
        codes,
        geometry,
        labels,
        path=path,
        class_names=class_names,
        ax=ax,
        title=title or f"{type(model).__name__} ({geometry} latent space)",
    )


def draw_codes(
    codes: np.ndarray,
    geometry: str = "euclidean",
    labels: Any = None,
    path: str | Path | None = None,
    title: str = "latent space",
    class_names: list[str] | None = None,
    ax: Any = None,
) -> np.ndarray | None:
    """:func:`latent_space` for codes already computed, ``[N, D]``."""
    import matplotlib.pyplot as plt

    codes = np.asarray(codes, np.float64)
    dim = codes.shape[1]
    sphere3d = geometry == "sphere" and dim == 3
    if geometry == "poincare" and dim != 2:
        raise ValueError(f"the Poincare disk picture needs latent_dim 2, got {dim}")
    if geometry == "sphere" and dim not in (2, 3):
        raise ValueError(f"the sphere picture needs latent_dim 2 or 3, got {dim}")
    names = ("z1", "z2")
    if geometry == "euclidean" and dim > 2:
        from sklearn.decomposition import PCA

        codes, names = PCA(n_components=2, random_state=0).fit_transform(codes), ("PC 1", "PC 2")
    elif dim == 1:
        codes = np.concatenate([codes, np.zeros_like(codes)], axis=1)
    own = ax is None
    if own:
        fig = plt.figure(figsize=(5, 5), dpi=100)
        ax = fig.add_subplot(projection="3d" if sphere3d else None)
    if sphere3d:
        u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 30), np.linspace(0, np.pi, 15))
        ax.plot_wireframe(
            np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v), color="0.85", linewidth=0.5
        )
    elif geometry in ("poincare", "sphere"):
        t = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.cos(t), np.sin(t), color="0.3", linewidth=1)
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_aspect("equal")
    groups = [(None, np.ones(len(codes), bool))]
    if labels is not None:
        labels = np.asarray(labels)
        groups = [(v, labels == v) for v in np.unique(labels)]
    for value, mask in groups:
        name = None if value is None else (class_names[int(value)] if class_names else str(value))
        points = codes[mask].T[: 3 if sphere3d else 2]
        ax.scatter(*points, s=4, alpha=0.6, label=name)
    if labels is not None:
        ax.legend(markerscale=3, fontsize=7, loc="best")
    if not sphere3d:
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    ax.set_title(title)
    if not own:
        return None
    return _figure_picture(fig, path)


def _figure_picture(fig: Any, path: str | Path | None) -> np.ndarray:
    """A matplotlib figure as ``[H, W, 3]`` float in [0, 1], written as PNG to ``path``."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.canvas.draw()
    picture = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(np.float32) / 255.0
    if path is not None:
        with safe_output(path) as tmp:
            fig.savefig(tmp)
    plt.close(fig)
    return picture


def sequence_plot(
    real: Any,
    other: Any = None,
    path: str | Path | None = None,
    labels: tuple[str, str] = ("input", "reconstruction"),
    ncols: int = 4,
    title: str = "",
) -> np.ndarray:
    """Line plots of sequences ``[N, T, C]`` (one panel each, every channel a line), with
    ``other`` (reconstructions ``[N, T, C]``) dashed on top; PNG to ``path``.

    Returns the figure as ``[H, W, 3]`` float in [0, 1].
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = np.asarray(real, np.float32)
    if real.ndim != 3:
        raise ValueError(f"sequence_plot: expected sequences [N, T, C], got {real.shape}")
    n = len(real)
    rows = math.ceil(n / ncols)
    fig, axes = plt.subplots(rows, min(n, ncols), figsize=(3 * min(n, ncols), 2 * rows), dpi=90)
    axes = np.atleast_1d(axes).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.axis("off")
            continue
        for c in range(min(real.shape[2], 6)):
            (line,) = ax.plot(real[i, :, c], linewidth=1, label=labels[0] if c == 0 else None)
            if other is not None:
                ax.plot(
                    np.asarray(other)[i, :, c],
                    "--",
                    color=line.get_color(),
                    linewidth=1,
                    label=labels[1] if c == 0 else None,
                )
        ax.tick_params(labelsize=6)
    if other is not None:
        axes[0].legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    return _figure_picture(fig, path)


def volume_slices(volumes: Any, path: str | Path | None = None, scale: int = 2) -> np.ndarray:
    """The three orthogonal mid-slices (axial, coronal, sagittal) of each volume
    ``[N, D, H, W, C]`` in a row, one row per volume, as ``[H', W', C]`` in [0, 1] (each
    volume min-max scaled); PNG to ``path``."""
    vols = np.asarray(volumes, np.float32)
    if vols.ndim == 4:
        vols = vols[..., None]
    if vols.ndim != 5:
        raise ValueError(f"volume_slices: expected volumes [N, D, H, W, C], got {vols.shape}")
    size = max(vols.shape[1:4])
    rows = []
    for vol in vols:
        vol = vol[..., :1]
        lo, hi = float(vol.min()), float(vol.max())
        vol = (vol - lo) / (hi - lo) if hi > lo else np.zeros_like(vol)
        d, h, w = (s // 2 for s in vol.shape[:3])
        panels = [vol[d], vol[:, h], vol[:, :, w]]
        padded = [
            np.pad(p, ((0, size - p.shape[0]), (0, size - p.shape[1]), (0, 0))) for p in panels
        ]
        rows.append(np.stack(padded))
    picture = image_grid(np.concatenate(rows), ncols=3)
    if path is not None:
        save_png(picture, path, scale=scale)
    return picture


def feature_histograms(
    real: Any,
    generated: Any,
    path: str | Path | None = None,
    names: list[str] | None = None,
    max_features: int = 12,
) -> np.ndarray:
    """Per-feature histograms of real vs generated vectors ``[N, D]`` (or two DataFrames:
    numeric columns as histograms, categorical ones as bar charts of frequencies); PNG to
    ``path``. Returns the figure as ``[H, W, 3]`` float in [0, 1]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = hasattr(real, "columns")
    columns = list(real.columns) if frames else None
    count = len(columns) if frames else np.asarray(real).shape[1]
    count = min(count, max_features)
    ncols = min(count, 4)
    rows = math.ceil(count / ncols)
    fig, axes = plt.subplots(rows, ncols, figsize=(3 * ncols, 2.2 * rows), dpi=90)
    axes = np.atleast_1d(axes).ravel()
    for i, ax in enumerate(axes):
        if i >= count:
            ax.axis("off")
            continue
        if frames:
            name = columns[i]
            r, g = real[name], generated[name]
            numeric = r.dtype.kind in "biuf"
        else:
            name = names[i] if names else f"feature {i}"
            r, g = np.asarray(real)[:, i], np.asarray(generated)[:, i]
            numeric = True
        if numeric:
            bins = np.histogram_bin_edges(np.concatenate([np.asarray(r), np.asarray(g)]), 20)
            ax.hist(np.asarray(r), bins, alpha=0.5, density=True, label="real")
            ax.hist(np.asarray(g), bins, alpha=0.5, density=True, label="generated")
        else:
            cats = sorted(set(map(str, r)) | set(map(str, g)))
            rf = [np.mean(np.asarray(r).astype(str) == c) for c in cats]
            gf = [np.mean(np.asarray(g).astype(str) == c) for c in cats]
            pos = np.arange(len(cats))
            ax.bar(pos - 0.2, rf, 0.4, label="real")
            ax.bar(pos + 0.2, gf, 0.4, label="generated")
            ax.set_xticks(pos, cats, fontsize=6, rotation=30)
        ax.set_title(str(name)[:28], fontsize=8)
        ax.tick_params(labelsize=6)
    axes[0].legend(fontsize=6)
    return _figure_picture(fig, path)


def example_picture(
    examples: Any, other: Any = None, path: str | Path | None = None, ncols: int | None = None
) -> np.ndarray:
    """The picture that suits the data's kind: an image grid (``other`` below as a second
    block), sequence line plots (``other`` dashed), volume mid-slices, or feature histograms
    of vectors (``other`` the second set). ``examples: [N, *input_shape]``."""
    x = np.asarray(examples, np.float32)
    rank = x.ndim - 1
    if rank == 3:
        both = x if other is None else np.concatenate([x, np.asarray(other, np.float32)])
        picture = image_grid(both, ncols=ncols or (len(x) if other is not None else None))
        if path is not None:
            save_png(picture, path, scale=2 if x.shape[1] <= 32 else 1)
        return picture
    if rank == 2:
        return sequence_plot(x, other, path)
    if rank == 4:
        both = x if other is None else np.concatenate([x, np.asarray(other, np.float32)])
        return volume_slices(both, path)
    if rank == 1:
        return feature_histograms(x, x if other is None else other, path)
    raise ValueError(f"example_picture: examples of rank {rank} {x.shape[1:]}")
