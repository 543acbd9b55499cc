"""The NLL estimator on a linear-Gaussian VAE, whose log p(x) is a closed-form Gaussian."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tfvae.models.base.importance import log_mean_exp
from tfvae.nn import MLPDecoder, MLPEncoder

D_X, D_Z = 5, 2


@pytest.fixture(scope="module")
def linear_gaussian():
    """p(z) = N(0, I), p(x|z) = N(W z + b, I); an encoder near (not at) the exact posterior."""
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(D_Z, D_X)), rng.normal(size=D_X) * 0.3
    model = tfvae.VAE(
        tfvae.VAEConfig(input_shape=(D_X,), latent_dim=D_Z, reconstruction_loss="mse"),
        encoder=MLPEncoder(D_Z, hidden=()),
        decoder=MLPDecoder((D_X,), hidden=(), output_activation="linear"),
    )
    model.decoder.set_weights([w, b])
    sigma = np.linalg.inv(np.eye(D_Z) + w @ w.T)  # exact posterior covariance
    a = (sigma @ w).T  # exact posterior mean: (x - b) @ a
    enc_w = 0.8 * a
    enc_b = -(b @ a) * 0.8
    log_var = np.log(np.diag(sigma)) + 0.4
    model.encoder.set_weights([enc_w, enc_b, np.zeros((D_X, D_Z)), log_var])
    cov = w.T @ w + np.eye(D_X)
    z = rng.normal(size=(256, D_Z))
    x = (z @ w + b + rng.normal(size=(256, D_X))).astype(np.float32)
    diff = x.astype(np.float64) - b
    _, logdet = np.linalg.slogdet(cov)
    maha = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
    exact = -0.5 * (maha + logdet + D_X * np.log(2 * np.pi))  # float64 reference
    return model, x, exact


def test_estimate_converges_to_the_exact_marginal(linear_gaussian):
    model, x, exact = linear_gaussian
    estimate = model.nll(x, n_samples=5000, batch_size=128, chunk_size=1000)
    assert abs(estimate.nll - (-exact.mean())) < 0.05
    np.testing.assert_allclose(estimate.per_example, -exact, atol=0.2)
    assert estimate.stderr > 0 and estimate.n_samples == 5000


def test_iwae_bound_increases_with_k(linear_gaussian):
    model, x, exact = linear_gaussian
    ks = (1, 2, 8, 32, 128)
    bounds = [np.mean([-model.nll(x, n_samples=k, seed=s).nll for s in range(3)]) for k in ks]
    assert all(lo < hi for lo, hi in zip(bounds, bounds[1:], strict=False)), bounds
    assert bounds[-1] < exact.mean()


def test_estimate_is_seeded_and_chunking_keeps_it_exact(linear_gaussian):
    model, x, exact = linear_gaussian
    a = model.nll(x[:32], n_samples=300, seed=4)
    b = model.nll(x[:32], n_samples=300, seed=4)
    assert a.nll == b.nll
    chunked = model.nll(x[:32], n_samples=300, seed=4, chunk_size=7)
    assert abs(chunked.nll - (-exact[:32].mean())) < 0.1


def test_log_mean_exp_matches_float64_numpy():
    values = np.random.default_rng(0).normal(size=(50, 3)) * 30
    ref = np.log(np.mean(np.exp(values - values.max(0)), axis=0)) + values.max(0)
    np.testing.assert_allclose(log_mean_exp(tf.constant(values), axis=0).numpy(), ref, rtol=1e-12)


def test_nll_errors(linear_gaussian):
    model, x, _ = linear_gaussian
    with pytest.raises(ValueError, match="n_samples must be a positive int"):
        model.nll(x, n_samples=0)
    with pytest.raises(ValueError, match="expects"):
        model.nll(np.zeros((3, 4), np.float32))
    ae = tfvae.build_model("ae", input_shape=(4,), latent_dim=2)
    with pytest.raises(TypeError, match="not variational"):
        ae.nll(np.zeros((3, 4), np.float32))
