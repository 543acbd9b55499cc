"""IWAE: the importance weighted autoencoder (Burda et al., 2016)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.importance import log_mean_exp, report_terms
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig


@dataclasses.dataclass
class IWAEConfig(VAEConfig):
    """Config of :class:`IWAE`.

    Attributes:
        number_samples: K, importance samples per example (Pythae's default: 10).
    """

    number_samples: int = 10

    def validate(self) -> None:
        super().validate()
        self.check_positive("number_samples")


@register_model
class IWAE(VAE):
    """``loss = -mean_B log (1/K) sum_k w_k``, ``w_k = p(x|z_k) p(z_k) / q(z_k|x)``.

    The IWAE bound with K samples; K = 1 is the VAE's ELBO. Its gradient equals Pythae's
    self-normalised estimator ``-sum_k w~_k grad log w_k``; the reported ``loss`` is the bound
    itself. ``reconstruction`` and ``kl`` are averages over the K samples.

    Example:
        >>> model = IWAE(IWAEConfig(input_shape=(28, 28, 1), latent_dim=16, number_samples=5))
    """

    config_class = IWAEConfig

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        terms = self.importance_terms(x, self.config.number_samples, training=training)
        bound = log_mean_exp(terms["log_w"], axis=0)
        return {"loss": -tf.reduce_mean(bound), **report_terms(terms)}
