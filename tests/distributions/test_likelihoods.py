"""The likelihoods against SciPy / closed forms in float64, and their declared traits."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from tfvae.distributions import TableLikelihood, get_likelihood


class _Owner(keras.layers.Layer):
    pass


def _built(name: str, shape: tuple[int, ...], log_scale: np.ndarray):
    lik = get_likelihood(name)
    owner = _Owner(dtype="float64")
    lik.build(owner, shape)
    lik.log_scale.assign(log_scale)
    return lik


def test_learned_gaussian_and_laplace_match_scipy():
    rng = np.random.default_rng(0)
    x, mu = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    w = np.array([-0.05, 0.0, 0.08])
    for name, ref in (("gaussian_learned", stats.norm), ("laplace", stats.laplace)):
        lik = _built(name, (3,), w)
        scale = np.exp(lik.gain * w)  # initial_scale 1
        got = lik.log_prob(tf.constant(x), tf.constant(mu)).numpy()
        want = ref.logpdf(x, loc=mu, scale=scale).sum(-1)
        np.testing.assert_allclose(got, want, rtol=1e-10)
        np.testing.assert_allclose(lik.reconstruction_loss(tf.constant(x), tf.constant(mu)), -want)
        assert not lik.unit_interval and not lik.discrete and lik.learned_scale


def test_discretized_logistic_is_a_probability_mass():
    lik = _built("discretized_logistic", (1,), np.array([0.05]))
    levels = np.arange(256.0)[:, None] / 255.0
    mu = np.full((256, 1), 0.3)
    mass = np.exp(lik.log_prob(tf.constant(levels), tf.constant(mu)).numpy())
    assert mass.sum() == pytest.approx(1.0, abs=1e-9)
    s = 255.0 * lik.initial_scale * np.exp(lik.gain * 0.05)
    m = 255.0 * 0.3
    k = 100.0
    want = stats.logistic.cdf(k + 0.5, m, s) - stats.logistic.cdf(k - 0.5, m, s)
    assert mass[100] == pytest.approx(want, rel=1e-8)
    assert mass[0] == pytest.approx(stats.logistic.cdf(0.5, m, s), rel=1e-8)
    assert lik.unit_interval and lik.discrete


def test_table_likelihood_adds_numeric_and_categorical_parts():
    numeric = get_likelihood("mse")
    lik = TableLikelihood(numeric, 2, (3, 2))
    rng = np.random.default_rng(1)
    params = rng.normal(size=(5, 7))
    x = np.concatenate(
        [rng.normal(size=(5, 2)), np.eye(3)[rng.integers(0, 3, 5)], np.eye(2)[[0, 1, 1, 0, 1]]],
        axis=1,
    )
    got = lik.log_prob(tf.constant(x), tf.constant(params)).numpy()
    want = stats.norm.logpdf(x[:, :2], params[:, :2]).sum(-1)
    for a, b in ((2, 5), (5, 7)):
        logits = params[:, a:b]
        log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        want += (x[:, a:b] * log_p).sum(-1)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(lik.distribution(tf.constant(params)).log_prob(x), want, rtol=1e-8)
    mean = lik.mean(tf.constant(params)).numpy()
    np.testing.assert_allclose(mean[:, 2:5].sum(-1), 1.0)
    np.testing.assert_allclose(mean[:, :2], params[:, :2])


def test_heteroscedastic_gaussian_takes_the_decoders_log_scale():
    lik = get_likelihood("gaussian_heteroscedastic")
    rng = np.random.default_rng(2)
    x, mu, log_s = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)) * 0.3
    params = lik.params_from({"reconstruction": tf.constant(mu), "log_scale": tf.constant(log_s)})
    assert tuple(params.shape) == (3, 4, 2)
    want = stats.norm.logpdf(x, loc=mu, scale=np.exp(log_s)).sum(-1)
    np.testing.assert_allclose(lik.log_prob(tf.constant(x), params), want, rtol=1e-10)
    np.testing.assert_allclose(lik.mean(params), mu)
    with pytest.raises(ValueError, match="needs a decoder that also returns 'log_scale'"):
        lik.params_from({"reconstruction": tf.constant(mu)})


def test_guidance_moves_each_likelihoods_mean_and_keeps_its_spread():
    """``guide(conditional, null, w)``: the parameters whose mean is ``m_y + w (m_y - m_0)``
    kept in the support (float64 reference), with the conditional scales."""
    rng = np.random.default_rng(1)
    y, null = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    w = 1.5

    def mean_of(lik, params):
        return lik.mean(tf.constant(params)).numpy()

    def guided(lik, a, b):
        return lik.guide(tf.constant(a), tf.constant(b), w).numpy()

    for name in ("mse", "gaussian_learned", "laplace"):
        lik = get_likelihood(name)
        np.testing.assert_allclose(guided(lik, y, null), y + w * (y - null), rtol=1e-12)
    bern = get_likelihood("bce")
    p_y, p_0 = 1 / (1 + np.exp(-y)), 1 / (1 + np.exp(-null))
    want = np.clip(p_y + w * (p_y - p_0), 1e-6, 1 - 1e-6)
    np.testing.assert_allclose(mean_of(bern, guided(bern, y, null)), want, rtol=1e-9)
    assert 0 < want.min() < 1e-5 or want.max() > 1 - 1e-5  # the clip is exercised
    dl = get_likelihood("discretized_logistic")
    u, v = rng.uniform(size=(4, 5)), rng.uniform(size=(4, 5))
    np.testing.assert_allclose(guided(dl, u, v), np.clip(u + w * (u - v), 0, 1), rtol=1e-12)
    het = get_likelihood("gaussian_heteroscedastic")
    a, b = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 5, 2))
    out = guided(het, a, b)
    np.testing.assert_allclose(out[..., 0], a[..., 0] + w * (a[..., 0] - b[..., 0]))
    np.testing.assert_array_equal(out[..., 1], a[..., 1])  # the conditional log-scale
    table = TableLikelihood(get_likelihood("mse"), 2, (3,))
    out = mean_of(table, guided(table, y, null))
    np.testing.assert_allclose(out[:, :2], y[:, :2] + w * (y[:, :2] - null[:, :2]))
    q_y = np.exp(y[:, 2:]) / np.exp(y[:, 2:]).sum(-1, keepdims=True)
    q_0 = np.exp(null[:, 2:]) / np.exp(null[:, 2:]).sum(-1, keepdims=True)
    q = np.maximum(q_y + w * (q_y - q_0), 1e-6)
    np.testing.assert_allclose(out[:, 2:], q / q.sum(-1, keepdims=True), rtol=1e-9)
    for lik in (bern, dl, table):  # weight 0: the conditional mean
        np.testing.assert_allclose(
            mean_of(lik, lik.guide(tf.constant(u), tf.constant(v), 0.0).numpy()),
            mean_of(lik, u),
            rtol=1e-6,
        )


def test_guidance_extrapolates_and_rescales_each_example_like_a_float64_reference():
    """``extrapolate``: ``g = m_y + w (m_y - m_0)``; with ``phi``, ``phi g std(m_y) / std(g)
    + (1 - phi) g``, the standard deviations over each example's features (Lin et al.)."""
    from tfvae.distributions.likelihoods import extrapolate

    rng = np.random.default_rng(3)
    m_y, m_0 = rng.uniform(size=(5, 4, 3, 2)), rng.uniform(size=(5, 4, 3, 2))
    g = m_y + 2.5 * (m_y - m_0)
    assert np.abs(np.asarray(extrapolate(m_y, m_0, 2.5)) - g).max() < 1e-12
    for phi in (0.3, 1.0):
        ratio = m_y.reshape(5, -1).std(1) / g.reshape(5, -1).std(1)
        want = phi * g * ratio[:, None, None, None] + (1 - phi) * g
        got = np.asarray(extrapolate(m_y, m_0, 2.5, phi))
        assert np.abs(got - want).max() < 1e-12
    # phi = 1: each example keeps its conditional spread (and its guided direction)
    got = np.asarray(extrapolate(m_y, m_0, 2.5, 1.0)).reshape(5, -1)
    assert np.abs(got.std(1) - m_y.reshape(5, -1).std(1)).max() < 1e-12
    # the Gaussian-mean likelihoods guide their locations the same way
    lik = get_likelihood("mse")
    assert (
        np.abs(np.asarray(lik.guide(m_y, m_0, 2.5, 0.3)) - extrapolate(m_y, m_0, 2.5, 0.3)).max()
        == 0
    )
