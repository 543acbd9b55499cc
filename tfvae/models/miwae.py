"""MIWAE: multiply importance weighted autoencoder (Rainforth et al., 2018)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.importance import log_mean_exp, report_terms
from tfvae.models.base.registry import register_model
from tfvae.models.iwae import IWAEConfig
from tfvae.models.vae import VAE


@dataclasses.dataclass
class MIWAEConfig(IWAEConfig):
    """Config of :class:`MIWAE`.

    Attributes:
        number_samples: K, importance samples per estimate (Pythae's default: 10).
        number_gradient_estimates: M, independent IWAE estimates averaged (Pythae: 5).
    """

    number_gradient_estimates: int = 5

    def validate(self) -> None:
        super().validate()
        self.check_positive("number_gradient_estimates")


def grouped_bounds(log_w: tf.Tensor, m: int, k: int) -> tf.Tensor:
    """``[M, B]`` IWAE bounds of M groups of K log-weights (``log_w: [M * K, B]``)."""
    return log_mean_exp(tf.reshape(log_w, [m, k, -1]), axis=1)


@register_model
class MIWAE(VAE):
    """``loss = -mean_B (1/M) sum_m log (1/K) sum_k w_{m,k}``: the average of M IWAE bounds of
    K samples each (M * K posterior samples per example). Tighter than the ELBO, with a better
    encoder gradient signal-to-noise ratio than one IWAE bound of M * K samples.

    (Pythae normalises its weights over the M axis; this follows the paper's definition.)
    """

    config_class = MIWAEConfig

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        m, k = self.config.number_gradient_estimates, self.config.number_samples
        terms = self.importance_terms(x, m * k, training=training)
        bound = tf.reduce_mean(grouped_bounds(terms["log_w"], m, k), axis=0)
        return {"loss": -tf.reduce_mean(bound), **report_terms(terms)}
