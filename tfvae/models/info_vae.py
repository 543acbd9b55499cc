"""InfoVAE_MMD: the InfoVAE with an MMD divergence (Zhao et al., 2019)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.mmd import MMDKernelConfig, mmd_to_prior
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE


@dataclasses.dataclass
class InfoVAE_MMD_Config(MMDKernelConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`InfoVAE_MMD`.

    Attributes:
        alpha: the InfoVAE alpha (Pythae: 0).
        lbd: the InfoVAE lambda (Pythae: 1e-3; note that Pythae's defaults give the MMD a
            weight ``alpha + lbd - 1 < 0``; Zhao et al. use a large lambda, e.g. 1000).
    """

    alpha: float = 0.0
    lbd: float = 1e-3


@register_model
class InfoVAE_MMD(VAE):  # noqa: N801 (Pythae's name)
    """``loss = mean_B [recon + (1 - alpha) KL(q(z|x) || p(z))] + (alpha + lbd - 1) MMD(z, z_prior)``
    with ``z ~ q(z|x)``; the MMD on the global batch (distributed training matches one device)."""

    config_class = InfoVAE_MMD_Config
    loss_terms = ("loss", "reconstruction", "kl", "mmd")

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        parts = self.elbo_parts(x, training=training)
        recon, kl = tf.reduce_mean(parts["reconstruction"]), tf.reduce_mean(parts["kl"])
        penalty = mmd_to_prior(self, parts["z"])
        cfg = self.config
        loss = recon + (1.0 - cfg.alpha) * kl + (cfg.alpha + cfg.lbd - 1.0) * penalty
        return {"loss": loss, "reconstruction": recon, "kl": kl, "mmd": penalty}
