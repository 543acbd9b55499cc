"""Batch normalization as a flow step (Dinh et al., 2017; Papamakarios et al., 2017)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class BatchNorm(tfb.Bijector):
    """Normalization with given statistics, written in the density direction (data to noise):

        inverse(x) = (x - mean) / sqrt(var + eps) * exp(log_gamma) + beta

    ``forward`` undoes it (noise to data); ``log|det d forward| = sum(0.5 log(var + eps) -
    log_gamma)``. The statistics are batch statistics while training and moving averages at
    inference (see :class:`BatchNormFlow`).

    Args:
        mean, var, log_gamma, beta: ``[D]``; eps: variance floor.
    """

    def __init__(
        self,
        mean: Any,
        var: Any,
        log_gamma: Any,
        beta: Any,
        eps: float = 1e-5,
        validate_args: bool = False,
        name: str = "batch_norm",
    ):
        parameters = dict(locals())
        dtype = tf.convert_to_tensor(mean).dtype
        self.mean = tf.convert_to_tensor(mean, dtype)
        self.var = tf.convert_to_tensor(var, dtype)
        self.log_gamma = tf.convert_to_tensor(log_gamma, dtype)
        self.beta = tf.convert_to_tensor(beta, dtype)
        self.eps = eps
        super().__init__(
            forward_min_event_ndims=1,
            is_constant_jacobian=True,
            validate_args=validate_args,
            parameters=parameters,
            name=name,
            dtype=dtype,
        )

    @classmethod
    def _parameter_properties(cls, dtype: Any, num_classes: Any = None) -> dict:
        return {}

    def _inverse(self, x: tf.Tensor) -> tf.Tensor:
        return (x - self.mean) * tf.math.rsqrt(self.var + self.eps) * tf.exp(
            self.log_gamma
        ) + self.beta

    def _forward(self, u: tf.Tensor) -> tf.Tensor:
        return (u - self.beta) * tf.exp(-self.log_gamma) * tf.sqrt(self.var + self.eps) + self.mean

    def _forward_log_det_jacobian(self, u: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(0.5 * tf.math.log(self.var + self.eps) - self.log_gamma)

    def _inverse_log_det_jacobian(self, x: tf.Tensor) -> tf.Tensor:
        return -self._forward_log_det_jacobian(x)


@keras.saving.register_keras_serializable(package="tfvae")
class BatchNormFlow(keras.layers.Layer):
    """Keras owner of a :class:`BatchNorm` step: trainable ``log_gamma``, ``beta`` and moving
    ``mean``/``var`` (updated with ``momentum`` from the batch statistics of its input while the
    flow trains). :meth:`bijector` uses the moving statistics; :meth:`training_bijector`
    computes batch statistics of ``x`` (the step's input in the data direction) and updates
    the moving ones."""

    def __init__(self, dim: int, momentum: float = 0.9, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim, self.momentum = dim, momentum
        self.log_gamma = self.add_weight(shape=(dim,), initializer="zeros", name="log_gamma")
        self.beta = self.add_weight(shape=(dim,), initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(
            shape=(dim,),
            initializer="zeros",
            trainable=False,
            name="moving_mean",
            aggregation="mean",
        )
        self.moving_var = self.add_weight(
            shape=(dim,), initializer="ones", trainable=False, name="moving_var", aggregation="mean"
        )

    def bijector(self, context: Any = None) -> tfb.Bijector:
        return BatchNorm(self.moving_mean, self.moving_var, self.log_gamma, self.beta)

    def training_bijector(self, x: tf.Tensor) -> tfb.Bijector:
        flat = tf.reshape(x, [-1, self.dim])
        mean, var = tf.reduce_mean(flat, axis=0), tf.math.reduce_variance(flat, axis=0)
        m = self.momentum
        self.moving_mean.assign(m * self.moving_mean + (1.0 - m) * tf.stop_gradient(mean))
        self.moving_var.assign(m * self.moving_var + (1.0 - m) * tf.stop_gradient(var))
        return BatchNorm(mean, var, self.log_gamma, self.beta)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim, "momentum": self.momentum}
