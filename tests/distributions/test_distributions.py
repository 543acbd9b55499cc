from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.distributions import (
    BernoulliLikelihood,
    GaussianLikelihood,
    diagonal_gaussian,
    standard_normal,
)

tfd = tfp.distributions


def test_kl_to_standard_normal_matches_the_closed_form_in_float64():
    rng = np.random.default_rng(0)
    mu, log_var = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    q = diagonal_gaussian(tf.constant(mu), tf.constant(log_var))
    kl = tfd.kl_divergence(q, standard_normal(7, tf.float64)).numpy()
    closed = -0.5 * np.sum(1 + log_var - mu**2 - np.exp(log_var), axis=-1)
    np.testing.assert_allclose(kl, closed, rtol=1e-12)


def test_posterior_sample_is_reparameterised_and_seeded():
    mu = tf.Variable(tf.zeros([3, 2], tf.float64))
    log_var = tf.zeros([3, 2], tf.float64)
    with tf.GradientTape() as tape:
        z = diagonal_gaussian(mu, log_var).sample(seed=tf.constant([1, 2], tf.int32))
        total = tf.reduce_sum(z)
    np.testing.assert_allclose(tape.gradient(total, mu).numpy(), np.ones((3, 2)))
    again = diagonal_gaussian(mu, log_var).sample(seed=tf.constant([1, 2], tf.int32))
    np.testing.assert_array_equal(z.numpy(), again.numpy())


def test_bernoulli_reconstruction_is_summed_binary_cross_entropy():
    rng = np.random.default_rng(1)
    x = rng.random((4, 3, 3, 1))
    logits = rng.normal(size=(4, 3, 3, 1))
    p = 1 / (1 + np.exp(-logits))
    bce = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(4, -1).sum(-1)
    like = BernoulliLikelihood()
    np.testing.assert_allclose(
        like.reconstruction_loss(tf.constant(x), tf.constant(logits)), bce, rtol=1e-10
    )
    xb = (x > 0.5).astype(np.float64)
    tfp_lp = like.distribution(tf.constant(logits)).log_prob(xb).numpy()
    np.testing.assert_allclose(
        like.log_prob(tf.constant(xb), tf.constant(logits)), tfp_lp, rtol=1e-10
    )
    np.testing.assert_allclose(like.mean(tf.constant(logits)), p, rtol=1e-12)


def test_gaussian_reconstruction_is_pythae_mse_and_log_prob_is_exact():
    rng = np.random.default_rng(2)
    x, mean = rng.random((4, 6)), rng.random((4, 6))
    like = GaussianLikelihood()
    half_sse = 0.5 * ((x - mean) ** 2).sum(-1)
    np.testing.assert_allclose(
        like.reconstruction_loss(tf.constant(x), tf.constant(mean)), half_sse, rtol=1e-12
    )
    exact = -half_sse - 6 / 2 * math.log(2 * math.pi)
    np.testing.assert_allclose(like.log_prob(tf.constant(x), tf.constant(mean)), exact, rtol=1e-12)
    np.testing.assert_allclose(like.distribution(tf.constant(mean)).log_prob(x), exact, rtol=1e-12)
