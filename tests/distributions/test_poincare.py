"""Poincare ball operations, the wrapped normal and the gyroplane layer (float64 references)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from scipy import integrate

from tfvae.distributions.poincare import PoincareBall, WrappedNormal
from tfvae.nn import Gyroplane


def _points(ball, n, seed, scale=0.8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, ball.dim))
    x *= (scale / np.sqrt(ball.c)) * rng.random((n, 1)) / np.linalg.norm(x, axis=1, keepdims=True)
    return tf.constant(x, tf.float64)


@pytest.mark.parametrize("c", [1.0, 0.5, 2.0])
def test_mobius_addition_identities(c):
    ball = PoincareBall(3, c)
    x, y = _points(ball, 20, 0), _points(ball, 20, 1)
    zero = tf.zeros_like(x)
    assert np.abs(ball.mobius_add(x, zero) - x).max() < 1e-12
    assert np.abs(ball.mobius_add(zero, x) - x).max() < 1e-12
    assert np.abs(ball.mobius_add(-x, x)).max() < 1e-12
    assert np.abs(ball.mobius_add(-x, ball.mobius_add(x, y)) - y).max() < 1e-10  # left cancellation
    assert np.all(c * np.sum(ball.mobius_add(x, y) ** 2, -1) < 1)


@pytest.mark.parametrize("c", [1.0, 2.0])
def test_exp_and_log_maps_are_inverse(c):
    ball = PoincareBall(4, c)
    x = _points(ball, 30, 2)
    u = tf.constant(np.random.default_rng(3).normal(size=(30, 4)) * 0.7, tf.float64)
    assert np.abs(ball.logmap(x, ball.expmap(x, u)) - u).max() < 1e-6
    assert (
        np.abs(ball.expmap(x, ball.logmap(x, _points(ball, 30, 4))) - _points(ball, 30, 4)).max()
        < 1e-6
    )
    assert np.abs(ball.logmap0(ball.expmap0(u)) - u).max() < 1e-6


@pytest.mark.parametrize("c", [1.0, 3.0])
def test_distance_to_the_origin_is_the_integrated_metric(c):
    ball = PoincareBall(2, c)
    for r in (0.1, 0.5, 0.95):
        x = tf.constant([[r / np.sqrt(c) * 0.6, r / np.sqrt(c) * 0.8]], tf.float64)
        length, _ = integrate.quad(lambda t: 2.0 / (1.0 - c * t * t), 0.0, r / np.sqrt(c))
        assert float(ball.dist(tf.zeros_like(x), x)[0]) == pytest.approx(length, rel=1e-9)
    u = tf.constant([[0.3, -0.4]], tf.float64)  # Riemannian norm at 0 is 2 ||u||
    assert float(ball.dist(tf.zeros_like(u), ball.expmap0(u))[0]) == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize(
    "c,loc,scale", [(1.0, (0.3, -0.2), (0.5, 0.8)), (2.0, (0.0, 0.4), (0.7, 0.7))]
)
def test_wrapped_normal_density_integrates_to_one_on_the_disk(c, loc, scale):
    ball = PoincareBall(2, c)
    q = WrappedNormal(tf.constant(loc, tf.float64), tf.constant(scale, tf.float64), ball)
    radius = 1.0 / np.sqrt(c)
    rs = np.linspace(0.0, radius * (1 - 1e-9), 1500)
    ts = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    rr, tt = np.meshgrid(rs, ts, indexing="ij")
    z = np.stack([rr * np.cos(tt), rr * np.sin(tt)], -1).reshape(-1, 2)
    density = np.exp(q.log_prob(tf.constant(z, tf.float64)).numpy()).reshape(rr.shape)
    volume = (2.0 / (1.0 - c * rr**2)) ** 2  # Riemannian area element over dx dy
    inner = np.trapezoid(density * volume * rr, rs, axis=0)
    assert inner.mean() * 2 * np.pi == pytest.approx(1.0, abs=2e-3)
    samples = q.sample(4000, seed=tf.constant([1, 2]))
    assert np.all(c * np.sum(samples.numpy() ** 2, -1) < 1)


def test_gyroplane_through_the_origin_measures_signed_distance():
    layer = Gyroplane(1, curvature=1.0)
    layer.build((None, 2))
    layer.offset.assign(np.zeros((1, 2)))
    layer.normal.assign(np.array([[1.0, 0.0]]))
    z = tf.constant([[0.5, 0.0], [-0.3, 0.0], [0.0, 0.6]], tf.float32)
    out = layer(z).numpy()[:, 0]
    # |f| = lambda_0 ||a|| d(z, H) with H the line x = 0 and z on the normal axis: 2 d(0, z)
    expected = 2.0 * np.array([2 * np.arctanh(0.5), -2 * np.arctanh(0.3), 0.0])
    assert out == pytest.approx(expected, abs=1e-5)


def test_riemannian_normal_integrates_to_one_and_has_exact_scale_gradients():
    from tfvae.distributions.poincare import RiemannianNormal

    ball = PoincareBall(2, 1.0)
    q = RiemannianNormal(tf.constant([0.3, -0.2], tf.float64), tf.constant(0.6, tf.float64), ball)
    rs = np.linspace(0.0, 1 - 1e-9, 1500)
    ts = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    rr, tt = np.meshgrid(rs, ts, indexing="ij")
    z = np.stack([rr * np.cos(tt), rr * np.sin(tt)], -1).reshape(-1, 2)
    density = np.exp(q.log_prob(tf.constant(z)).numpy()).reshape(rr.shape)
    inner = np.trapezoid(density * (2.0 / (1.0 - rr**2)) ** 2 * rr, rs, axis=0)
    assert inner.mean() * 2 * np.pi == pytest.approx(1.0, abs=2e-3)
    # d/dsigma E[d(mu, z)] by the implicit gradient vs a float64 quadrature's finite difference
    for dim, sigma in ((2, 0.6), (5, 0.4)):
        b = PoincareBall(dim, 1.0)
        loc = tf.zeros([1, dim], tf.float64)
        s = tf.Variable([sigma], dtype=tf.float64)
        with tf.GradientTape() as tape:
            samples = RiemannianNormal(loc, s, b).sample(40000, seed=tf.constant([1, 2]))
            mean_r = tf.reduce_mean(b.dist(tf.zeros_like(samples), samples))

        def quad_mean(sv, dim=dim):
            r = np.linspace(0.0, (dim - 1) * sv**2 + 12 * sv, 20001)
            p = np.exp(-(r**2) / (2 * sv**2)) * np.sinh(r) ** (dim - 1)
            return np.trapezoid(r * p, r) / np.trapezoid(p, r)

        assert float(mean_r) == pytest.approx(quad_mean(sigma), rel=0.01)
        fd = (quad_mean(sigma + 1e-4) - quad_mean(sigma - 1e-4)) / 2e-4
        assert float(tape.gradient(mean_r, s)[0]) == pytest.approx(fd, rel=0.02)
