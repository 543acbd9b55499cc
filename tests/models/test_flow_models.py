"""VAE_LinNF and VAE_IAF: change of variables, training on real data, NLL, save/reload,
generation, jit; MAF / IAF samplers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import tfvae
from tests.conftest import max_abs_diff

tfd = tfp.distributions
FLOW_MODELS = {
    "VAE_LinNF": {"flows": ["Planar", "Radial", "Planar"]},
    "VAE_IAF": {"hidden_size": 32},
}


def _build(name):
    keras.utils.set_random_seed(0)
    return tfvae.build_model(
        name, input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce", **FLOW_MODELS[name]
    )


@pytest.mark.parametrize("name", FLOW_MODELS)
def test_posterior_log_prob_of_own_samples_is_the_change_of_variables(name, fashion):
    model = _build(name)
    model.compile(optimizer="adam")
    model.fit(fashion.x_train[:128], epochs=1, batch_size=32, verbose=0)  # non-identity flows
    enc = model.encoder(fashion.x_test[:8])
    z, log_q = model.sample_posterior(enc, 5, tf.constant([1, 2], tf.int32))
    assert z.shape == (5, 8, 4) and log_q.shape == (5, 8)
    q = tfd.TransformedDistribution(model.posterior(enc), model.posterior_flow(enc))
    np.testing.assert_allclose(q.log_prob(z).numpy(), log_q.numpy(), rtol=1e-4, atol=1e-3)
    z0 = model.posterior(enc).sample(5, seed=tf.constant([1, 2], tf.int32))
    assert max_abs_diff(z0, z) > 1e-4, "the flow moved the samples"
    # the deterministic code is the base mean pushed through the flow: the decoder never sees
    # the raw mean in training (decoding it reconstructed worse than Pythae)
    code = model.encode(fashion.x_test[:8])
    flowed = model.posterior_flow(enc).forward(enc["embedding"])
    np.testing.assert_allclose(np.asarray(code), np.asarray(flowed), rtol=1e-5, atol=1e-6)
    assert max_abs_diff(code, enc["embedding"]) > 1e-4, "the flow moved the mean"
    np.testing.assert_allclose(
        np.asarray(model.reconstruct(fashion.x_test[:8])),
        np.asarray(model.decode(flowed)),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("name", FLOW_MODELS)
def test_trains_saves_reloads_generates(name, fashion, tmp_path):
    model = _build(name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.train, epochs=3, verbose=0, callbacks=fashion.callbacks())
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert {"reconstruction", "kl"} <= set(history.history)
    x = fashion.x_test[:16]
    nll = model.nll(x, n_samples=20)
    assert 0 < nll.nll < 784 * np.log(2)
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0
    enc_a, enc_b = model.encoder(x), loaded.encoder(x)
    seed = tf.constant([3, 4], tf.int32)
    np.testing.assert_allclose(
        loaded.sample_posterior(enc_b, 3, seed)[1].numpy(),
        model.sample_posterior(enc_a, 3, seed)[1].numpy(),
        rtol=1e-6,
    )
    samples = np.asarray(loaded.generate(5, seed=0))
    assert samples.shape == (5, 28, 28, 1)
    # under XLA (its own RNG algorithm): seeded, and log q of the draws is the change of variables
    z_jit, log_q_jit = tf.function(lambda e: model.sample_posterior(e, 2, seed), jit_compile=True)(
        enc_a
    )
    q = tfd.TransformedDistribution(model.posterior(enc_a), model.posterior_flow(enc_a))
    np.testing.assert_allclose(q.log_prob(z_jit).numpy(), log_q_jit.numpy(), rtol=1e-4, atol=1e-3)


def test_lin_nf_config_is_validated():
    with pytest.raises(tfvae.ConfigError, match="VAE_LinNF_Config.flows"):
        tfvae.VAE_LinNF_Config(flows=["Planar", "Sylvester"])
    with pytest.raises(tfvae.ConfigError, match="VAE_IAF_Config.n_made_blocks"):
        tfvae.VAE_IAF_Config(n_made_blocks=0)


@pytest.mark.parametrize(
    ("sampler_name", "batch_norm"), [("maf", False), ("iaf", False), ("maf", True)]
)
def test_flow_samplers_fit_codes_and_generate(sampler_name, batch_norm, fashion, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae", input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce"
    )
    model.compile(optimizer="adam")
    model.fit(fashion.train, epochs=2, verbose=0)
    sampler = tfvae.build_sampler(
        sampler_name,
        model,
        epochs=8,
        hidden_size=32,
        n_hidden_in_made=2,
        include_batch_norm=batch_norm,
    )
    sampler.fit(fashion.x_train)
    losses = sampler.history.history["loss"]
    assert losses[-1] < losses[0]
    samples = sampler.sample(6, seed=0)
    assert samples.shape == (6, 28, 28, 1) and 0 <= samples.min() and samples.max() <= 1
    held_out = model.embed(fashion.x_test)
    prior = tfvae.samplers.NormalSampler(model).log_prob(held_out).mean()
    assert sampler.log_prob(held_out).mean() > prior
    # the fitted flow is saved with the model (plain arrays) and restored exactly
    folder = model.save_pretrained(tmp_path / "shared", sampler=sampler)
    restored = tfvae.hub.load_sampler(folder, tfvae.AutoModel.from_pretrained(folder))
    assert max_abs_diff(restored.sample(6, seed=0), samples) < 1e-6
    np.testing.assert_allclose(restored.log_prob(held_out), sampler.log_prob(held_out), rtol=1e-5)
    state = sampler.get_state()
    assert all(v.dtype != object for v in state.values()) and int(state["code_dim"]) == 4
    other = tfvae.build_sampler(
        sampler_name, model, hidden_size=16, n_hidden_in_made=2, include_batch_norm=batch_norm
    )
    with pytest.raises(ValueError, match="do not fit the network its config builds"):
        other.set_state(state)
    assert not other.is_fitted
