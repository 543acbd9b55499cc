"""SVAE: the hyperspherical VAE (Davidson et al., 2018), a von Mises-Fisher posterior on the
sphere ``S^{D-1}`` and a uniform prior."""

from __future__ import annotations

import dataclasses

import tensorflow as tf
import tensorflow_probability as tfp

from tfvae.distributions.vmf import VonMisesFisher
from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE

tfd = tfp.distributions


@dataclasses.dataclass
class SVAEConfig(BaseAEConfig):
    """Config of :class:`SVAE`; ``latent_dim`` is the dimension D of the ambient space (codes
    lie on the sphere ``S^{D-1}``, so ``latent_dim >= 2``)."""

    def validate(self) -> None:
        super().validate()
        self.check("latent_dim", self.latent_dim >= 2, "at least 2 (the sphere S^{D-1} in R^D)")


@register_model
class SVAE(VAE):
    """Hyperspherical VAE: ``q(z|x) = vMF(mu(x), kappa(x))`` on ``S^{D-1}``, ``p(z)`` uniform.

    ``loss = mean_B [ recon(x, dec(z)) + KL(vMF || Uniform) ]`` with the exact KL and exact
    reparameterized gradients in every dimension (:class:`~tfvae.distributions.VonMisesFisher`:
    Wood's sampler with implicit gradients). ``mu = embedding / ||embedding||`` and, as in
    Pythae, ``kappa = softplus(log_concentration) + 1`` with ``log_concentration [B, 1]`` from
    the encoder; encoders that follow the Gaussian contract instead (``log_covariance [B, D]``,
    all of tfvae's networks) give ``log_concentration`` as the mean of that head, which is the
    same family of linear heads.

    Example:
        >>> model = SVAE(SVAEConfig(input_shape=(28, 28, 1), latent_dim=3))
        >>> model.encode(x)  # unit vectors [B, 3]
    """

    config_class = SVAEConfig
    latent_geometry = "sphere"

    def concentration(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """``kappa [B]`` from the encoder outputs (see the class doc)."""
        if "log_concentration" in encoder_outputs:
            raw = encoder_outputs["log_concentration"][..., 0]
        else:
            raw = tf.reduce_mean(encoder_outputs["log_covariance"], axis=-1)
        return tf.nn.softplus(raw) + 1.0

    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        return tf.math.l2_normalize(encoder_outputs["embedding"], axis=-1)

    def posterior(self, encoder_outputs: dict[str, tf.Tensor]) -> tfd.Distribution:
        """``vMF(mu, kappa)`` with batch shape ``[B]`` and event shape ``[D]``."""
        return VonMisesFisher(self.code_of(encoder_outputs), self.concentration(encoder_outputs))

    def prior(self) -> tfd.Distribution:
        """The uniform distribution on ``S^{D-1}``."""
        return tfd.SphericalUniform(self.latent_dim, dtype=tf.float32)

    def random_codes(self, n: tf.Tensor) -> tf.Tensor:
        return tf.math.l2_normalize(super().random_codes(n), axis=-1)
