"""Hyperbolic layers: the gyroplane layer and a decoder starting with it (Mathieu et al., 2019)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfvae.distributions.poincare import PoincareBall
from tfvae.nn.base import ACTIVATIONS, Network, check_positive_int, float32


def _asinh(x: Any) -> Any:
    """``asinh`` from ops TFLite has (it has no Asinh): ``sign(x) log(|x| + sqrt(x^2 + 1))``."""
    a = tf.abs(x)
    return tf.sign(x) * tf.math.log(a + tf.sqrt(a * a + 1.0))


@keras.saving.register_keras_serializable(package="tfvae")
class Gyroplane(keras.layers.Layer):
    """Signed distances of Poincare-ball points to ``units`` learned gyroplanes, the
    hyperbolic analogue of an affine layer:

    ``f_k(z) = sign(<(-p_k) (+) z, a_k>) ||a_k||_{p_k} d_c(z, H_{a_k, p_k})``,
    ``d_c(z, H) = arsinh(2 sqrt c |<(-p) (+) z, a>| / ((1 - c ||(-p) (+) z||^2) ||a||)) / sqrt c``,

    with ``p_k = exp_0(offset_k)`` on the ball and the normal ``a_k`` transported from the
    origin (``||a||_p = lambda_p ||a||``). Input ``[B, D]`` on the ball; output ``[B, units]``.
    """

    def __init__(self, units: int, curvature: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.curvature = units, curvature
        self.ball = PoincareBall(1, curvature)

    def build(self, input_shape: Any) -> None:
        dim = int(input_shape[-1])
        self.ball = PoincareBall(dim, self.curvature)
        self.normal = self.add_weight(
            shape=(self.units, dim), name="normal", initializer=keras.initializers.GlorotUniform()
        )
        self.offset = self.add_weight(
            shape=(self.units, dim),
            name="offset",
            initializer=keras.initializers.RandomNormal(stddev=1e-2),
        )

    def call(self, z: Any) -> Any:
        ball, sqrt_c = self.ball, self.ball.sqrt_c
        p = ball.expmap0(self.offset)  # [U, D]
        a = ball.transp0(p, self.normal)  # [U, D]
        diff = ball.mobius_add(-p[None], z[:, None, :])  # [B, U, D]
        inner = tf.reduce_sum(diff * a[None], axis=-1)  # [B, U]
        a_norm = tf.maximum(tf.norm(a, axis=-1), 1e-15)  # [U]
        denom = (1.0 - ball.c * tf.reduce_sum(diff**2, -1)) * a_norm
        dist = _asinh(2.0 * sqrt_c * inner / tf.maximum(denom, 1e-15)) / sqrt_c  # signed
        return ball.lambda_x(p)[:, 0] * a_norm * dist

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "curvature": self.curvature}


@keras.saving.register_keras_serializable(package="tfvae")
class GyroplaneMLPDecoder(Network):
    """Pythae's MLP decoder with a :class:`Gyroplane` first layer (Mathieu et al.'s decoder
    for Poincare latents): Gyroplane(hidden[0]) -> ReLU -> Dense(hidden[i], relu)... ->
    Dense(prod(data_shape)) -> reshape -> activation.

    Input ``z: [B, D]`` on the ball; output ``{"reconstruction": [B, *data_shape]}``. With
    ``condition_dim=K`` the input is ``[B, D + K]``: a conditional model's code and its
    condition (:mod:`tfvae.models.base.condition`). The gyroplanes see the code, points of
    the ball, and the condition shifts their output inside the first ReLU,
    ``relu(gyroplane(z) + W c)``, as it does in a Euclidean decoder's first layer
    ``relu(W_z z + W c + b)``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (512,),
        curvature: float = 1.0,
        output_activation: str = "sigmoid",
        condition_dim: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"GyroplaneMLPDecoder: output_activation must be one of "
                f"{ACTIVATIONS}, got {output_activation!r}"
            )
        for h in hidden:
            check_positive_int("GyroplaneMLPDecoder", "hidden", h)
        self._remember(
            data_shape=list(data_shape),
            hidden=list(hidden),
            curvature=curvature,
            output_activation=output_activation,
            condition_dim=condition_dim,
        )
        self.condition_dim = int(condition_dim)
        self.data_shape = tuple(data_shape)
        self.gyroplane = Gyroplane(hidden[0], curvature)
        if self.condition_dim:
            self.condition_shift = keras.layers.Dense(hidden[0], use_bias=False)
        self.hidden_layers = [keras.layers.Dense(h, activation="relu") for h in hidden[1:]]
        self.out = keras.layers.Dense(int(np.prod(data_shape)), activation=output_activation)

    def call(self, z: Any, training: bool = False) -> dict[str, Any]:
        if self.condition_dim:
            k = self.condition_dim
            h = self.gyroplane(z[:, :-k]) + self.condition_shift(z[:, -k:])
        else:
            h = self.gyroplane(z)
        h = keras.ops.relu(h)
        for layer in self.hidden_layers:
            h = layer(h)
        return {"reconstruction": float32(keras.ops.reshape(self.out(h), (-1, *self.data_shape)))}
