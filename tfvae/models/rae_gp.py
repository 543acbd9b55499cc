"""RAE_GP (Ghosh et al., 2020): regularized autoencoder with a gradient penalty on the
decoder."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.rae import RAEConfig, RegularizedAE
from tfvae.models.base.registry import register_model


@dataclasses.dataclass
class RAE_GP_Config(RAEConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`RAE_GP`: ``embedding_weight`` and ``reg_weight`` (the gradient
    penalty's weight)."""


def decoder_gradient_penalty(
    decoder: object, z: tf.Tensor, training: bool = False
) -> tuple[tf.Tensor, tf.Tensor]:
    """``(D(z), mean_B ||grad_z sum(D(z_b))||^2)`` for a decoder ``D`` and codes ``z [B, D]``:
    the squared norm of the gradient of the summed decoder output with respect to the
    decoder's input, per example (differentiable, for the outer training step)."""
    with tf.GradientTape() as tape:
        tape.watch(z)
        params = decoder(z, training=training)["reconstruction"]
        total = tf.reduce_sum(params)
    grads = tape.gradient(total, z)
    return params, tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=-1))


@register_model
class RAE_GP(RegularizedAE):  # noqa: N801 (Pythae's name)
    """``decoder_penalty = mean_B ||grad_z sum D(z)||^2``, the gradient of the decoder with
    respect to its input as in Ghosh et al. (Pythae differentiates with respect to the data
    ``x``, through the encoder too; tfvae follows the paper)."""

    config_class = RAE_GP_Config

    def decoder_penalty(self, z: tf.Tensor, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        # the likelihood's parameters (with a scale head's log-scales) as the decoder output
        def params(v: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
            return {"reconstruction": self.decoder_params(v, training=training)}

        return decoder_gradient_penalty(params, z, training)
