"""What the models with a discriminator share (FactorVAE, Adversarial_AE, VAEGAN): the config
fields of the default discriminator and the cross-entropy of its logits."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.vae import VAEConfig


@dataclasses.dataclass
class DiscriminatorConfig(VAEConfig):
    """Fields of the default discriminator (:class:`tfvae.nn.MLPDiscriminator`); ignored when
    a ``discriminator`` network is passed to the model.

    Attributes:
        discriminator_hidden_units: units per hidden layer.
        discriminator_layers: number of hidden layers.
    """

    discriminator_hidden_units: int = 256
    discriminator_layers: int = 1

    def validate(self) -> None:
        super().validate()
        self.check_positive("discriminator_hidden_units", "discriminator_layers")


def binary_xent(logits: tf.Tensor, label: float) -> tf.Tensor:
    """Mean binary cross-entropy of ``logits [B]`` against a constant ``label`` (0 or 1)."""
    labels = tf.fill(tf.shape(logits), label)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
