"""Layers shared by the benchmark networks."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


def run_layers(layers: list, h: Any, training: bool = False) -> Any:
    """Apply ``layers`` in order; batch normalisations get ``training`` (the others take
    none)."""
    for layer in layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            h = batch_norm(layer, h, training)
        else:
            h = layer(h)
    return h


def batch_norm(layer: keras.layers.BatchNormalization, h: Any, training: bool = False) -> Any:
    """``layer`` applied to ``h``, the same numbers as ``layer(h, training=training)``.

    In training, on images ``[B, H, W, C]`` normalised over the channels (Keras's defaults:
    no renormalisation, not synchronised across replicas, centred and scaled), it runs
    TensorFlow's fused kernel (``FusedBatchNormV3``: one op forward, one backward) instead of
    Keras's moments, normalisation and their gradients as separate ops: about 5% of a training
    step of Pythae's 28x28 conv VAE (``tools/bench_paths.py``). The moving statistics are
    updated as Keras does, with the biased batch variance. Anything else goes to ``layer``.
    """
    fusable = (
        training
        and layer.trainable
        and len(h.shape) == 4
        and layer.axis in (-1, 3)
        and not layer.synchronized
        and not layer.renorm
        and layer.center
        and layer.scale
    )
    if not fusable:
        return layer(h, training=training)
    if not layer.built:
        layer.build(h.shape)
    x = tf.cast(h, tf.float32)  # as Keras: statistics in float32 whatever the policy
    empty = tf.constant([], tf.float32)
    y, mean, unbiased, *_ = tf.raw_ops.FusedBatchNormV3(
        x=x,
        scale=tf.cast(layer.gamma, tf.float32),
        offset=tf.cast(layer.beta, tf.float32),
        mean=empty,
        variance=empty,
        epsilon=layer.epsilon,
        data_format="NHWC",
        is_training=True,
    )
    # the kernel returns the Bessel-corrected variance; Keras's moving variance uses the biased
    count = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), tf.float32)
    variance = tf.where(count > 1.0, unbiased * ((count - 1.0) / count), tf.zeros_like(unbiased))
    momentum = layer.momentum
    layer.moving_mean.assign(layer.moving_mean * momentum + mean * (1.0 - momentum))
    layer.moving_variance.assign(layer.moving_variance * momentum + variance * (1.0 - momentum))
    return tf.cast(y, layer.compute_dtype)


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
