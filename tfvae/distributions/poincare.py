"""The Poincare ball of curvature ``-c`` and the wrapped normal on it (Mathieu et al., 2019).

Points are ``x`` with ``c ||x||^2 < 1``; the metric is ``lambda_x^2`` times the Euclidean one,
``lambda_x = 2 / (1 - c ||x||^2)``. Tangent vectors are given in Euclidean coordinates; the
Riemannian norm of ``u`` at ``x`` is ``lambda_x ||u||``. Shapes: ``[..., D]`` throughout.
"""

from __future__ import annotations

import math

import tensorflow as tf

MIN_NORM = 1e-15


def _norm(x: tf.Tensor) -> tf.Tensor:
    return tf.maximum(tf.norm(x, axis=-1, keepdims=True), MIN_NORM)


def artanh(x: tf.Tensor) -> tf.Tensor:
    eps = 1e-7 if x.dtype == tf.float32 else 1e-15
    return tf.atanh(tf.clip_by_value(x, -1 + eps, 1 - eps))


class PoincareBall:
    """Operations of the Poincare ball of curvature ``-c`` in ``D`` dimensions."""

    def __init__(self, dim: int, c: float = 1.0) -> None:
        if c <= 0:
            raise ValueError(f"PoincareBall: curvature c must be positive, got {c}")
        self.dim, self.c = dim, float(c)
        self.sqrt_c = math.sqrt(self.c)

    def lambda_x(self, x: tf.Tensor) -> tf.Tensor:
        """Conformal factor ``2 / (1 - c ||x||^2)``, ``[..., 1]``."""
        return 2.0 / tf.maximum(1.0 - self.c * tf.reduce_sum(x**2, -1, keepdims=True), MIN_NORM)

    def mobius_add(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """``x (+) y``: the ball's gyrogroup addition (``0`` is neutral, ``(-x) (+) x = 0``)."""
        c = self.c
        x2 = tf.reduce_sum(x**2, -1, keepdims=True)
        y2 = tf.reduce_sum(y**2, -1, keepdims=True)
        xy = tf.reduce_sum(x * y, -1, keepdims=True)
        num = (1 + 2 * c * xy + c * y2) * x + (1 - c * x2) * y
        return num / tf.maximum(1 + 2 * c * xy + c**2 * x2 * y2, MIN_NORM)

    def project(self, x: tf.Tensor, eps: float | None = None) -> tf.Tensor:
        """Pull points that rounding pushed to or past the boundary back inside."""
        eps = eps if eps is not None else (4e-3 if x.dtype == tf.float32 else 1e-5)
        norm = _norm(x)
        limit = (1 - eps) / self.sqrt_c
        return tf.where(norm > limit, x / norm * limit, x)

    def dist(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Geodesic distance ``(2/sqrt c) artanh(sqrt c ||(-x) (+) y||)``, ``[...]``."""
        diff = tf.norm(self.mobius_add(-x, y), axis=-1)
        return 2.0 / self.sqrt_c * artanh(self.sqrt_c * diff)

    def expmap0(self, u: tf.Tensor) -> tf.Tensor:
        """``exp_0(u) = tanh(sqrt c ||u||) u / (sqrt c ||u||)``."""
        n = _norm(u)
        return tf.tanh(self.sqrt_c * n) * u / (self.sqrt_c * n)

    def logmap0(self, y: tf.Tensor) -> tf.Tensor:
        """Inverse of :meth:`expmap0`."""
        n = _norm(y)
        return y / n / self.sqrt_c * artanh(self.sqrt_c * n)

    def expmap(self, x: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
        """``exp_x(u) = x (+) tanh(sqrt c lambda_x ||u|| / 2) u / (sqrt c ||u||)``."""
        n = _norm(u)
        step = tf.tanh(self.sqrt_c / 2 * self.lambda_x(x) * n) * u / (self.sqrt_c * n)
        return self.mobius_add(x, step)

    def logmap(self, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        """Inverse of :meth:`expmap` at ``x``."""
        sub = self.mobius_add(-x, y)
        n = _norm(sub)
        return 2.0 / self.sqrt_c / self.lambda_x(x) * artanh(self.sqrt_c * n) * sub / n

    def transp0(self, x: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
        """Parallel transport of ``v`` from the origin to ``x``: ``v (1 - c ||x||^2)``."""
        return v * (2.0 / self.lambda_x(x))

    def transp0back(self, x: tf.Tensor, v: tf.Tensor) -> tf.Tensor:
        """Parallel transport of ``v`` from ``x`` back to the origin."""
        return v * (self.lambda_x(x) / 2.0)

    def log_det_exp(self, r: tf.Tensor) -> tf.Tensor:
        """``(D-1) log(sinh(sqrt c r) / (sqrt c r))``: the log-Jacobian of the exponential map
        at Riemannian radius ``r`` (volume in geodesic polar coordinates)."""
        s = self.sqrt_c * tf.maximum(r, 1e-6)
        log_sinh = s + tf.math.log1p(-tf.exp(-2.0 * s)) - math.log(2.0)
        return (self.dim - 1) * (log_sinh - tf.math.log(s))


class WrappedNormal:
    """The wrapped normal ``N^W(mu, sigma^2)`` on the ball: ``v ~ N(0, sigma^2 I)`` in the
    origin's tangent space (unit-speed coordinates), transported to ``mu`` and mapped by
    ``exp_mu``. ``log_prob`` is the density with respect to the Riemannian volume,
    ``log N(v; 0, sigma^2) - (D-1) log(sinh(sqrt c r) / (sqrt c r))`` with ``r = d(mu, z)``.

    Args:
        loc: ``[..., D]`` points of the ball.
        scale: ``[..., D]`` (or broadcastable) positive.
        ball: the :class:`PoincareBall`.
    """

    def __init__(self, loc: tf.Tensor, scale: tf.Tensor, ball: PoincareBall) -> None:
        self.loc, self.scale, self.ball = loc, scale, ball

    def sample(self, n: int | tf.Tensor = (), seed: tf.Tensor | None = None) -> tf.Tensor:
        """``[n, ..., D]`` reparameterised samples (``[..., D]`` for ``n=()``)."""
        seed = tf.constant([0, 0]) if seed is None else seed
        base = tf.shape(self.loc + tf.zeros_like(self.scale))
        lead = (tf.zeros([0], tf.int32) if isinstance(n, tuple) and not n
                else tf.reshape(tf.cast(n, tf.int32), [-1]))  # fmt: skip
        v = self.scale * tf.random.stateless_normal(tf.concat([lead, base], 0), seed,
                                                    dtype=self.loc.dtype)  # fmt: skip
        return self.from_tangent(v)

    def from_tangent(self, v: tf.Tensor) -> tf.Tensor:
        """``exp_mu(PT_{0->mu}(v / lambda_0))`` for unit-speed tangent noise ``v``."""
        u = self.ball.transp0(self.loc, v / 2.0)  # v / lambda_0: Riemannian norm ||v||
        return self.ball.project(self.ball.expmap(self.loc, u))

    def log_prob(self, z: tf.Tensor) -> tf.Tensor:
        """``[...]`` log-density of points ``z`` (broadcast against ``loc``)."""
        ball = self.ball
        loc = self.loc + tf.zeros_like(z)
        v = 2.0 * ball.transp0back(loc, ball.logmap(loc, z))  # back to unit-speed coords
        var = self.scale**2
        log_n = -0.5 * tf.reduce_sum(v**2 / var + tf.math.log(2 * math.pi * var), axis=-1)
        return log_n - ball.log_det_exp(tf.norm(v, axis=-1))
