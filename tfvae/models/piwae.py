"""PIWAE: partially importance weighted autoencoder (Rainforth et al., 2018)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.importance import log_mean_exp, report_terms
from tfvae.models.base.registry import register_model
from tfvae.models.miwae import MIWAEConfig, grouped_bounds
from tfvae.models.vae import VAE


@dataclasses.dataclass
class PIWAEConfig(MIWAEConfig):
    """Config of :class:`PIWAE`: ``number_samples`` K and ``number_gradient_estimates`` M."""


@register_model
class PIWAE(VAE):
    """Two objectives, two optimizers, one ``train_step``: the decoder (generative network)
    follows the IWAE bound of all ``M * K`` samples, the encoder (inference network) the MIWAE
    bound (M groups of K), as in Rainforth et al. and Pythae.

    ``loss = encoder_loss + decoder_loss`` (Pythae's report). ``compile(optimizer=...)`` sets
    the decoder's optimizer; the encoder gets a clone, or ``compile(optimizers={"encoder_loss":
    ...})``.
    """

    config_class = PIWAEConfig
    loss_terms = ("loss", "encoder_loss", "decoder_loss", "reconstruction", "kl")
    optimizer_groups = {"decoder_loss": ("decoder",), "encoder_loss": ("encoder",)}

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        m, k = self.config.number_gradient_estimates, self.config.number_samples
        terms = self.importance_terms(x, m * k, training=training)
        encoder_loss = -tf.reduce_mean(grouped_bounds(terms["log_w"], m, k))
        decoder_loss = -tf.reduce_mean(log_mean_exp(terms["log_w"], axis=0))
        return {
            "loss": encoder_loss + decoder_loss,
            "encoder_loss": encoder_loss,
            "decoder_loss": decoder_loss,
            **report_terms(terms),
        }
