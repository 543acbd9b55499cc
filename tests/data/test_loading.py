from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from PIL import Image

import tfvae
from tfvae.data import DataError, as_images, make_dataset, read_idx


def _write_idx(path, arr, gz):
    header = struct.pack(">BBBB", 0, 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    opener = gzip.open if gz else open
    with opener(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def _batches(ds):
    return [b.numpy() for b in ds]


def test_array_uint8_is_scaled_and_channels_added():
    x = np.random.default_rng(0).integers(0, 256, (50, 6, 6), dtype=np.uint8)
    data = tfvae.data.load(x, batch_size=8, validation_split=0.2)
    assert data.input_shape == (6, 6, 1)
    assert data.x_train.dtype == np.float32 and data.x_train.max() <= 1.0
    assert len(data.x_train) == 40 and len(data.x_val) == 10 and data.test is None
    got = np.concatenate(_batches(data.train))
    assert got.shape == (40, 6, 6, 1)
    np.testing.assert_allclose(np.sort(got.ravel()), np.sort(data.x_train.ravel()))
    np.testing.assert_allclose(as_images(x)[..., 0], x / 255.0, rtol=1e-6)


def test_vectors_are_accepted():
    x = np.random.default_rng(0).random((30, 5)).astype(np.float32)
    data = tfvae.data.load(x, batch_size=10, validation_split=0.0)
    assert data.input_shape == (5,) and data.validation is None


@pytest.mark.parametrize("gz", [True, False])
def test_idx_raw_and_gzip(tmp_path, gz):
    arr = np.arange(3 * 4 * 5).reshape(3, 4, 5) % 256
    path = tmp_path / ("images-idx3-ubyte" + (".gz" if gz else ""))
    _write_idx(path, arr, gz)
    np.testing.assert_array_equal(read_idx(path), arr)
    data = tfvae.data.load(str(path), validation_split=0.0)
    assert data.input_shape == (4, 5, 1) and len(data.x_train) == 3


def test_idx_truncated_is_refused(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    _write_idx(path, np.zeros((3, 4, 5)), gz=False)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_npz_with_splits(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(
        path,
        x_train=rng.random((20, 4, 4, 3)),
        y_train=np.arange(20),
        x_test=rng.random((6, 4, 4, 3)),
        y_test=np.arange(6),
    )
    data = tfvae.data.load(path, validation_split=0.25, batch_size=4)
    assert data.input_shape == (4, 4, 3)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (15, 5, 6)
    assert data.y_train is not None and len(data.y_train) == 15


def test_npz_refuses_pickles(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="object arrays are pickles"):
        tfvae.data.load(path)


def test_image_folder_with_class_subfolders(tmp_path):
    for label in ("cat", "dog"):
        (tmp_path / label).mkdir()
        for i in range(3):
            pixels = np.full((5, 7), 40 * i + (100 if label == "dog" else 0), np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    data = tfvae.data.load(tmp_path, validation_split=0.0)
    assert data.input_shape == (5, 7, 1)
    assert sorted(data.y_train.tolist()) == [0, 0, 0, 1, 1, 1]


def test_image_folder_with_mixed_sizes_is_refused(tmp_path):
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((6, 5), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(DataError, match="mixed shapes"):
        tfvae.data.load(tmp_path)


def test_digits_offline(digits):
    assert digits.input_shape == (8, 8, 1)
    assert len(digits.x_train) + len(digits.x_val) + len(digits.x_test) == 1797
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() <= 1.0


def test_fashion_mnist_real_files(fashion):
    assert fashion.input_shape == (28, 28, 1)
    assert (len(fashion.x_train), len(fashion.x_val), len(fashion.x_test)) == (1800, 200, 500)
    assert set(np.unique(fashion.y_train)) == set(range(10))


def test_fashion_mnist_missing_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(tfvae.data.named, "fashion_mnist_dirs", lambda: [tmp_path])
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        tfvae.data.load("fashion_mnist")


def test_tfds_name_without_files_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        tfvae.data.named.load_tfds("mnist", data_dir=str(tmp_path))


def test_missing_path_is_named():
    with pytest.raises(FileNotFoundError, match="no/such/file.npz"):
        tfvae.data.load("no/such/file.npz")


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.full((4, 3, 3), np.nan, np.float32), "NaN"),
        (np.array([[[0.5, np.inf]]], np.float32), "NaN/Inf"),
        (np.zeros((0, 28, 28), np.float32), "empty"),
        (np.zeros((4, 2, 3, 3, 1, 1), np.float32), "rank 6"),
        (np.zeros((4,), np.float32), "rank 1"),
        (np.array([["a", "b"]]), "numeric"),
        (np.zeros((2, 3), np.complex64), "numeric"),
        ([np.zeros((3, 3)), np.zeros((4, 3))], "mixed shapes"),
        ("not_a_dataset_name_or_path.png", "not found"),
    ],
)
def test_bad_input_is_named(x, message):
    with pytest.raises((DataError, FileNotFoundError), match=message):
        tfvae.data.load(x)


def test_bad_batch_size_and_split():
    x = np.zeros((10, 2), np.float32)
    with pytest.raises(DataError, match="batch_size"):
        tfvae.data.load(x, batch_size=0)
    with pytest.raises(DataError, match="validation_split"):
        tfvae.data.load(x, validation_split=1.5)


def test_shuffle_is_a_function_of_seed_and_epoch():
    x = np.arange(40, dtype=np.float32).reshape(40, 1) / 40
    ds = make_dataset(x, 8, shuffle=True, seed=3)
    first, second = np.concatenate(_batches(ds)), np.concatenate(_batches(ds))
    assert sorted(first.ravel().tolist()) == sorted(x.ravel().tolist())
    assert not np.array_equal(first, second), "each pass must reshuffle"
    data = tfvae.data.load(x, batch_size=8, validation_split=0.0, seed=3)
    data.epoch.assign(1)
    again = np.concatenate(_batches(data.train))
    data.epoch.assign(1)
    np.testing.assert_array_equal(again, np.concatenate(_batches(data.train)))
    data.epoch.assign(0)
    epoch0 = np.concatenate(_batches(data.train))
    assert not np.array_equal(epoch0, again)
    replay = make_dataset(data.x_train, 8, shuffle=True, seed=3)
    np.testing.assert_array_equal(np.concatenate(_batches(replay)), epoch0)


def test_pipelines_run_without_the_tf_data_autotuner(seeded):
    """The autotuner's thread stalls the end of every epoch for seconds on long epochs
    (tools/bench_paths.py); tfvae's pipelines, and fit on arrays, do without it."""
    x = np.arange(40, dtype=np.float32).reshape(40, 1) / 40
    assert make_dataset(x, 8, shuffle=True).options().autotune.enabled is False
    model = tfvae.build_model("vae", input_shape=(1,), latent_dim=1)
    seen = []
    model.compile(optimizer="adam")
    original = model._array_pipeline

    def spy(*args, **kwargs):
        ds = original(*args, **kwargs)
        seen.append(ds.options().autotune.enabled)
        return ds

    model._array_pipeline = spy
    model.fit(x, batch_size=8, epochs=1, verbose=0, validation_data=x[:8])
    assert seen == [False, False]  # the training and the validation arrays
    # Keras's own array path stays for what only it does
    model.fit(x, batch_size=8, epochs=1, verbose=0, validation_split=0.25)
    assert seen == [False, False]


def test_binarize_and_dequantize():
    x = np.full((64, 4, 4), 0.5, np.float32)
    data = tfvae.data.load(x, validation_split=0.0, binarize=True, batch_size=64)
    b = _batches(data.train)[0]
    assert set(np.unique(b).tolist()) == {0.0, 1.0}
    assert 0.4 < b.mean() < 0.6
    data = tfvae.data.load(x, validation_split=0.0, dequantize=True, batch_size=64)
    d = _batches(data.train)[0]
    assert d.min() >= 127.5 / 256 and d.max() <= 128.5 / 256 and d.std() > 0
