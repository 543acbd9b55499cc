"""WAE_MMD: the Wasserstein autoencoder with an MMD penalty (Tolstikhin et al., 2018)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.mmd import MMDKernelConfig, mmd_to_prior
from tfvae.models.base.model import BaseAE
from tfvae.models.base.registry import register_model


@dataclasses.dataclass
class WAE_MMD_Config(MMDKernelConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`WAE_MMD`.

    Attributes:
        reg_weight: weight of the MMD penalty (Pythae: 3e-2).
        reconstruction_loss_scale: multiplies the reconstruction term.
    """

    reg_weight: float = 3e-2
    reconstruction_loss_scale: float = 1.0

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("reg_weight")
        self.check_positive("reconstruction_loss_scale")


@register_model
class WAE_MMD(BaseAE):  # noqa: N801 (Pythae's name)
    """Deterministic encoder; ``loss = scale * mean_B recon + reg_weight * MMD(z, z_prior)``
    with ``z_prior ~ N(0, I)`` and the kernel of the config. The MMD is computed on the global
    batch, so distributed training matches one device. (Pythae's "mse" term here is
    ``0.5 * ||x - x'||^2`` like every tfvae model.) Sample with ``GaussianMixtureSampler`` or
    ``NormalSampler``."""

    config_class = WAE_MMD_Config
    loss_terms = ("loss", "reconstruction", "mmd")
    mse_scale = 2.0  # Pythae's WAE: ||x - x'||^2 (no 1/2)

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        z = self.run_encoder(x, training=training)["embedding"]
        params = self.decoder_params(z, training=training)
        recon = self.config.reconstruction_loss_scale * tf.reduce_mean(
            self.reconstruction_term(x, params)
        )
        penalty = mmd_to_prior(self, z)
        return {
            "loss": recon + self.config.reg_weight * penalty,
            "reconstruction": recon,
            "mmd": penalty,
        }
