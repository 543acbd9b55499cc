"""Convolutional networks with spatial latent codes (a grid of code vectors), for the
vector-quantized models and their PixelCNN prior."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from tfvae.nn.base import ACTIVATIONS, Network, check_positive_int, float32


@keras.saving.register_keras_serializable(package="tfvae")
class SpatialConvEncoder(Network):
    """Conv(4x4, stride 2, ReLU) per entry of ``filters``, then a 1x1 convolution to
    ``latent_dim`` channels. Input ``[B, H, W, C]``; output ``{"embedding": [B, H / 2^n,
    W / 2^n, latent_dim]}`` (28x28 with two blocks: a 7x7 grid)."""

    def __init__(self, latent_dim: int, filters: Sequence[int] = (32, 64), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_positive_int("SpatialConvEncoder", "latent_dim", latent_dim)
        self._remember(latent_dim=latent_dim, filters=list(filters))
        self.blocks = [
            keras.layers.Conv2D(f, 4, strides=2, padding="same", activation="relu") for f in filters
        ]
        self.head = keras.layers.Conv2D(latent_dim, 1, name="embedding")

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        for block in self.blocks:
            x = block(x)
        return {"embedding": self.head(x)}


@keras.saving.register_keras_serializable(package="tfvae")
class SpatialConvDecoder(Network):
    """ConvTranspose(4x4, stride 2, ReLU) per entry of ``filters``, then a 3x3 convolution to
    the data's channels. Input ``[B, h, w, D]``; output ``{"reconstruction": [B, h 2^n, w 2^n,
    C]}`` (checked against ``data_shape`` by the model)."""

    def __init__(
        self,
        data_shape: Sequence[int],
        filters: Sequence[int] = (64, 32),
        output_activation: str = "sigmoid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation not in ACTIVATIONS:
            raise ValueError(f"SpatialConvDecoder: output_activation must be one of {ACTIVATIONS}")
        self._remember(
            data_shape=list(data_shape), filters=list(filters), output_activation=output_activation
        )
        self.blocks = [
            keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same", activation="relu")
            for f in filters
        ]
        self.out = keras.layers.Conv2D(
            int(data_shape[-1]), 3, padding="same", activation=output_activation
        )

    def call(self, z: Any, training: bool = False) -> dict[str, Any]:
        for block in self.blocks:
            z = block(z)
        return {"reconstruction": float32(self.out(z))}
