from __future__ import annotations

import keras
import numpy as np
import pytest

import tfvae
from tests.conftest import max_abs_diff
from tfvae import nn

MODELS = ["AE", "VAE", "BetaVAE"]


def test_registry_names_are_case_insensitive_and_errors_list_models():
    assert tfvae.get_model_class("betavae") is tfvae.BetaVAE
    assert tfvae.get_model_class("Beta_VAE") is tfvae.BetaVAE
    with pytest.raises(ValueError, match="available models: " + ", ".join(tfvae.list_models())):
        tfvae.build_model("vea", input_shape=(4,))


def test_missing_input_shape_is_named():
    with pytest.raises(tfvae.ConfigError, match="VAEConfig.input_shape is required"):
        tfvae.VAE(tfvae.VAEConfig(latent_dim=2))
    with pytest.raises(tfvae.ConfigError, match="expects a BetaVAEConfig"):
        tfvae.BetaVAE(tfvae.VAEConfig(input_shape=(4,)))


def test_vae_loss_falls_on_real_fashion_mnist(fashion, seeded):
    model = tfvae.VAE(
        tfvae.VAEConfig(input_shape=(28, 28, 1), latent_dim=8, reconstruction_loss="bce")
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = model.evaluate(fashion.test, return_dict=True, verbose=0)
    history = model.fit(
        fashion.train,
        epochs=5,
        validation_data=fashion.validation,
        verbose=0,
        callbacks=fashion.callbacks(),
    )
    h = history.history
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(h)
    assert model.optimizer.iterations.numpy() == 5 * 57  # 1,800 images in batches of 32
    assert h["loss"][-1] < 0.75 * h["loss"][0]
    assert all(a > b for a, b in zip(h["loss"], h["loss"][1:], strict=False))
    after = model.evaluate(fashion.test, return_dict=True, verbose=0)
    assert after["loss"] < 0.6 * before["loss"]
    np.testing.assert_allclose(after["loss"], after["reconstruction"] + after["kl"], rtol=1e-5)


def test_history_terms_are_epoch_means_not_last_batch(digits, seeded):
    """With a zero learning rate, replaying the epoch's batches (same order, same step-keyed
    noise) and averaging by hand gives exactly what fit() reported."""
    model = tfvae.build_model("vae", input_shape=digits.input_shape, latent_dim=3)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    digits.epoch.assign(0)
    history = model.fit(
        digits.train,
        epochs=1,
        validation_data=digits.validation,
        verbose=0,
        callbacks=digits.callbacks(),
    )
    digits.epoch.assign(0)
    sums, count, last = {}, 0, None
    for step, x in enumerate(digits.train):
        model.optimizer.iterations.assign(step)
        terms = model.compute_loss_terms(x, training=True)
        n = int(x.shape[0])
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v) * n
        count += n
        last = terms
    for k in ("loss", "reconstruction", "kl"):
        np.testing.assert_allclose(history.history[k][0], sums[k] / count, rtol=1e-5)
    assert abs(history.history["loss"][0] - float(last["loss"])) > 1e-3
    val = {k: 0.0 for k in sums}
    model.optimizer.iterations.assign(step + 1)
    for x in digits.validation:
        terms = model.compute_loss_terms(x, training=False)
        for k, v in terms.items():
            val[k] += float(v) * int(x.shape[0])
    for k in ("loss", "kl"):
        np.testing.assert_allclose(
            history.history[f"val_{k}"][0], val[k] / len(digits.x_val), rtol=1e-5
        )


def _networks(kind, variational, activation):
    if kind == "default":
        return None, None
    return nn.benchmark_networks(
        kind, (28, 28, 1), 4, variational=variational, output_activation=activation, width=4
    )


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("kind", ["default", "conv", "resnet"])
def test_save_reload_gives_identical_outputs(name, kind, fashion, tmp_path, seeded):
    cls = tfvae.get_model_class(name)
    config = cls.config_class(input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce")
    encoder, decoder = _networks(kind, cls.variational, "linear")
    model = cls(config, encoder=encoder, decoder=decoder)
    model.compile(optimizer="adam")
    model.fit(fashion.x_train[:64], epochs=1, batch_size=32, verbose=0)  # moves BN statistics
    path = tmp_path / "m.keras"
    model.save(path)
    x = fashion.x_test[:8]
    z = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    for loaded in (keras.saving.load_model(path, safe_mode=True), tfvae.AutoModel.load(path)):
        assert type(loaded) is cls and loaded.config == model.config
        assert max_abs_diff(loaded.encode(x), model.encode(x)) == 0.0
        assert max_abs_diff(loaded.decode(z), model.decode(z)) == 0.0
        assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0


def test_auto_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="saved model not found"):
        tfvae.AutoModel.load(tmp_path / "nothing.keras")
    with pytest.raises(FileNotFoundError, match="no saved model in"):
        tfvae.AutoModel.load(tmp_path)
    plain = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    plain.save(tmp_path / "plain.keras")
    with pytest.raises(ValueError, match="not a tfvae model"):
        tfvae.AutoModel.load(tmp_path / "plain.keras")
    (tmp_path / "junk.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="not a Keras .keras archive"):
        tfvae.AutoModel.load(tmp_path / "junk.keras")


def test_inference_helpers_shapes_and_ranges(digits, seeded):
    model = tfvae.build_model(
        "betavae", input_shape=digits.input_shape, latent_dim=3, beta=2.0, reconstruction_loss="bce"
    )
    x = digits.x_test[:4]
    assert model.encode(x).shape == (4, 3)
    assert model.reconstruct(x).shape == (4, 8, 8, 1)
    assert model(x).shape == (4, 8, 8, 1)
    frames = model.interpolate(x[:2], x[2:], granularity=5)
    assert frames.shape == (2, 5, 8, 8, 1)
    np.testing.assert_allclose(frames[:, 0], model.reconstruct(x[:2]), atol=1e-6)
    np.testing.assert_allclose(frames[:, -1], model.reconstruct(x[2:]), atol=1e-6)
    assert model.embed(digits.test).shape == (len(digits.x_test), 3)
    samples = np.asarray(model.generate(7, seed=1))
    assert samples.shape == (7, 8, 8, 1) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, model.generate(7, seed=1))
    assert model.kl_weight() == 2.0


def test_beta_weights_the_kl(digits):
    x = digits.x_train[:16]
    keras.utils.set_random_seed(0)
    vae = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3)
    keras.utils.set_random_seed(0)
    beta = tfvae.build_model("betavae", input_shape=(8, 8, 1), latent_dim=3, beta=5.0)
    a, b = vae.compute_loss_terms(x), beta.compute_loss_terms(x)
    np.testing.assert_allclose(float(a["kl"]), float(b["kl"]), rtol=1e-6)
    np.testing.assert_allclose(
        float(b["loss"]), float(b["reconstruction"] + 5.0 * b["kl"]), rtol=1e-5
    )


def test_build_model_networks_by_kind_or_pair(digits):
    """One recipe: benchmark networks by kind with the decoder activation of the likelihood,
    a pair of one's own, or the model's defaults; models that declare
    ``benchmark_networks = False`` keep their own."""
    x = digits.x_train[:2]
    conv = tfvae.build_model(
        "vae",
        input_shape=(28, 28, 1),
        latent_dim=3,
        networks="conv",
        width=4,
        reconstruction_loss="bce",
    )
    assert type(conv.encoder).__name__ == "ConvEncoder28"
    assert conv.decoder.get_config()["output_activation"] == "linear"  # Bernoulli logits
    mse = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, networks="mlp", width=8)
    assert mse.decoder.get_config()["output_activation"] == "sigmoid"
    assert mse.decoder.get_config()["hidden"] == [8]
    enc, dec = tfvae.nn.benchmark_networks("mlp", (8, 8, 1), 3, width=5)
    own = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, networks=(enc, dec))
    assert own.encoder is enc and own.decoder is dec
    assert own(x).shape == (2, 8, 8, 1)
    # VQVAE takes the benchmark nets (flat codes); HRQVAE keeps its own
    vq = tfvae.build_model("vqvae", input_shape=(28, 28, 1), latent_dim=3, networks="conv", width=4)
    assert type(vq.encoder).__name__ == "ConvEncoder28" and vq.code_shape == (3,)
    hrq = tfvae.build_model("hrqvae", input_shape=(8, 8, 1), latent_dim=3, networks="mlp", width=8)
    assert not type(hrq).benchmark_networks
    assert hrq.encoder.get_config()["hidden"] != [8]
    with pytest.raises(tfvae.ConfigError, match="networks must be one of"):
        tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, networks="transformer")


def test_named_noise_streams_differ_and_are_step_keyed(digits):
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=3, seed=5)
    prior, posterior = model.noise_seed("prior"), model.noise_seed()
    assert not np.array_equal(prior, posterior)
    np.testing.assert_array_equal(model.noise_seed("prior"), prior)  # a pure function
    assert int(posterior[1]) == 0  # the step (no optimizer yet)
    with pytest.raises(TypeError, match="non-empty string"):
        model.noise_seed(1)


PYTHAE_FULL_MSE = ("AE", "RAE_L2", "RAE_GP", "WAE_MMD", "VQVAE", "HRQVAE")


@pytest.mark.parametrize("name", ["AE", "RAE_L2", "WAE_MMD", "VAE", "BetaVAE"])
def test_mse_scale_matches_pythaes_formula_per_model(name):
    """Pythae: ``||x - x'||^2`` summed for its deterministic models, ``0.5 ||x - x'||^2`` for
    the VAE family (Gaussian likelihood); tfvae's ``"mse"`` term follows each."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = tfvae.build_model(name, input_shape=(6,), latent_dim=2, reconstruction_loss="mse")
    x = np.random.default_rng(0).random((8, 6)).astype(np.float32)
    enc = model.encoder(x)
    z = enc["embedding"]  # the VAE's reconstruction term at the posterior mean, by hand
    recon_x = np.asarray(model.decoder(z)["reconstruction"])
    factor = 1.0 if name in PYTHAE_FULL_MSE else 0.5
    want = factor * ((x - recon_x) ** 2).sum(-1)
    np.testing.assert_allclose(model.reconstruction_term(tf.constant(x), recon_x), want, rtol=1e-5)
    if name in PYTHAE_FULL_MSE:
        terms = model.compute_loss_terms(tf.constant(x))
        assert float(terms["reconstruction"]) == pytest.approx(float(want.mean()), rel=1e-5)
    bce = tfvae.build_model(name, input_shape=(6,), latent_dim=2, reconstruction_loss="bce")
    assert bce.mse_scale == model.mse_scale  # the trait; bce itself is never rescaled
    logits = np.zeros((8, 6), np.float32)
    np.testing.assert_allclose(
        bce.reconstruction_term(tf.constant(x), logits), 6 * np.log(2.0), rtol=1e-6
    )


def test_the_full_mse_models_declare_it():
    for name in tfvae.list_models():
        expected = 2.0 if name in PYTHAE_FULL_MSE else 1.0
        assert tfvae.get_model_class(name).mse_scale == expected, name
