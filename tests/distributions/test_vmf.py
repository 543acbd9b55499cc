"""The von Mises-Fisher posterior: exact gradients in every dimension, unit norm, moments, KL."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from scipy import integrate

from tfvae.distributions import (
    VonMisesFisher,
    implicit_w_gradient,
    mean_resultant_length,
    vmf_kl_to_uniform,
)


def _analytic_dA(kappa: float, dim: int) -> float:
    """d/dkappa of A_D(kappa) = I_{D/2}/I_{D/2-1}: 1 - A^2 - (D-1)/kappa A."""
    a = float(mean_resultant_length(tf.constant(kappa, tf.float64), dim))
    return 1.0 - a * a - (dim - 1) / kappa * a


@pytest.mark.parametrize("dim,kappa", [(3, 5.0), (16, 10.0), (64, 50.0), (16, 1.5)])
def test_gradient_of_mean_resultant_matches_the_bessel_ratio_derivative(dim, kappa):
    mu = tf.constant(np.eye(dim)[dim // 2], tf.float64)
    k = tf.Variable(kappa, dtype=tf.float64)
    with tf.GradientTape() as tape:
        z = VonMisesFisher(mu, k).sample(40000, seed=(3, dim))
        mean_dot = tf.reduce_mean(tf.linalg.matvec(z, mu))  # E[mu . z] = A(kappa)
    grad = float(tape.gradient(mean_dot, k))
    assert grad == pytest.approx(_analytic_dA(kappa, dim), rel=0.02)
    assert float(mean_dot) == pytest.approx(float(mean_resultant_length(k, dim)), abs=0.01)
    assert np.abs(np.linalg.norm(z.numpy(), axis=-1) - 1.0).max() < 1e-12


def test_tfps_own_sampler_is_off_where_ours_is_not():
    # The reason for our sampler: TFP's gradient misses the rejection correction for D != 3.
    dim, kappa = 16, 10.0
    mu = tf.constant(np.eye(dim)[0], tf.float64)
    k = tf.Variable(kappa, dtype=tf.float64)
    with tf.GradientTape() as tape:
        z = tfp.distributions.VonMisesFisher(mu, k).sample(40000, seed=(3, 1))
        mean_dot = tf.reduce_mean(z[:, 0])
    tfp_grad = float(tape.gradient(mean_dot, k))
    assert abs(tfp_grad / _analytic_dA(kappa, dim) - 1.0) > 0.03


def test_gradient_reaches_the_mean_direction_and_a_batch_of_concentrations():
    mu = tf.Variable(tf.math.l2_normalize(tf.constant([[1.0, 2.0, 2.0], [0.0, 1.0, 0.0]]), -1))
    k = tf.Variable([2.0, 30.0])
    target = tf.constant([0.0, 0.0, 1.0])
    with tf.GradientTape() as tape:
        z = VonMisesFisher(mu, k).sample(2000, seed=(0, 1))  # [2000, 2, 3]
        loss = tf.reduce_mean(tf.linalg.matvec(z, target))
    g_mu, g_k = tape.gradient(loss, [mu, k])
    assert g_mu.shape == (2, 3) and g_k.shape == (2,)
    assert np.all(np.isfinite(g_mu)) and np.all(np.isfinite(g_k))
    assert float(tf.reduce_max(tf.abs(g_mu))) > 0.1


def test_implicit_gradient_is_the_finite_difference_of_the_quantile():
    # w = F^{-1}(u | kappa) for fixed u: dw/dkappa by central differences of a float64 quantile.
    dim, kappa, u = 5, 4.0, 0.3
    grid = np.linspace(-1.0, 1.0, 200001)

    def quantile(k):
        density = np.exp(k * grid) * (1 - grid**2) ** ((dim - 3) / 2)
        cdf = integrate.cumulative_trapezoid(density, grid, initial=0.0)
        return np.interp(u, cdf / cdf[-1], grid)

    w = quantile(kappa)
    numeric = (quantile(kappa + 1e-3) - quantile(kappa - 1e-3)) / 2e-3
    ours = float(
        implicit_w_gradient(tf.constant(w, tf.float64), tf.constant(kappa, tf.float64), dim)
    )
    assert ours == pytest.approx(numeric, rel=1e-3)


def test_kl_to_the_uniform_matches_numerical_integration_in_3d():
    for kappa in (0.5, 3.0, 20.0):
        # vMF on S^2: density kappa / (4 pi sinh kappa) exp(kappa w); area element 2 pi dw.
        def integrand(w, k=kappa):
            log_p = np.log(k / (4 * np.pi * np.sinh(k))) + k * w
            return 2 * np.pi * np.exp(log_p) * (log_p + np.log(4 * np.pi))

        expected, _ = integrate.quad(integrand, -1.0, 1.0, epsabs=1e-12)
        ours = float(vmf_kl_to_uniform(tf.constant(kappa, tf.float64), 3))
        assert ours == pytest.approx(expected, rel=1e-6, abs=1e-9)
