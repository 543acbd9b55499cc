"""Geometric and MCMC-augmented models: 150 steps on Fashion-MNIST without NaN and with a
falling loss, save/reload with identical outputs, resume, generation with their sampler, NLL."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff

#: model -> (config fields, sampler, sampler fields)
MODELS = {
    "SVAE": ({"latent_dim": 4}, "hypersphere_uniform", {}),
    "HVAE": ({"latent_dim": 4, "eps_lf": 0.01}, "normal", {}),
    "PoincareVAE": ({"latent_dim": 2}, "poincare_disk", {}),
    "RHVAE": (
        {"latent_dim": 4, "eps_lf": 0.01, "metric_capacity": 256, "metric_hidden": 32, "n_lf": 2},
        "rhvae_manifold",
        {"mcmc_steps_nbr": 5, "n_lf": 3},
    ),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_150_steps_on_fashion_mnist_then_save_reload_resume_generate(name, fashion, tmp_path):
    fields, sampler_name, sampler_fields = MODELS[name]
    keras.utils.set_random_seed(0)
    small = {"hidden": (64,)}  # 150 steps of Pythae's 512-unit MLP would be slow here
    enc = tfvae.nn.MLPEncoder(fields["latent_dim"], **small)
    decoder_cls = tfvae.nn.GyroplaneMLPDecoder if name == "PoincareVAE" else tfvae.nn.MLPDecoder
    dec = decoder_cls((28, 28, 1), output_activation="linear", **small)
    model = tfvae.build_model(
        name, input_shape=(28, 28, 1), reconstruction_loss="bce", encoder=enc, decoder=dec, **fields
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = fashion.x_train[:1600]
    ds = tf.data.Dataset.from_tensor_slices(x).shuffle(1600, seed=0).repeat().batch(32)
    history = model.fit(ds, steps_per_epoch=30, epochs=5, verbose=0).history  # 150 steps
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert history["loss"][-1] < 0.8 * history["loss"][0], history["loss"]

    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    test = fashion.x_test[:16]
    assert max_abs_diff(loaded.reconstruct(test), model.reconstruct(test)) == 0.0
    for a, b in zip(model.non_trainable_weights, loaded.non_trainable_weights, strict=True):
        assert max_abs_diff(a, b) == 0.0, a.name  # RHVAE: the metric's centroids and matrices
    more = [m.fit(x[:128], batch_size=32, epochs=1, verbose=0).history for m in (model, loaded)]
    assert more[0]["loss"] == pytest.approx(more[1]["loss"], rel=1e-5)
    sampler = tfvae.build_sampler(sampler_name, model, **sampler_fields)
    samples = sampler.fit(x[:500]).sample(6, seed=1)
    assert samples.shape == (6, 28, 28, 1) and np.isfinite(samples).all()
    nll = model.nll(test, n_samples=20)
    assert np.isfinite(nll.nll) and 0 < nll.nll < 784 * np.log(2)


def test_poincare_vae_codes_live_in_the_ball_and_its_sampler_checks_the_model(fashion):
    model = tfvae.build_model("poincarevae", input_shape=(28, 28, 1), latent_dim=2, curvature=2.0)
    assert type(model.decoder).__name__ == "GyroplaneMLPDecoder"
    codes = model.embed(fashion.x_test[:64])
    assert np.all(2.0 * np.sum(codes**2, axis=1) < 1.0)
    prior = np.asarray(model.sample_prior(256))
    assert np.all(2.0 * np.sum(prior**2, axis=1) < 1.0)
    with pytest.raises(ValueError, match="poincare latent space"):
        tfvae.build_sampler(
            "poincare_disk", tfvae.build_model("vae", input_shape=(4,), latent_dim=2)
        )


def test_poincare_vae_with_riemannian_normals_trains(fashion, seeded):
    model = tfvae.build_model(
        "poincarevae",
        input_shape=(28, 28, 1),
        latent_dim=2,
        prior_distribution="riemannian_normal",
        posterior_distribution="riemannian_normal",
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.x_train[:640], batch_size=32, epochs=3, verbose=0).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert np.isfinite(model.nll(fashion.x_test[:8], n_samples=10).nll)
    with pytest.raises(tfvae.ConfigError, match="posterior_distribution"):
        tfvae.PoincareVAEConfig(posterior_distribution="gaussian")


def test_svae_codes_are_unit_vectors_and_its_kl_is_exact(fashion):
    model = tfvae.build_model("svae", input_shape=(28, 28, 1), latent_dim=5)
    codes = model.embed(fashion.x_test[:32])
    assert np.abs(np.linalg.norm(codes, axis=1) - 1).max() < 1e-5
    terms = model.compute_loss_terms(tf.constant(fashion.x_test[:32]))
    enc = model.encoder(fashion.x_test[:32])
    kappa = model.concentration(enc)
    expected = tfvae.distributions.vmf_kl_to_uniform(kappa, 5)
    assert float(terms["kl"]) == pytest.approx(float(tf.reduce_mean(expected)), rel=1e-5)
    assert float(tf.reduce_min(kappa)) >= 1.0
    prior = np.asarray(model.sample_prior(64))
    assert np.abs(np.linalg.norm(prior, axis=1) - 1).max() < 1e-5
    with pytest.raises(tfvae.ConfigError, match="latent_dim"):
        tfvae.SVAEConfig(input_shape=(8, 8, 1), latent_dim=1)
    with pytest.raises(ValueError, match="sphere latent space"):
        tfvae.build_sampler(
            "hypersphere_uniform", tfvae.build_model("vae", input_shape=(4,), latent_dim=2)
        )
