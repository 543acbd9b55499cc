from __future__ import annotations

import numpy as np
from PIL import Image

import tfvae
from tfvae import plots


def test_image_grid_layout():
    images = np.stack([np.full((2, 3, 1), v, np.float32) for v in (0.0, 0.25, 0.5, 0.75, 1.0)])
    grid = plots.image_grid(images, ncols=3, pad=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 1)
    assert grid[1, 1, 0] == 0.0 and grid[1, 5, 0] == 0.25 and grid[4, 1, 0] == 0.75


def test_pictures_of_a_model(digits, tmp_path):
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
    x = digits.x_test
    path = tmp_path / "scatter.png"
    picture = plots.latent_scatter(model.embed(x), digits.y_test, path)
    assert picture.ndim == 3 and picture.shape[-1] == 3 and path.is_file()
    strip = plots.interpolation_strip(model, x[:2], x[2:4], granularity=6)
    assert strip.shape == (2 * 9 + 1, 6 * 9 + 1, 1)
    traversal = plots.latent_traversals(model, x[0], steps=5)
    assert traversal.shape == (3 * 9 + 1, 5 * 9 + 1, 1)
    png = plots.save_image_grid(x[:10], tmp_path / "g.png", scale=2)
    assert Image.open(png).size == ((4 * 9 + 1) * 2, (3 * 9 + 1) * 2)


class _Coded:
    """Stands for a model: ``embed`` returns fixed codes; ``latent_geometry`` as models set it."""

    def __init__(self, codes, geometry):
        self.codes, self.latent_geometry = codes, geometry

    def embed(self, data):
        return self.codes


def test_latent_space_draws_each_geometry(digits, tmp_path):
    import pytest

    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=2)
    flat = plots.latent_space(model, digits.x_test, digits.y_test, tmp_path / "flat.png")
    assert flat.shape[-1] == 3 and (tmp_path / "flat.png").is_file()
    rng = np.random.default_rng(0)
    disk = rng.normal(size=(200, 2)) * 0.3
    in_disk = plots.latent_space(_Coded(disk, "poincare"), None, rng.integers(0, 3, 200))
    as_plane = plots.draw_codes(disk, "euclidean", None)
    assert in_disk.shape == as_plane.shape and np.abs(in_disk - as_plane).max() > 0.5
    ball = rng.normal(size=(200, 3))
    ball /= np.linalg.norm(ball, axis=1, keepdims=True)
    sphere = plots.latent_space(_Coded(ball, "sphere"), None, path=tmp_path / "sphere.png")
    assert sphere.ndim == 3 and (tmp_path / "sphere.png").is_file()
    with pytest.raises(ValueError, match="Poincare disk picture needs latent_dim 2, got 3"):
        plots.latent_space(_Coded(ball, "poincare"), None)
    with pytest.raises(ValueError, match="unknown latent_geometry 'torus'"):
        plots.latent_space(_Coded(ball, "torus"), None)
