"""Coupling flows: NICE (additive, Dinh et al., 2015) and RealNVP (affine, Dinh et al., 2017)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class Coupling(tfb.Bijector):
    """Masked coupling: with a binary mask ``m`` (kept dimensions),

        y = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x))

    ``log|det J| = sum (1 - m) s``. Additive (NICE) when ``s = 0``.

    Args:
        mask: ``[D]`` of 0/1.
        shift_and_log_scale_fn: ``x -> (t, s)``, each ``[..., D]``.
        affine: use ``s`` (RealNVP); ``False`` ignores it (NICE).
    """

    def __init__(
        self,
        mask: Any,
        shift_and_log_scale_fn: Any,
        affine: bool = True,
        validate_args: bool = False,
        name: str = "coupling",
    ):
        parameters = dict(locals())
        self.mask = tf.convert_to_tensor(mask)
        self.fn = shift_and_log_scale_fn
        self.affine = affine
        super().__init__(
            forward_min_event_ndims=1,
            is_constant_jacobian=not affine,
            validate_args=validate_args,
            parameters=parameters,
            name=name,
        )

    @classmethod
    def _parameter_properties(cls, dtype: Any, num_classes: Any = None) -> dict:
        return {}

    def _params(self, kept: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        mask = tf.cast(self.mask, kept.dtype)
        shift, log_scale = self.fn(kept)
        shift = tf.cast(shift, kept.dtype) * (1.0 - mask)
        log_scale = (
            tf.cast(log_scale, kept.dtype) * (1.0 - mask) if self.affine else tf.zeros_like(kept)
        )
        return shift, log_scale

    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        shift, log_scale = self._params(x * tf.cast(self.mask, x.dtype))
        return x * tf.exp(log_scale) + shift

    def _inverse(self, y: tf.Tensor) -> tf.Tensor:
        shift, log_scale = self._params(y * tf.cast(self.mask, y.dtype))
        return (y - shift) * tf.exp(-log_scale)

    def _forward_log_det_jacobian(self, x: tf.Tensor) -> tf.Tensor:
        _, log_scale = self._params(x * tf.cast(self.mask, x.dtype))
        return tf.reduce_sum(log_scale, axis=-1)

    def _inverse_log_det_jacobian(self, y: tf.Tensor) -> tf.Tensor:
        _, log_scale = self._params(y * tf.cast(self.mask, y.dtype))
        return -tf.reduce_sum(log_scale, axis=-1)


class NICE(Coupling):
    """NICE's additive coupling (Dinh et al., 2015): ``y = x + (1 - m) * t(m * x)``, unit
    Jacobian determinant. ``shift_and_log_scale_fn`` may return any ``log_scale`` (ignored)."""

    def __init__(
        self,
        mask: Any,
        shift_and_log_scale_fn: Any,
        validate_args: bool = False,
        name: str = "nice",
    ):
        super().__init__(
            mask, shift_and_log_scale_fn, affine=False, validate_args=validate_args, name=name
        )


class RealNVP(Coupling):
    """RealNVP's affine coupling (Dinh et al., 2017):
    ``y = m * x + (1 - m) * (x * exp(s(m * x)) + t(m * x))``; alternate ``m`` between layers."""

    def __init__(
        self,
        mask: Any,
        shift_and_log_scale_fn: Any,
        validate_args: bool = False,
        name: str = "real_nvp",
    ):
        super().__init__(
            mask, shift_and_log_scale_fn, affine=True, validate_args=validate_args, name=name
        )


@keras.saving.register_keras_serializable(package="tfvae")
class CouplingFlow(keras.layers.Layer):
    """One coupling step with an MLP ``(t, s)`` network; ``parity`` alternates the mask
    (even: keep the first half, odd: the second). ``affine=False`` gives NICE's additive step,
    ``True`` RealNVP's affine one (``s`` soft-clipped to (-5, 5))."""

    def __init__(
        self,
        dim: int,
        hidden_units: Sequence[int] = (64, 64),
        parity: int = 0,
        affine: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if dim < 2:
            raise ValueError(f"CouplingFlow needs dim >= 2 to split. Received: dim={dim}")
        self.dim, self.hidden_units = dim, list(hidden_units)
        self.parity, self.affine = parity, affine
        half = np.arange(dim) < dim // 2
        self.mask = tf.constant((half if parity % 2 == 0 else ~half).astype(np.float32))
        self.hidden = [keras.layers.Dense(h, activation="relu") for h in self.hidden_units]
        self.out = keras.layers.Dense(2 * dim, kernel_initializer="zeros")
        self.build((None, dim))

    def build(self, input_shape: Any) -> None:
        shape = (None, self.dim)
        for layer in self.hidden:
            layer.build(shape)
            shape = (None, layer.units)
        self.out.build(shape)

    def shift_and_log_scale(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        h = x
        for layer in self.hidden:
            h = layer(h)
        out = self.out(h)
        return out[..., : self.dim], 5.0 * tf.tanh(out[..., self.dim :] / 5.0)

    def bijector(self, context: Any = None) -> tfb.Bijector:
        cls = RealNVP if self.affine else NICE
        return cls(self.mask, self.shift_and_log_scale)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "dim": self.dim,
            "hidden_units": self.hidden_units,
            "parity": self.parity,
            "affine": self.affine,
        }


@keras.saving.register_keras_serializable(package="tfvae")
class ScaleFlow(keras.layers.Layer):
    """NICE's final diagonal scaling ``y = exp(s) * x`` (learned ``s``; additive couplings
    alone are volume preserving)."""

    def __init__(self, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dim = dim
        self.log_scale = self.add_weight(shape=(dim,), initializer="zeros", name="log_scale")

    def bijector(self, context: Any = None) -> tfb.Bijector:
        return tfb.ScaleMatvecDiag(scale_diag=tf.exp(self.log_scale))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dim": self.dim}
