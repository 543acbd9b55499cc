"""BetaVAE (Higgins et al., 2017): the VAE with a weighted KL term."""

from __future__ import annotations

import dataclasses

from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig


@dataclasses.dataclass
class BetaVAEConfig(VAEConfig):
    """Config of :class:`BetaVAE`.

    Attributes:
        beta: weight of the KL term (>= 0; 1 is the VAE).
    """

    beta: float = 1.0

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("beta")


@register_model
class BetaVAE(VAE):
    """``loss = mean_B [ recon + beta * KL(q(z|x) || p(z)) ]``.

    Example:
        >>> model = BetaVAE(BetaVAEConfig(input_shape=(28, 28, 1), latent_dim=10, beta=4.0))
    """

    config_class = BetaVAEConfig

    def kl_weight(self) -> float:
        return self.config.beta
