"""AE: the deterministic autoencoder."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.model import BaseAE
from tfvae.models.base.registry import register_model


@dataclasses.dataclass
class AEConfig(BaseAEConfig):
    """Config of :class:`AE`; see :class:`~tfvae.models.base.config.BaseAEConfig` for the fields."""


@register_model
class AE(BaseAE):
    """Deterministic autoencoder: ``loss = mean_B recon(x, dec(enc(x)))``.

    The reconstruction term is summed over pixels: ``0.5 * ||x - x'||^2`` for ``"mse"``,
    binary cross-entropy for ``"bce"``.

    Example:
        >>> model = AE(AEConfig(input_shape=(28, 28, 1), latent_dim=16))
        >>> model.compile(optimizer="adam"); model.fit(data.train, epochs=5)
    """

    config_class = AEConfig
    loss_terms = ("loss", "reconstruction")
    mse_scale = 2.0  # Pythae's AE: ||x - x'||^2 (no 1/2)

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        z = self.run_encoder(x, training=training)["embedding"]
        params = self.decoder_params(z, training=training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        return {"loss": recon, "reconstruction": recon}
