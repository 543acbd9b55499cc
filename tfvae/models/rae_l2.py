"""RAE_L2 (Ghosh et al., 2020): regularized autoencoder with weight decay on the decoder."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.rae import RAEConfig, RegularizedAE
from tfvae.models.base.registry import register_model


@dataclasses.dataclass
class RAE_L2_Config(RAEConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`RAE_L2`: ``embedding_weight`` and ``reg_weight`` (the decoder's
    weight decay)."""


@register_model
class RAE_L2(RegularizedAE):  # noqa: N801 (Pythae's name)
    """``decoder_penalty = 0.5 sum_theta ||theta||^2`` over the decoder's trainable weights
    only (the encoder is not decayed). Its gradient ``reg_weight * theta`` is what Pythae gets
    from a decoder optimizer with ``weight_decay=reg_weight`` (PyTorch's coupled L2), so the
    two train alike under any optimizer."""

    config_class = RAE_L2_Config

    def decoder_penalty(self, z: tf.Tensor, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        params = self.decoder_params(z, training=training)
        weights = self.decoder.trainable_variables
        penalty = 0.5 * tf.add_n([tf.reduce_sum(tf.square(w)) for w in weights])
        return params, penalty
