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
        lead = (
            tf.zeros([0], tf.int32)
            if isinstance(n, tuple) and not n
            else tf.reshape(tf.cast(n, tf.int32), [-1])
        )
        v = self.scale * tf.random.stateless_normal(
            tf.concat([lead, base], 0), seed, dtype=self.loc.dtype
        )
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


def _log_sphere_area(dim: int) -> float:
    """``log |S^{D-1}|`` (surface of the unit sphere in R^D)."""
    return math.log(2.0) + dim / 2 * math.log(math.pi) - math.lgamma(dim / 2)


class RiemannianNormal:
    """The Riemannian normal on the ball: density ``exp(-d(mu, z)^2 / (2 sigma^2)) / Z(sigma)``
    with respect to the Riemannian volume, ``sigma`` a scalar per batch element (Mathieu et
    al.). In geodesic polar coordinates around ``mu`` the direction is uniform and the radius
    has density ``∝ exp(-r^2 / (2 sigma^2)) (sinh(sqrt c r) / sqrt c)^{D-1}``; that radius is
    drawn by inverting its CDF on a 512-point grid (float64) and given its implicit
    reparameterization gradient ``dr/dsigma = -(dF/dsigma) / p(r)`` on the same grid; ``Z`` is
    the grid's integral times ``|S^{D-1}|``.

    Args:
        loc: ``[B, D]`` points of the ball (or ``[D]``).
        scale: ``[B]`` (or scalar) positive.
        ball: the :class:`PoincareBall`.
    """

    GRID = 512

    def __init__(self, loc: tf.Tensor, scale: tf.Tensor, ball: PoincareBall) -> None:
        self.loc, self.scale, self.ball = loc, scale, ball

    def _grid(self, sigma: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Radii ``[..., G]`` and the unnormalised log radial density on them (float64)."""
        ball = self.ball
        sigma = tf.cast(sigma, tf.float64)
        mode = (ball.dim - 1) * ball.sqrt_c * sigma**2
        top = mode + 12.0 * sigma
        r = top[..., None] * tf.linspace(tf.constant(0.0, tf.float64), 1.0, self.GRID)
        s = ball.sqrt_c * tf.maximum(r, 1e-12)
        log_sinh = s + tf.math.log1p(-tf.exp(-2.0 * s)) - math.log(2.0) - math.log(ball.sqrt_c)
        return r, -(r**2) / (2.0 * sigma[..., None] ** 2) + (ball.dim - 1) * log_sinh

    def log_normalizer(self, sigma: tf.Tensor | None = None) -> tf.Tensor:
        """``log Z(sigma)``, differentiable in ``sigma``."""
        sigma = self.scale if sigma is None else sigma
        r, log_g = self._grid(sigma)
        peak = tf.reduce_max(log_g, axis=-1, keepdims=True)
        dr = r[..., 1:2] - r[..., 0:1]
        w = tf.exp(log_g - peak)
        integral = (tf.reduce_sum(w, -1, keepdims=True) - 0.5 * (w[..., :1] + w[..., -1:])) * dr
        log_z = tf.math.log(integral)[..., 0] + peak[..., 0] + _log_sphere_area(self.ball.dim)
        return tf.cast(log_z, self.loc.dtype)

    def _radius(self, sigma: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
        """Radii at CDF levels ``u`` ``[n, B]`` for scales ``sigma`` ``[B]`` with the implicit
        gradient to ``sigma``."""

        @tf.custom_gradient
        def radius(sig: tf.Tensor) -> tuple[tf.Tensor, object]:
            r, log_g = self._grid(tf.stop_gradient(sig))
            peak = tf.reduce_max(log_g, axis=-1, keepdims=True)
            g = tf.exp(log_g - peak)  # [B, G]
            dr = r[..., 1:2] - r[..., :1]
            cdf = tf.concat(
                [
                    tf.zeros_like(g[..., :1]),
                    tf.cumsum(0.5 * (g[..., 1:] + g[..., :-1]) * dr, axis=-1),
                ],
                -1,
            )
            total = cdf[..., -1:]
            pdf, cdf = g / total, cdf / total  # normalised on the grid
            s64 = tf.cast(sig, tf.float64)[..., None]
            mean_r2 = tf.reduce_sum(
                0.5 * ((r**2 * pdf)[..., 1:] + (r**2 * pdf)[..., :-1]) * dr, -1, keepdims=True
            )
            score = pdf * (r**2 - mean_r2) / s64**3  # d pdf / d sigma
            dcdf = tf.concat(
                [
                    tf.zeros_like(g[..., :1]),
                    tf.cumsum(0.5 * (score[..., 1:] + score[..., :-1]) * dr, -1),
                ],
                -1,
            )
            levels = tf.transpose(tf.cast(u, tf.float64))  # [B, n]
            idx = tf.clip_by_value(tf.searchsorted(cdf, levels, side="right") - 1, 0, self.GRID - 2)
            c0, c1 = tf.gather(cdf, idx, batch_dims=1), tf.gather(cdf, idx + 1, batch_dims=1)
            frac = (levels - c0) / tf.maximum(c1 - c0, 1e-300)
            r0 = tf.gather(r, idx, batch_dims=1)
            out = r0 + frac * (tf.gather(r, idx + 1, batch_dims=1) - r0)  # [B, n]
            p_at = (
                tf.gather(pdf, idx, batch_dims=1) * (1 - frac)
                + tf.gather(pdf, idx + 1, batch_dims=1) * frac
            )
            d_at = (
                tf.gather(dcdf, idx, batch_dims=1) * (1 - frac)
                + tf.gather(dcdf, idx + 1, batch_dims=1) * frac
            )
            dr_dsigma = -d_at / tf.maximum(p_at, 1e-300)

            def grad(dy: tf.Tensor) -> tf.Tensor:
                g_sig = tf.reduce_sum(tf.cast(tf.transpose(dy), tf.float64) * dr_dsigma, -1)
                return tf.cast(g_sig, sig.dtype)

            return tf.cast(tf.transpose(out), sig.dtype), grad

        return radius(sigma)

    def sample(self, n: int | tf.Tensor = (), seed: tf.Tensor | None = None) -> tf.Tensor:
        """``[n, B, D]`` reparameterised samples (``[B, D]`` for ``n=()``)."""
        seed = tf.constant([0, 0]) if seed is None else seed
        squeeze = isinstance(n, tuple) and not n
        count = 1 if squeeze else n
        loc = tf.reshape(self.loc, [-1, self.ball.dim])
        sigma = tf.reshape(self.scale + tf.zeros(tf.shape(loc)[:1], loc.dtype), [-1])
        s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        batch = tf.shape(loc)[0]
        u = tf.random.stateless_uniform(tf.stack([count, batch]), s1, dtype=tf.float64)
        r = self._radius(sigma, u)  # [n, B]
        direction = tf.math.l2_normalize(
            tf.random.stateless_normal(
                tf.stack([count, batch, self.ball.dim]), s2, dtype=loc.dtype
            ),
            axis=-1,
        )
        z = WrappedNormal(loc, tf.ones_like(loc), self.ball).from_tangent(r[..., None] * direction)
        z = tf.reshape(z, tf.concat([[count], tf.shape(self.loc)], 0))
        return z[0] if squeeze else z

    def log_prob(self, z: tf.Tensor) -> tf.Tensor:
        """``[...]`` log-density (Riemannian volume) of points ``z`` broadcast against ``loc``."""
        loc = self.loc + tf.zeros_like(z)
        d = self.ball.dist(loc, z)
        return -(d**2) / (2.0 * self.scale**2) - self.log_normalizer(self.scale)
