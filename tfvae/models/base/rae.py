"""The regularized autoencoders of Ghosh et al. (2020): a deterministic autoencoder whose codes
are kept small (``0.5 ||z||^2``) and whose decoder is kept smooth by a penalty the subclass
chooses (weight decay: :class:`~tfvae.models.rae_l2.RAE_L2`; gradient penalty:
:class:`~tfvae.models.rae_gp.RAE_GP`). New samples come from ex-post density estimation on
the codes (``tfvae generate --sampler gmm``)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.ae import AE, AEConfig


@dataclasses.dataclass
class RAEConfig(AEConfig):
    """Fields shared by the RAEs (Pythae's names and defaults).

    Attributes:
        embedding_weight: weight of ``0.5 ||z||^2`` (Pythae: 1e-4).
        reg_weight: weight of the decoder penalty (Pythae: 1e-7).
    """

    embedding_weight: float = 1e-4
    reg_weight: float = 1e-7

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("embedding_weight", "reg_weight")


class RegularizedAE(AE):
    """``loss = mean_B [recon + embedding_weight 0.5 ||z||^2] + reg_weight * decoder_penalty``."""

    config_class = RAEConfig
    loss_terms = ("loss", "reconstruction", "embedding", "decoder_penalty")

    def decoder_penalty(self, z: tf.Tensor, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """``(decoder outputs for z [B, *input_shape], penalty scalar)``."""
        raise NotImplementedError

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        z = self.run_encoder(x, training=training)["embedding"]
        params, penalty = self.decoder_penalty(z, training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        embedding = tf.reduce_mean(0.5 * tf.reduce_sum(tf.square(z), axis=-1))
        cfg = self.config
        loss = recon + cfg.embedding_weight * embedding + cfg.reg_weight * penalty
        return {
            "loss": loss,
            "reconstruction": recon,
            "embedding": embedding,
            "decoder_penalty": penalty,
        }
