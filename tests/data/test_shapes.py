"""The procedural dSprites-like dataset: factor semantics, determinism, cache, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tfvae
from tfvae.data.shapes import (
    DSPRITES_BASES,
    FACTOR_SIZES,
    DSprites,
    Shapes,
    dsprites_index,
    load_shapes,
    render,
)


def _centre(image):
    rows, cols = np.nonzero(image[..., 0])
    return cols.mean(), rows.mean()


def test_each_factor_changes_what_it_names():
    base = np.array([[0, 2, 0, 10, 10]])
    img = render(base)[0]
    assert img.shape == (64, 64, 1) and set(np.unique(img)) == {0.0, 1.0}
    right = render(base + [0, 0, 0, 10, 0])[0]
    down = render(base + [0, 0, 0, 0, 10])[0]
    bigger = render(base + [0, 3, 0, 0, 0])[0]
    turned = render(base + [0, 0, 5, 0, 0])[0]  # 5/39 of a turn: a square is not symmetric
    assert _centre(right)[0] - _centre(img)[0] == pytest.approx(10 * 36 / 31, abs=1.0)
    assert _centre(down)[1] > _centre(img)[1] + 10, "pos_y grows down the rows"
    assert bigger.sum() > 1.8 * img.sum()  # scale 0.7 -> 1.0: area x ~2
    assert abs(turned.sum() - img.sum()) < 0.1 * img.sum() and not np.array_equal(turned, img)
    shapes = render(np.array([[s, 5, 0, 16, 16] for s in range(3)]))
    assert len({s.tobytes() for s in shapes}) == 3
    ellipse_area = shapes[1].sum() / shapes[0].sum()  # pi * 1 * 0.5 / (1.6 * 1.6)
    assert ellipse_area == pytest.approx(np.pi * 0.5 / 2.56, rel=0.1)


def test_every_shape_stays_inside_the_image():
    corners = np.array(
        [[s, 5, o, x, y] for s in range(3) for o in (0, 5, 14) for x in (0, 31) for y in (0, 31)]
    )
    images = render(corners)
    assert images[:, 0].sum() == images[:, -1].sum() == 0
    assert images[:, :, 0].sum() == images[:, :, -1].sum() == 0
    # nothing is clipped at the borders: the area matches the centred shape (up to aliasing
    # of edges on the pixel grid)
    moved = corners.copy()
    moved[:, 3:] = 16
    np.testing.assert_allclose(images.sum((1, 2, 3)), render(moved).sum((1, 2, 3)), rtol=0.15)


def test_sampling_is_seeded_and_cached(tmp_path):
    data = Shapes()
    f1, x1 = data.sample(50, np.random.default_rng(3))
    f2, x2 = data.sample(50, np.random.default_rng(3))
    np.testing.assert_array_equal(f1, f2)
    np.testing.assert_array_equal(x1, x2)
    assert f1.shape == (50, 5) and (f1.max(0) < FACTOR_SIZES).all()
    (x, f), (xt, ft) = load_shapes(100, 20, seed=5, cache_dir=tmp_path)
    assert (tmp_path / "shapes_100_20_5.npz").is_file()
    (x_again, f_again), _ = load_shapes(100, 20, seed=5, cache_dir=tmp_path)
    np.testing.assert_array_equal(x, x_again)
    np.testing.assert_array_equal(x, (render(f) * 255).astype(np.uint8))
    assert x.dtype == np.uint8 and xt.shape == (20, 64, 64, 1) and ft.shape == (20, 5)


def test_load_by_name_gives_splits_labelled_by_shape(tmp_path, monkeypatch):
    monkeypatch.setenv("TFVAE_DATA_DIR", str(tmp_path))
    import tfvae.data.loading as loading

    monkeypatch.setattr(loading, "load_shapes", lambda seed=0: load_shapes(60, 10, seed))
    data = tfvae.data.load("shapes", batch_size=16)
    assert data.input_shape == (64, 64, 1) and data.class_names == ["square", "ellipse", "heart"]
    assert set(np.unique(data.y_train)) <= {0, 1, 2} and data.x_train.max() == 1.0


def test_factor_errors_and_dsprites_loader(tmp_path):
    data = Shapes()
    with pytest.raises(tfvae.data.DataError, match=r"factors must be \[n, 5\]"):
        data.sample_observations_from_factors(np.zeros((2, 4), int))
    with pytest.raises(tfvae.data.DataError, match="out of range"):
        data.sample_observations_from_factors(np.array([[3, 0, 0, 0, 0]]))
    with pytest.raises(tfvae.data.DataError, match="integers"):
        data.sample_observations_from_factors(np.zeros((1, 5)))
    with pytest.raises(FileNotFoundError, match="dsprites_ndarray"):
        DSprites(tmp_path / "missing.npz")
    np.savez(tmp_path / "wrong.npz", images=np.zeros((2, 64, 64)))
    with pytest.raises(tfvae.data.DataError, match="no 'imgs'"):
        DSprites(tmp_path / "wrong.npz")


def test_dsprites_index_follows_the_files_latent_bases():
    # dSprites' metadata: latents_bases = [737280, 245760, 40960, 1024, 32, 1] (colour first)
    np.testing.assert_array_equal(DSPRITES_BASES, [245760, 40960, 1024, 32, 1])
    last = np.array([[s - 1 for s in FACTOR_SIZES]])
    assert dsprites_index(last)[0] == np.prod(FACTOR_SIZES) - 1
