"""Models on every kind of data (issue 22's checks): a real-valued table with learned
variances, a mixed-type table through CSV, UCR sequences with Conv1D nets, 3-D volumes with
Conv3D nets (procedural and a real MRI), in the data's own units."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
from sklearn.linear_model import LogisticRegression

import tfvae
from tests.conftest import max_abs_diff
from tfvae.data.volumes import normalize_intensity, patches, read_nifti
from tfvae.training import TrainerConfig

NIBABEL_DATA = __import__("nibabel").__path__[0] + "/tests/data"


def _fit(model, x, epochs, batch_size=64, lr=3e-3):
    model.compile(keras.optimizers.Adam(lr))
    return model.fit(x, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=False)


def test_learned_variance_beats_unit_variance_on_breast_cancer():
    splits = tfvae.data.load("breast_cancer", validation_split=0.0, seed=0)
    x, x_test = splits.x_train, splits.x_test
    nll, models = {}, {}
    for loss in ("mse", "gaussian_learned"):
        keras.utils.set_random_seed(0)
        model = tfvae.build_model(
            "vae",
            input_shape=(30,),
            latent_dim=8,
            width=128,
            reconstruction_loss=loss,
            preprocessing="standardize",
        )
        history = _fit(model, x, epochs=60)
        assert history.history["loss"][-1] < history.history["loss"][0]
        nll[loss] = model.nll(x_test, n_samples=64, seed=1)
        models[loss] = model
    learned, unit = nll["gaussian_learned"], nll["mse"]
    # nats per example in the data's units (the standardisation's Jacobian included)
    assert learned.nll + 3 * learned.stderr < unit.nll, (learned, unit)
    assert learned.bits_per_dim is None and "nats per example" in str(learned)
    # Rows from a GMM fitted on the codes (decoding prior samples under-disperses: the
    # aggregate posterior is wider than N(0, I)), drawn from p(x|z), in the data's units.
    # Compared with the training rows the model fitted: the 114 test rows differ from them
    # by up to 18% in a feature's mean and 41% in its std (heavy-tailed "area error").
    model = models["gaussian_learned"]
    gmm = tfvae.build_sampler("gmm", model, n_components=30).fit(x)
    rows = gmm.sample(4000, seed=3, noise=True)
    assert rows.shape == (4000, 30)
    mean, std = x.mean(0), x.std(0)
    assert np.all(np.abs(rows.mean(0) - mean) <= 0.1 * np.abs(mean)), rows.mean(0) / mean
    # stds within 15%: the heavy-tailed "error" features come out 13-14% narrow on an AVX2
    # CPU (float rounding steers the 60 epochs elsewhere), within 10% on earlier machines
    assert np.all(np.abs(rows.std(0) - std) <= 0.15 * std), rows.std(0) / std


def test_mixed_type_table_round_trips_through_csv(tmp_path):
    rng = np.random.default_rng(0)
    base = tfvae.data.load("wine", validation_split=0.0).x_train
    frame = pd.DataFrame(base[:, :4], columns=["alcohol", "malic_acid", "ash", "alcalinity"])
    frame["grade"] = np.where(base[:, 0] > 13.0, "high", "low")
    frame["region"] = rng.choice(["north", "south", "east"], len(frame))
    frame["organic"] = base[:, 1] > 2.0
    frame["bottles"] = rng.integers(10, 100, len(frame))
    frame.to_csv(tmp_path / "wine.csv", index=False)
    splits = tfvae.data.load(
        tmp_path / "wine.csv", categorical=["grade", "region"], validation_split=0.0
    )
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=splits.input_shape,
        latent_dim=4,
        width=64,
        reconstruction_loss="gaussian_learned",
        preprocessing="standardize",
        **splits.model_fields(),
    )
    history = _fit(model, splits.x_train, epochs=40, batch_size=32)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    generated = tfvae.data.to_frame(reloaded, reloaded.generate(300, noise=True), sample=True)
    original = pd.read_csv(tmp_path / "wine.csv")
    assert list(generated.columns) == list(original.columns)
    assert dict(generated.dtypes.astype(str)) == dict(original.dtypes.astype(str))
    assert set(generated["region"]) <= {"north", "south", "east"}
    assert set(generated["grade"]) == {"high", "low"}
    # the numeric columns come back in their units (alcohol: 11-15 % vol)
    assert abs(generated["alcohol"].mean() - original["alcohol"].mean()) < 0.5
    x = splits.x_train[:8]
    assert max_abs_diff(reloaded.reconstruct(x), model.reconstruct(x)) == 0.0


def test_sequence_vae_on_gunpoint_codes_separate_the_classes(tmp_path):
    splits = tfvae.data.load("ucr:GunPoint", validation_split=0.0)
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=(150, 1),
        latent_dim=8,
        networks="conv",
        width=16,
        reconstruction_loss="gaussian_learned",
        preprocessing="standardize",
    )
    assert isinstance(model.encoder, tfvae.nn.ConvNDEncoder)
    history = _fit(model, splits.x_train, epochs=60, batch_size=10)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] - 50, losses[::10]
    recon = np.asarray(model.reconstruct(splits.x_test[:4]))
    assert recon.shape == (4, 150, 1)
    picture = tfvae.plots.sequence_plot(splits.x_test[:4], recon, tmp_path / "recon.png")
    assert (tmp_path / "recon.png").stat().st_size > 5000 and picture.std() > 0.05
    clf = LogisticRegression(max_iter=2000).fit(model.embed(splits.x_train), splits.y_train)
    accuracy = clf.score(model.embed(splits.x_test), splits.y_test)
    assert accuracy > 0.75, accuracy  # chance: 0.5


class _Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt("killed after epoch 2")


def _volume_vae(seed=0):
    keras.utils.set_random_seed(seed)
    return tfvae.build_model(
        "vae",
        input_shape=(32, 32, 32, 1),
        latent_dim=6,
        networks="conv",
        width=4,
        reconstruction_loss="bce",
    )


def test_volume_vae_trains_saves_resumes_and_exports(tmp_path):
    x, _ = tfvae.data.make_volumes(48, size=32, seed=0)
    tf.config.experimental.enable_op_determinism()

    def run(out, callbacks=()):
        config = TrainerConfig(
            output_dir=str(out), epochs=4, batch_size=16, learning_rate=3e-3, verbose=0
        )
        return tfvae.TrainingPipeline(_volume_vae(), config)(x, callbacks=list(callbacks))

    full = run(tmp_path / "full")
    assert full.history["loss"][-1] < full.history["loss"][0]
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "killed", [_Kill()])
    run(tmp_path / "killed")
    a = keras.saving.load_model(tmp_path / "full" / "model.keras", safe_mode=True)
    b = keras.saving.load_model(tmp_path / "killed" / "model.keras", safe_mode=True)
    assert max_abs_diff(a.reconstruct(x[:4]), b.reconstruct(x[:4])) == 0.0
    assert (tmp_path / "full" / "samples.png").is_file()
    assert (tmp_path / "full" / "reconstructions.png").is_file()
    path = tfvae.export.saved_model(a, tmp_path / "served")
    served = tf.saved_model.load(str(path))
    spec = served.signatures["serving_default"].structured_input_signature[1]["x"]
    assert tuple(spec.shape) == (None, 32, 32, 32, 1)
    out = served.signatures["serving_default"](x=tf.constant(x[:2]))["reconstruction"]
    np.testing.assert_allclose(out.numpy(), np.asarray(a(x[:2])), atol=1e-5)
    sample = served.signatures["sample"](num_samples=tf.constant(2), seed=tf.constant(1))
    assert tuple(sample["samples"].shape) == (2, 32, 32, 32, 1)


def test_volume_vae_on_patches_of_a_real_mri(tmp_path):
    volume = normalize_intensity(read_nifti(f"{NIBABEL_DATA}/anatomical.nii"))
    x = patches(volume, 16, stride=4)
    assert x.shape[1:] == (16, 16, 16, 1) and len(x) >= 100
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=(16, 16, 16, 1),
        latent_dim=8,
        networks="conv",
        width=8,
        reconstruction_loss="gaussian_learned",
        preprocessing="standardize",
    )
    history = _fit(model, x, epochs=6, batch_size=16)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "mri.keras")
    again = keras.saving.load_model(tmp_path / "mri.keras", safe_mode=True)
    assert max_abs_diff(again.reconstruct(x[:3]), model.reconstruct(x[:3])) == 0.0
    tfvae.plots.volume_slices(np.asarray(again.generate(2)), tmp_path / "slices.png")
    assert (tmp_path / "slices.png").is_file()


def test_discretized_likelihood_reports_bits_per_dim(digits):
    keras.utils.set_random_seed(0)
    x = np.round(digits.x_train[:256] * 255.0) / 255.0
    model = tfvae.build_model(
        "vae", input_shape=(8, 8, 1), latent_dim=4, reconstruction_loss="discretized_logistic"
    )
    _fit(model, x, epochs=8, batch_size=32)
    est = model.nll(x[:32], n_samples=16)
    assert est.bits_per_dim == pytest.approx(est.nll / (64 * np.log(2.0)))
    assert 0.0 < est.bits_per_dim < 8.0  # below the 8 bits of a uniform pixel
    assert "bits/dim" in str(est)


def test_bernoulli_refuses_real_values_and_names_the_fix(seeded):
    model = tfvae.build_model("vae", input_shape=(3,), latent_dim=2, reconstruction_loss="bce")
    with pytest.raises(tfvae.data.DataError, match="values in \\[-2, 5\\].*preprocessing='minmax'"):
        model.fit(np.array([[-2.0, 0.0, 5.0]] * 4, np.float32), epochs=1, verbose=0)
    late = np.full((5000, 3), 0.5, np.float32)
    late[4500, 1] = 1.5  # every row is checked, not only the first chunk
    with pytest.raises(tfvae.data.DataError, match="values in \\[0.5, 1.5\\]"):
        model.check_data(late)
    minmax = tfvae.build_model(
        "vae", input_shape=(3,), latent_dim=2, reconstruction_loss="bce", preprocessing="minmax"
    )
    minmax.compile("adam")
    minmax.fit(np.array([[-2.0, 0.0, 5.0], [1.0, 2.0, 3.0]] * 4, np.float32), epochs=1, verbose=0)
    with pytest.raises(tfvae.ConfigError, match="not fitted yet; call model.adapt"):
        unfitted = tfvae.build_model("vae", input_shape=(3,), latent_dim=2, preprocessing="minmax")
        unfitted.compile("adam")
        unfitted.fit(tf.data.Dataset.from_tensors(np.zeros((2, 3), np.float32)), verbose=0)


def test_per_example_variance_from_a_decoder_head(tmp_path):
    splits = tfvae.data.load("breast_cancer", validation_split=0.0, seed=0)
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=(30,),
        latent_dim=4,
        width=64,
        reconstruction_loss="gaussian_heteroscedastic",
        preprocessing="standardize",
    )
    assert model.decoder.scale is not None  # the default decoder grew a log_scale head
    history = _fit(model, splits.x_train, epochs=10)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(model.nll(splits.x_test[:16], n_samples=8).nll)
    model.save(tmp_path / "h.keras")
    again = keras.saving.load_model(tmp_path / "h.keras", safe_mode=True)
    x = splits.x_test[:4]
    assert max_abs_diff(again.reconstruct(x), model.reconstruct(x)) == 0.0
    seq = tfvae.build_model(
        "vae",
        input_shape=(20, 2),
        latent_dim=2,
        networks="conv",
        width=4,
        reconstruction_loss="gaussian_heteroscedastic",
    )
    assert seq.decoder(tf.zeros((1, 2)))["log_scale"].shape == (1, 20, 2)
    with pytest.raises(ValueError, match="no log_scale head"):
        tfvae.build_model(
            "vae",
            input_shape=(28, 28, 1),
            latent_dim=2,
            networks="conv",
            reconstruction_loss="gaussian_heteroscedastic",
        )
    with pytest.raises(ValueError, match="also returns 'log_scale'"):
        tfvae.build_model(
            "vae",
            input_shape=(6,),
            latent_dim=2,
            networks=(tfvae.nn.MLPEncoder(2), tfvae.nn.MLPDecoder((6,))),
            reconstruction_loss="gaussian_heteroscedastic",
        )
