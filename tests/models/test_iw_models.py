"""IWAE, MIWAE, PIWAE, CIWAE and VAMP: closed-form relations, training on real data,
save/reload, multi-optimizer state, samplers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff

IW_MODELS = ["IWAE", "MIWAE", "PIWAE", "CIWAE", "VAMP"]


def _build(name, **fields):
    keras.utils.set_random_seed(0)
    return tfvae.build_model(
        name, input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce", **fields
    )


def _same_weights(models):
    for m in models[1:]:
        m.set_weights(models[0].get_weights())


def test_bounds_agree_where_they_must(fashion):
    x = tf.constant(fashion.x_train[:16])
    iwae = _build("iwae", number_samples=6)
    miwae1 = _build("miwae", number_samples=6, number_gradient_estimates=1)
    ciwae0 = _build("ciwae", number_samples=6, beta=0.0)
    ciwae1 = _build("ciwae", number_samples=6, beta=1.0)
    piwae = _build("piwae", number_samples=3, number_gradient_estimates=2)
    miwae = _build("miwae", number_samples=3, number_gradient_estimates=2)
    _same_weights([iwae, miwae1, ciwae0, ciwae1, piwae, miwae])
    loss = float(iwae.compute_loss_terms(x)["loss"])
    assert float(miwae1.compute_loss_terms(x)["loss"]) == pytest.approx(loss, rel=1e-6)
    assert float(ciwae0.compute_loss_terms(x)["loss"]) == pytest.approx(loss, rel=1e-6)
    log_w = iwae.importance_terms(x, 6)["log_w"].numpy().astype(np.float64)
    elbo = -log_w.mean(0).mean()
    assert float(ciwae1.compute_loss_terms(x)["loss"]) == pytest.approx(elbo, rel=1e-5)
    iw_bound = -(np.log(np.mean(np.exp(log_w - log_w.max(0)), 0)) + log_w.max(0)).mean()
    assert loss == pytest.approx(iw_bound, rel=1e-5)
    assert iw_bound <= elbo + 1e-3, "the IWAE bound is tighter than the ELBO"
    p = piwae.compute_loss_terms(x)
    assert float(p["decoder_loss"]) == pytest.approx(loss, rel=1e-6)  # IWAE with M * K = 6
    assert float(p["encoder_loss"]) == pytest.approx(
        float(miwae.compute_loss_terms(x)["loss"]), rel=1e-6
    )


@pytest.mark.parametrize("name", IW_MODELS)
def test_trains_on_fashion_mnist_saves_reloads_and_samples(name, fashion, tmp_path):
    model = _build(name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = model.evaluate(fashion.validation, return_dict=True, verbose=0)["loss"]
    history = model.fit(fashion.train, epochs=3, verbose=0, callbacks=fashion.callbacks())
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model.evaluate(fashion.validation, return_dict=True, verbose=0)["loss"] < 0.7 * before
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    x = fashion.x_test[:8]
    assert max_abs_diff(loaded.encode(x), model.encode(x)) == 0.0
    assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    assert max_abs_diff(loaded.prior().log_prob(z), model.prior().log_prob(z)) == 0.0
    sampler = tfvae.build_sampler("vamp" if name == "VAMP" else "normal", loaded)
    samples = sampler.sample(6, seed=0)
    assert samples.shape == (6, 28, 28, 1) and 0.0 <= samples.min() and samples.max() <= 1.0
    nll = loaded.nll(x, n_samples=20)
    assert 0 < nll.nll < 784 * np.log(2)


def test_vamp_pseudo_inputs_are_trained(fashion):
    model = _build("vamp", number_components=10)
    start = model.pseudo_input_images().numpy()
    assert start.shape == (10, 28, 28, 1) and start.min() >= 0 and start.max() <= 1
    model.compile(optimizer="adam")
    model.fit(fashion.x_train[:256], epochs=1, batch_size=32, verbose=0)
    assert max_abs_diff(model.pseudo_input_images(), start) > 1e-3
    assert any(v is model.pseudo_inputs.kernel for v in model.trainable_variables)


def test_vamp_kl_warmup_and_monte_carlo_kl(fashion):
    model = _build("vamp", number_components=5, kl_warmup_steps=10)
    model.compile(optimizer="adam")
    assert float(model.kl_weight()) == pytest.approx(0.1)
    model.optimizer.iterations.assign(100)
    assert float(model.kl_weight()) == 1.0
    with pytest.raises(tfvae.ConfigError, match="VAMPConfig.number_components"):
        tfvae.VAMPConfig(number_components=0)


def test_piwae_has_two_optimizers_whose_state_is_saved_and_restored(fashion, tmp_path):
    model = _build("piwae", number_samples=2, number_gradient_estimates=2)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    encoder_opt = model.group_optimizers["encoder_loss"]
    assert encoder_opt is not model.optimizer and isinstance(encoder_opt, keras.optimizers.Adam)
    enc_before = [v.numpy() for v in model.encoder.trainable_variables]
    model.fit(fashion.x_train[:64], epochs=1, batch_size=32, verbose=0)
    assert int(model.optimizer.iterations) == 2 and int(encoder_opt.iterations) == 2
    assert all(
        max_abs_diff(a, b.numpy()) > 0
        for a, b in zip(enc_before, model.encoder.trainable_variables, strict=True)
    )
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = _build("piwae", number_samples=2, number_gradient_estimates=2)
    fresh.compile(optimizer=keras.optimizers.Adam(1e-3))
    fresh.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(
        encoder_opt.variables, fresh.group_optimizers["encoder_loss"].variables, strict=True
    ):
        assert max_abs_diff(a, b) == 0.0
    with pytest.raises(ValueError, match="unknown groups"):
        fresh.compile(optimizer="adam", optimizers={"generator": "adam"})


def test_vamp_sampler_refuses_other_models():
    with pytest.raises(TypeError, match="needs a VAMP model"):
        tfvae.samplers.VAMPSampler(tfvae.build_model("vae", input_shape=(4,), latent_dim=2))
