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
