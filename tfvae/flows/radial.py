"""Radial flow (Rezende & Mohamed, 2015)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class Radial(tfb.Bijector):
    """``f(z) = z + beta h(r) (z - z0)``, ``h(r) = 1 / (alpha + r)``, ``r = ||z - z0||``.

    ``alpha = softplus(alpha_raw) > 0`` and ``beta = -alpha + softplus(beta_raw) >= -alpha``
    make it invertible. ``log|det J| = (D - 1) log(1 + beta h) + log(1 + beta alpha h^2)``.
    Inverse in closed form: ``r`` is the positive root of
    ``r^2 + (alpha + beta - r_y) r - alpha r_y = 0`` with ``r_y = ||y - z0||``, then
    ``z = z0 + (y - z0) / (1 + beta h(r))``.

    Args:
        z0: ``[D]`` centre; alpha_raw, beta_raw: scalars. Event shape ``[D]``.
    """

    def __init__(
        self,
        z0: Any,
        alpha_raw: Any,
        beta_raw: Any,
        validate_args: bool = False,
        name: str = "radial",
    ):
        parameters = dict(locals())
        with tf.name_scope(name):
            dtype = tf.convert_to_tensor(z0).dtype
            self.z0 = tf.convert_to_tensor(z0, dtype)
            self.alpha = tf.nn.softplus(tf.convert_to_tensor(alpha_raw, dtype))
            self.beta = -self.alpha + tf.nn.softplus(tf.convert_to_tensor(beta_raw, dtype))
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

    def _forward(self, z: tf.Tensor) -> tf.Tensor:
        diff = z - self.z0
        r = tf.norm(diff, axis=-1, keepdims=True)
        return z + self.beta / (self.alpha + r) * diff

    def _forward_log_det_jacobian(self, z: tf.Tensor) -> tf.Tensor:
        r = tf.norm(z - self.z0, axis=-1)
        h = 1.0 / (self.alpha + r)
        d = tf.cast(tf.shape(z)[-1], z.dtype)
        return (d - 1.0) * tf.math.log1p(self.beta * h) + tf.math.log1p(
            self.beta * self.alpha * h**2
        )

    def _inverse(self, y: tf.Tensor) -> tf.Tensor:
        diff = y - self.z0
        r_y = tf.norm(diff, axis=-1, keepdims=True)
        p = self.alpha + self.beta - r_y
        r = 0.5 * (-p + tf.sqrt(p**2 + 4.0 * self.alpha * r_y))
        return self.z0 + diff / (1.0 + self.beta / (self.alpha + r))

    def _inverse_log_det_jacobian(self, y: tf.Tensor) -> tf.Tensor:
        return -self._forward_log_det_jacobian(self._inverse(y))


@keras.saving.register_keras_serializable(package="tfvae")
class RadialFlow(keras.layers.Layer):
    """Keras owner of a :class:`Radial` bijector's parameters; see :class:`PlanarFlow`."""

    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.z0 = self.add_weight(
            shape=(dim,), initializer=keras.initializers.RandomNormal(stddev=0.1), name="z0"
        )
        self.alpha_raw = self.add_weight(shape=(), initializer="zeros", name="alpha_raw")
        self.beta_raw = self.add_weight(shape=(), initializer="zeros", name="beta_raw")

    def bijector(self, context: Any = None) -> tfb.Bijector:
        return Radial(self.z0, self.alpha_raw, self.beta_raw)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim}
