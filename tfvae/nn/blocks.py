"""Layers shared by the benchmark networks."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="tfvae")
class ResBlock(keras.layers.Layer):
    """Pythae's residual block: ``x + Conv1x1(ReLU(Conv3x3(ReLU(x))))``.

    Input and output: ``[B, H, W, channels]``.
    """

    def __init__(self, channels: int, hidden: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = channels
        self.hidden = hidden
        self.conv1 = keras.layers.Conv2D(hidden, 3, padding="same")
        self.conv2 = keras.layers.Conv2D(channels, 1)

    def build(self, input_shape: tuple) -> None:
        self.conv1.build(input_shape)
        self.conv2.build(tuple(input_shape[:-1]) + (self.hidden,))

    def call(self, x: Any) -> Any:
        h = self.conv1(keras.ops.relu(x))
        return x + self.conv2(keras.ops.relu(h))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channels": self.channels, "hidden": self.hidden}
