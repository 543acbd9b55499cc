"""Layers shared by the benchmark networks."""

from __future__ import annotations

from typing import Any

import keras


def run_layers(layers: list, h: Any, training: bool = False) -> Any:
    """Apply ``layers`` in order; batch normalisations get ``training`` (the others take
    none)."""
    for layer in layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            h = layer(h, training=training)
        else:
            h = layer(h)
    return h


@keras.saving.register_keras_serializable(package="tfvae")
class ResBlock(keras.layers.Layer):
    """Pythae's residual block: ``x + Conv1x1(ReLU(Conv3x3(ReLU(x))))``.

    Args:
        rank: spatial rank: 2 for images (Pythae's), 1 for sequences, 3 for volumes.
    Input and output: ``[B, *spatial, channels]``.
    """

    def __init__(self, channels: int, hidden: int = 32, rank: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"ResBlock: rank must be 1, 2 or 3. Received: rank={rank!r}")
        self.channels = channels
        self.hidden = hidden
        self.rank = rank
        conv = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}[rank]
        self.conv1 = conv(hidden, 3, padding="same")
        self.conv2 = conv(channels, 1)

    def build(self, input_shape: tuple) -> None:
        self.conv1.build(input_shape)
        self.conv2.build(tuple(input_shape[:-1]) + (self.hidden,))

    def call(self, x: Any) -> Any:
        h = self.conv1(keras.ops.relu(x))
        return x + self.conv2(keras.ops.relu(h))

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "channels": self.channels,
            "hidden": self.hidden,
            "rank": self.rank,
        }
