"""VAE: the variational autoencoder (Kingma & Welling, 2014)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.model import BaseAE
from tfvae.models.base.registry import register_model


@dataclasses.dataclass
class VAEConfig(BaseAEConfig):
    """Config of :class:`VAE`; see :class:`~tfvae.models.base.config.BaseAEConfig` for the fields."""


@register_model
class VAE(BaseAE):
    """Variational autoencoder with a diagonal-Gaussian posterior and a N(0, I) prior.

    ``loss = mean_B [ recon(x, dec(z)) + w * KL(q(z|x) || p(z)) ]``, ``z ~ q(z|x)``
    reparameterised, the KL analytic (``tfd.kl_divergence``; Monte Carlo for priors without
    one), ``w = kl_weight()`` (1 here).

    Example:
        >>> model = VAE(VAEConfig(input_shape=(28, 28, 1), latent_dim=16))
        >>> model.compile(optimizer="adam")
        >>> model.fit(data.train, epochs=5, validation_data=data.test)
        >>> model.generate(64).shape
        TensorShape([64, 28, 28, 1])
    """

    config_class = VAEConfig
    loss_terms = ("loss", "reconstruction", "kl")
    variational = True

    def kl_weight(self) -> float:
        """Weight of the KL term."""
        return 1.0

    def elbo_parts(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        """Per-example terms: ``reconstruction`` and ``kl`` ``[B]``, the sample ``z`` ``[B, D]``."""
        enc = self.run_encoder(x, training=training)
        z, kl = self.posterior_sample_and_kl(enc, self.noise_seed())
        params = self.decoder_params(z, training=training)
        return {"reconstruction": self.reconstruction_term(x, params), "kl": kl, "z": z}

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        parts = self.elbo_parts(x, training=training)
        recon = tf.reduce_mean(parts["reconstruction"])
        kl = tf.reduce_mean(parts["kl"])
        return {"loss": recon + self.kl_weight() * kl, "reconstruction": recon, "kl": kl}
