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
        alpha: the InfoVAE alpha (0, as Pythae and Zhao et al.).
        lbd: the InfoVAE lambda (1000, Zhao et al.'s MMD-VAE setting). Pythae's default,
            1e-3, gives the MMD the weight ``alpha + lbd - 1 = -0.999``: its loss then
            *maximises* the MMD between the codes and the prior, the opposite of the model.
            A config whose MMD weight is negative is refused.
    """

    alpha: float = 0.0
    lbd: float = 1000.0

    def validate(self) -> None:
        super().validate()
        self.check(
            "lbd",
            self.alpha + self.lbd - 1.0 >= 0.0,
            f"at least 1 - alpha = {1.0 - self.alpha:g} (the MMD weight alpha + lbd - 1 must "
            "not be negative, or the loss maximises the MMD; Zhao et al. use lbd = 1000)",
        )


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
