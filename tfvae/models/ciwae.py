"""CIWAE: combination importance weighted autoencoder (Rainforth et al., 2018)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.importance import log_mean_exp, report_terms
from tfvae.models.base.registry import register_model
from tfvae.models.iwae import IWAEConfig
from tfvae.models.vae import VAE


@dataclasses.dataclass
class CIWAEConfig(IWAEConfig):
    """Config of :class:`CIWAE`.

    Attributes:
        number_samples: K.
        beta: weight of the ELBO in ``beta * ELBO + (1 - beta) * IWAE`` (in [0, 1]; Pythae: 0.5).
    """

    beta: float = 0.5

    def validate(self) -> None:
        super().validate()
        self.check("beta", 0.0 <= self.beta <= 1.0, "in [0, 1]")


@register_model
class CIWAE(VAE):
    """``loss = -mean_B [beta * (1/K) sum_k log w_k + (1 - beta) * log (1/K) sum_k w_k]``: a
    convex combination of the K-sample ELBO and the IWAE bound on the same samples."""

    config_class = CIWAEConfig

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        terms = self.importance_terms(x, self.config.number_samples, training=training)
        elbo = tf.reduce_mean(terms["log_w"], axis=0)
        iwae = log_mean_exp(terms["log_w"], axis=0)
        beta = self.config.beta
        return {"loss": -tf.reduce_mean(beta * elbo + (1.0 - beta) * iwae), **report_terms(terms)}
