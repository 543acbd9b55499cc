"""MADE: masked autoencoder for distribution estimation (Germain et al., 2015), in Keras 3."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf


def made_masks(event_size: int, hidden_units: Sequence[int]) -> list[np.ndarray]:
    """Connectivity masks ``[in, out]`` of the hidden layers and the output layer.

    Input ``i`` has degree ``i + 1``; hidden units cycle through degrees ``1 .. D - 1``; a
    hidden unit of degree ``k`` sees inputs of degree ``<= k``; output ``d`` (degree ``d + 1``)
    sees hidden units of degree ``< d + 1``. Output ``d`` thus depends on inputs ``< d`` only.
    """
    degrees = [np.arange(1, event_size + 1)]
    for units in hidden_units:
        degrees.append(np.arange(units) % max(1, event_size - 1) + 1)
    masks = [
        (d_out[None, :] >= d_in[:, None]).astype(np.float32)
        for d_in, d_out in zip(degrees[:-1], degrees[1:], strict=True)
    ]
    out_degrees = np.arange(1, event_size + 1)
    masks.append((out_degrees[None, :] > degrees[-1][:, None]).astype(np.float32))
    return masks


@keras.saving.register_keras_serializable(package="tfvae")
class MADE(keras.layers.Layer):
    """Autoregressive network ``x: [..., D] -> (shift, log_scale)``, each ``[..., D]``, where
    output ``d`` depends only on ``x_{<d}`` (and on an optional ``context: [..., C]``, which
    feeds every hidden layer unmasked). The output layer starts at zero, so a flow built on
    it starts as the identity. ``log_scale`` is soft-clipped to ``(-clip, clip)``.

    Passed as ``shift_and_log_scale_fn`` to ``tfb.MaskedAutoregressiveFlow``: a Keras 3 layer,
    so ``fit`` trains it and ``.keras`` files save it (``tfb.AutoregressiveNetwork`` is a
    tf_keras layer that Keras 3 does not track).

    Args:
        event_size: D.
        hidden_units: units of each hidden layer.
        context_size: C (0 for none).
        clip: bound of ``log_scale``.
    """

    def __init__(
        self,
        event_size: int,
        hidden_units: Sequence[int] = (128, 128),
        context_size: int = 0,
        clip: float = 5.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if event_size < 1:
            raise ValueError(
                f"MADE: expected a positive event_size. Received: event_size={event_size}"
            )
        self.event_size = event_size
        self.hidden_units = list(hidden_units)
        self.context_size = context_size
        self.clip = clip
        masks = made_masks(event_size, self.hidden_units)
        self._masks = [tf.constant(m) for m in masks]
        sizes = [event_size, *self.hidden_units]
        self.kernels, self.biases, self.context_kernels = [], [], []
        for i, units in enumerate(self.hidden_units):
            self.kernels.append(
                self.add_weight(
                    shape=(sizes[i], units), name=f"kernel_{i}", initializer="glorot_uniform"
                )
            )
            self.biases.append(
                self.add_weight(shape=(units,), name=f"bias_{i}", initializer="zeros")
            )
            if context_size:
                self.context_kernels.append(
                    self.add_weight(
                        shape=(context_size, units),
                        name=f"context_kernel_{i}",
                        initializer="glorot_uniform",
                    )
                )
        self.out_kernel = self.add_weight(
            shape=(sizes[-1], 2 * event_size), name="out_kernel", initializer="zeros"
        )
        self.out_bias = self.add_weight(
            shape=(2 * event_size,), name="out_bias", initializer="zeros"
        )

    def call(self, x: Any, context: Any = None) -> tuple[tf.Tensor, tf.Tensor]:
        h = tf.convert_to_tensor(x, self.out_kernel.dtype)
        for i in range(len(self.hidden_units)):
            kernel = self.kernels[i]
            h2 = tf.matmul(h, kernel * tf.cast(self._masks[i], kernel.dtype)) + self.biases[i]
            if self.context_size:
                if context is None:
                    raise ValueError("MADE was built with a context_size; pass context=")
                h2 = h2 + tf.matmul(context, self.context_kernels[i])
            h = tf.nn.relu(h2)
        mask = tf.cast(tf.concat([self._masks[-1], self._masks[-1]], axis=1), self.out_kernel.dtype)
        out = tf.matmul(h, self.out_kernel * mask) + self.out_bias
        shift, raw = out[..., : self.event_size], out[..., self.event_size :]
        return shift, self.clip * tf.tanh(raw / self.clip)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "event_size": self.event_size,
            "hidden_units": self.hidden_units,
            "context_size": self.context_size,
            "clip": self.clip,
        }
