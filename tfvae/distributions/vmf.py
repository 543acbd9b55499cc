"""The von Mises-Fisher distribution with exact reparameterized gradients in every dimension.

TFP's ``tfd.VonMisesFisher`` samples with Wood's (1994) rejection algorithm and is fully
reparameterized only on the 2-sphere (``D = 3``); elsewhere the gradient through its sample
misses the rejection step's correction (measured 5% off in 16 dimensions). tfvae's
:class:`VonMisesFisher` keeps TFP's density, entropy and KL to ``tfd.SphericalUniform`` and
replaces the sampler: ``w = mu . z`` is drawn by Wood's algorithm, then given its **implicit
reparameterization gradient** (Figurnov et al., 2018)

    dw/dkappa = -(dF(w | kappa)/dkappa) / p(w | kappa)
              = integral_w^1 (t - A(kappa)) p(t | kappa) / p(w | kappa) dt,

with ``p(t | kappa) ∝ exp(kappa t) (1 - t^2)^((D-3)/2)`` the density of ``w``, ``F`` its CDF
and ``A(kappa) = E[w] = I_{D/2}(kappa) / I_{D/2-1}(kappa)``. The ratio needs no normalizing
constant; the integral is computed by 64-point Gauss-Legendre quadrature in float64. The
tangent direction is uniform and the whole sample is rotated onto ``mu`` by a Householder
reflection, so gradients reach ``mu`` too.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_S = (_NODES + 1.0) / 2.0  # nodes on [0, 1]
_WS = _WEIGHTS / 2.0


def mean_resultant_length(concentration: tf.Tensor, dim: int) -> tf.Tensor:
    """``A(kappa) = E[mu . z] = I_{D/2}(kappa) / I_{D/2-1}(kappa)`` for a vMF on ``S^{D-1}``."""
    return tfp.math.bessel_iv_ratio(tf.cast(dim / 2.0, concentration.dtype), concentration)


def vmf_kl_to_uniform(concentration: tf.Tensor, dim: int) -> tf.Tensor:
    """``KL(vMF(mu, kappa) || Uniform(S^{D-1}))`` in nats, ``[...]`` like ``concentration``:
    ``kappa A(kappa) + log C_D(kappa) + log |S^{D-1}|`` (Davidson et al., eq. 14)."""
    k = tf.convert_to_tensor(concentration)
    q = VonMisesFisher(tf.one_hot(0, dim, dtype=k.dtype), k)
    return tfd.kl_divergence(q, tfd.SphericalUniform(dim, dtype=k.dtype))


def _wood_w(concentration: tf.Tensor, dim: int, shape: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Wood's rejection sampler for ``w = mu . z``, ``shape`` draws (no gradient), float64."""
    k = tf.broadcast_to(tf.cast(tf.stop_gradient(concentration), tf.float64), shape)
    m1 = float(dim - 1)
    root = tf.sqrt(4.0 * k**2 + m1**2)
    b = m1 / (2.0 * k + root)  # = (-2k + root) / m1, stable for large k
    a = (m1 + 2.0 * k + root) / 4.0
    d = 4.0 * a * b / (1.0 + b) - m1 * np.log(m1)

    def body(i, w, done):
        s1, s2, s3 = tf.unstack(
            tf.random.experimental.stateless_split(
                tf.random.experimental.stateless_fold_in(seed, i), 3
            )
        )
        g1 = tf.random.stateless_gamma(shape, s1, alpha=m1 / 2.0, dtype=tf.float64)
        g2 = tf.random.stateless_gamma(shape, s2, alpha=m1 / 2.0, dtype=tf.float64)
        eps = g1 / (g1 + g2)  # Beta((D-1)/2, (D-1)/2)
        u = tf.random.stateless_uniform(shape, s3, dtype=tf.float64)
        proposal = (1.0 - (1.0 + b) * eps) / (1.0 - (1.0 - b) * eps)
        t = 2.0 * a * b / (1.0 - (1.0 - b) * eps)
        accept = (m1 * tf.math.log(t) - t + d >= tf.math.log(u)) & ~done
        return i + 1, tf.where(accept, proposal, w), done | accept

    _, w, _ = tf.while_loop(
        lambda i, w, done: ~tf.reduce_all(done) & (i < 1000),
        body,
        (tf.constant(0), tf.zeros(shape, tf.float64), tf.zeros(shape, tf.bool)),
    )
    return w


def implicit_w_gradient(w: tf.Tensor, concentration: tf.Tensor, dim: int) -> tf.Tensor:
    """``dw/dkappa`` at samples ``w`` (float64, same shape), see the module doc."""
    w = tf.cast(w, tf.float64)
    k = tf.cast(concentration, tf.float64)
    a = mean_resultant_length(k, dim)
    s = tf.constant(_S, tf.float64)
    t = w[..., None] + (1.0 - w[..., None]) * s  # quadrature points on [w, 1]
    half = (dim - 3) / 2.0
    log_ratio = k[..., None] * (t - w[..., None])
    if half:
        one_plus_w = tf.maximum(1.0 + w[..., None], 1e-300)
        log_ratio += half * (tf.math.log1p(-s) + tf.math.log(1.0 + t) - tf.math.log(one_plus_w))
    integrand = (t - a[..., None]) * tf.exp(log_ratio)
    return (1.0 - w) * tf.reduce_sum(integrand * tf.constant(_WS, tf.float64), axis=-1)


def _with_implicit_gradient(w: tf.Tensor, concentration: tf.Tensor, dim: int) -> tf.Tensor:
    """``w`` (cast to ``concentration``'s dtype) whose gradient to ``concentration`` is
    :func:`implicit_w_gradient`; ``concentration`` broadcasts to ``w``'s trailing shape."""

    @tf.custom_gradient
    def attach(k: tf.Tensor) -> tuple[tf.Tensor, object]:
        def grad(dy: tf.Tensor) -> tf.Tensor:
            kb = tf.broadcast_to(k, tf.shape(w))
            dwdk = tf.cast(implicit_w_gradient(w, kb, dim), dy.dtype)
            full = dy * dwdk
            axes = tf.range(tf.rank(full) - tf.rank(k))
            return tf.reshape(tf.reduce_sum(full, axis=axes), tf.shape(k))

        return tf.cast(w, k.dtype), grad

    return attach(concentration)


class VonMisesFisher(tfd.VonMisesFisher):
    """``tfd.VonMisesFisher`` with exact (implicit) reparameterized samples in any dimension.

    Args:
        mean_direction: ``[..., D]`` unit vectors.
        concentration: ``[...]`` non-negative.

    ``sample`` is differentiable with respect to both parameters; ``log_prob``, ``entropy``
    and ``tfd.kl_divergence(q, tfd.SphericalUniform(D))`` are TFP's.
    """

    def __init__(
        self,
        mean_direction,
        concentration,
        validate_args=False,
        allow_nan_stats=True,
        name="VonMisesFisher",
    ):
        parameters = dict(locals())
        super().__init__(
            mean_direction,
            concentration,
            validate_args=validate_args,
            allow_nan_stats=allow_nan_stats,
            name=name,
        )
        self._parameters = parameters
        self._reparameterization_type = tfd.FULLY_REPARAMETERIZED

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return tfd.VonMisesFisher._parameter_properties(dtype, num_classes=num_classes)

    def _sample_n(self, n, seed=None):
        mu = tf.convert_to_tensor(self.mean_direction)
        kappa = tf.convert_to_tensor(self.concentration)
        dim = int(mu.shape[-1])
        batch = tf.broadcast_dynamic_shape(tf.shape(mu)[:-1], tf.shape(kappa))
        shape = tf.concat([[n], batch], axis=0)
        seed = tfp.random.sanitize_seed(seed)
        w = _wood_w(kappa, dim, shape, seed)
        w = _with_implicit_gradient(w, tf.broadcast_to(kappa, batch), dim)[..., None]
        v = tf.math.l2_normalize(
            tf.random.stateless_normal(
                tf.concat([shape, [dim - 1]], 0),
                tf.random.experimental.stateless_fold_in(seed, 7919),
                dtype=mu.dtype,
            ),
            axis=-1,
        )
        tangent = tf.sqrt(tf.maximum(1.0 - w**2, 1e-12)) * v
        samples = tf.concat([w, tangent], axis=-1)  # around e1 = (1, 0, ..., 0)
        return self._rotate(samples, tf.broadcast_to(mu, tf.concat([batch, [dim]], 0)))
