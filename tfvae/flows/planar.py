"""Planar flow (Rezende & Mohamed, 2015)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class Planar(tfb.Bijector):
    """``f(z) = z + u_hat tanh(w . z + b)``, invertible by construction.

    ``u_hat = u + (m(w . u) - w . u) w / ||w||^2`` with ``m(a) = -1 + softplus(a)`` guarantees
    ``w . u_hat > -1`` (Rezende & Mohamed, appendix A), hence invertibility.
    ``log|det J| = log|1 + u_hat . psi(z)|``, ``psi(z) = (1 - tanh^2(w . z + b)) w``. The inverse
    has no closed form: ``alpha = w . z`` solves the monotone scalar equation
    ``w . y = alpha + (w . u_hat) tanh(alpha + b)``, found by bisection on its bracket then
    Newton steps (float64: exact to 1e-12), and ``z = y - u_hat tanh(alpha + b)``.

    Args:
        u, w: ``[D]``; b: scalar. Event shape ``[D]``.
    """

    def __init__(self, u: Any, w: Any, b: Any, validate_args: bool = False, name: str = "planar"):
        parameters = dict(locals())
        with tf.name_scope(name):
            dtype = tf.convert_to_tensor(u).dtype
            self.u = tf.convert_to_tensor(u, dtype)
            self.w = tf.convert_to_tensor(w, dtype)
            self.b = tf.convert_to_tensor(b, dtype)
            super().__init__(
                forward_min_event_ndims=1,
                validate_args=validate_args,
                parameters=parameters,
                name=name,
                dtype=dtype,
            )

    @classmethod
    def _parameter_properties(cls, dtype: Any, num_classes: Any = None) -> dict:
        return {}

    def u_hat(self) -> tf.Tensor:
        wu = tf.reduce_sum(self.w * self.u)
        m = -1.0 + tf.nn.softplus(wu)
        return self.u + (m - wu) * self.w / tf.reduce_sum(self.w * self.w)

    def _activation(self, z: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(z * self.w, axis=-1, keepdims=True) + self.b

    def _forward(self, z: tf.Tensor) -> tf.Tensor:
        return z + self.u_hat() * tf.tanh(self._activation(z))

    def _forward_log_det_jacobian(self, z: tf.Tensor) -> tf.Tensor:
        t = tf.tanh(self._activation(z))[..., 0]
        wu = tf.reduce_sum(self.w * self.u_hat())
        return tf.math.log(tf.abs(1.0 + (1.0 - t**2) * wu))

    def _inverse(self, y: tf.Tensor) -> tf.Tensor:
        u_hat = self.u_hat()
        c = tf.reduce_sum(self.w * u_hat)  # > -1
        target = tf.reduce_sum(y * self.w, axis=-1)
        lo, hi = target - tf.abs(c) - 1.0, target + tf.abs(c) + 1.0

        def g(alpha: tf.Tensor) -> tf.Tensor:
            return alpha + c * tf.tanh(alpha + self.b) - target

        for _ in range(64):  # bisection: g is increasing, g(lo) <= 0 <= g(hi)
            mid = 0.5 * (lo + hi)
            below = g(mid) < 0
            lo, hi = tf.where(below, mid, lo), tf.where(below, hi, mid)
        alpha = 0.5 * (lo + hi)
        for _ in range(3):  # Newton polish
            t = tf.tanh(alpha + self.b)
            alpha = alpha - g(alpha) / (1.0 + c * (1.0 - t**2))
        return y - u_hat * tf.tanh(alpha + self.b)[..., None]

    def _inverse_log_det_jacobian(self, y: tf.Tensor) -> tf.Tensor:
        return -self._forward_log_det_jacobian(self._inverse(y))


@keras.saving.register_keras_serializable(package="tfvae")
class PlanarFlow(keras.layers.Layer):
    """Keras owner of a :class:`Planar` bijector's parameters (trained and saved by Keras);
    :meth:`bijector` builds the bijector from the current weights at each call."""

    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        init = keras.initializers.RandomNormal(stddev=0.01)
        self.u = self.add_weight(shape=(dim,), initializer=init, name="u")
        self.w = self.add_weight(shape=(dim,), initializer=init, name="w")
        self.b = self.add_weight(shape=(), initializer="zeros", name="b")

    def bijector(self, context: Any = None) -> tfb.Bijector:
        return Planar(self.u, self.w, self.b)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim}
