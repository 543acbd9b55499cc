"""PixelCNN over grids of discrete codes (van den Oord et al., 2016): masked convolutions so
each position sees only the positions before it in raster order, gated activations."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfvae.nn.base import Network, check_positive_int
from tfvae.nn.trainable import LossTermsModel


def causal_mask(kernel_size: int, mask_type: str) -> np.ndarray:
    """``[k, k]`` mask of a masked convolution: 1 above the centre row and left of the centre
    in its row; the centre itself only for type ``"B"`` (type ``"A"``, the first layer,
    excludes the current position)."""
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    mask = np.zeros((kernel_size, kernel_size), np.float32)
    c = kernel_size // 2
    mask[:c, :] = 1.0
    mask[c, :c] = 1.0
    if mask_type == "B":
        mask[c, c] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="tfvae")
class MaskedConv2D(keras.layers.Layer):
    """A 'same' convolution whose kernel is multiplied by :func:`causal_mask`."""

    def __init__(self, filters: int, kernel_size: int, mask_type: str = "B", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_positive_int("MaskedConv2D", "filters", filters)
        if kernel_size % 2 != 1:
            raise ValueError(f"MaskedConv2D: kernel_size must be odd, got {kernel_size}")
        self.filters, self.kernel_size, self.mask_type = filters, kernel_size, mask_type
        self.mask = causal_mask(kernel_size, mask_type)[:, :, None, None]

    def build(self, input_shape: Any) -> None:
        k = self.kernel_size
        self.kernel = self.add_weight(
            shape=(k, k, int(input_shape[-1]), self.filters),
            initializer="glorot_uniform",
            name="kernel",
        )
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, x: Any) -> tf.Tensor:
        kernel = self.kernel * self.mask
        return tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + self.bias

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
        }


def _gate(h: tf.Tensor) -> tf.Tensor:
    a, b = tf.split(h, 2, axis=-1)
    return tf.tanh(a) * tf.sigmoid(b)


@keras.saving.register_keras_serializable(package="tfvae")
class PixelCNN(Network, LossTermsModel):
    """Autoregressive model of code grids ``[B, h, w]`` (ints in ``[0, num_classes)``):
    embedding -> masked conv A (``first_kernel``) -> gated -> ``num_layers`` residual blocks
    (masked conv B 3x3, gated tanh * sigmoid, 1x1) -> ReLU -> 1x1 -> logits ``[B, h, w,
    num_classes]``. Trained by the cross-entropy of each position given the previous ones
    (``loss``, nats per position)."""

    loss_terms = ("loss",)

    def __init__(
        self,
        num_classes: int,
        hidden: int = 64,
        num_layers: int = 5,
        first_kernel: int = 7,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._remember(
            num_classes=num_classes, hidden=hidden, num_layers=num_layers, first_kernel=first_kernel
        )
        self.num_classes = num_classes
        self.embed = keras.layers.Embedding(num_classes, hidden)
        self.first = MaskedConv2D(2 * hidden, first_kernel, "A")
        self.blocks = [
            (MaskedConv2D(2 * hidden, 3, "B"), keras.layers.Conv2D(hidden, 1))
            for _ in range(num_layers)
        ]
        self.head = keras.layers.Conv2D(hidden, 1, activation="relu")
        self.logits = keras.layers.Conv2D(num_classes, 1)

    def call(self, indices: Any, training: bool = False) -> tf.Tensor:
        return self.from_embeddings(self.embed(tf.cast(indices, tf.int32)))

    def from_embeddings(self, e: tf.Tensor) -> tf.Tensor:
        """Logits ``[B, h, w, K]`` from embedded codes ``e: [B, h, w, hidden]``."""
        h = _gate(self.first(e))
        for masked, mix in self.blocks:
            h = h + mix(_gate(masked(h)))
        return self.logits(self.head(tf.nn.relu(h)))

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        indices = tf.cast(tf.round(x), tf.int32)
        logits = self(indices, training=training)
        xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=indices, logits=logits)
        return {"loss": tf.reduce_mean(xent)}
