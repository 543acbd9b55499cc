"""PoincareVAE (Mathieu et al., 2019): a VAE whose latent space is the Poincare ball."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import keras
import tensorflow as tf

from tfvae.distributions.poincare import PoincareBall, RiemannianNormal, WrappedNormal
from tfvae.models.base.condition import condition_width
from tfvae.models.base.config import BaseAEConfig, decoder_activation
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE
from tfvae.nn.hyperbolic import GyroplaneMLPDecoder


@dataclasses.dataclass
class PoincareVAEConfig(BaseAEConfig):
    """Config of :class:`PoincareVAE`.

    Attributes:
        curvature: c > 0; the ball has curvature -c and radius 1/sqrt(c).
        prior_distribution: ``"wrapped_normal"`` (Pythae's default) or ``"riemannian_normal"``,
            centred at the origin with unit scale.
        posterior_distribution: ``"wrapped_normal"`` (diagonal scale from ``log_covariance``)
            or ``"riemannian_normal"`` (one scale per example: ``log_concentration [B, 1]``
            from the encoder, else the mean of its ``log_covariance`` head, as in SVAE).
    """

    curvature: float = 1.0
    prior_distribution: Literal["wrapped_normal", "riemannian_normal"] = "wrapped_normal"
    posterior_distribution: Literal["wrapped_normal", "riemannian_normal"] = "wrapped_normal"

    def validate(self) -> None:
        super().validate()
        self.check_positive("curvature")


@register_model
class PoincareVAE(VAE):
    """Poincare VAE: ``q(z|x) = N^W(exp_0(embedding), exp(log_covariance / 2))`` and
    ``p(z) = N^W(0, I)`` on the ball of curvature ``-c``, wrapped normals
    (:class:`~tfvae.distributions.poincare.WrappedNormal`) by default, or Riemannian normals
    (:class:`~tfvae.distributions.poincare.RiemannianNormal`, exact implicit gradients) for
    either.

    ``loss = mean_B [ recon(x, dec(z)) + log q(z|x) - log p(z) ]`` (one-sample KL estimate, as
    Pythae). The posterior mean is the encoder's embedding mapped onto the ball by ``exp_0``;
    the default decoder starts with a gyroplane layer (:class:`~tfvae.nn.GyroplaneMLPDecoder`).
    Codes from ``encode`` are points of the ball; sample with ``poincare_disk`` (the prior).
    Class-conditional: the default decoder's gyroplanes see the code alone and the condition
    shifts their output inside the first ReLU (``GyroplaneMLPDecoder(condition_dim=K)``); a
    decoder of your own receives ``[z, c]`` as every conditional decoder does and must keep
    ``c`` off the ball.
    """

    config_class = PoincareVAEConfig
    benchmark_networks = False  # hyperbolic layers are part of the model
    latent_geometry = "poincare"
    analytic_kl = False

    def __init__(
        self,
        config: Any = None,
        encoder: keras.Model | None = None,
        decoder: keras.Model | None = None,
        **kwargs: Any,
    ) -> None:
        cfg = self._coerce_config(config)
        if decoder is None:
            activation = decoder_activation(cfg)
            decoder = GyroplaneMLPDecoder(
                cfg.input_shape,
                curvature=cfg.curvature,
                output_activation=activation,
                condition_dim=condition_width(cfg),
                name="decoder",
            )
        self.ball = PoincareBall(cfg.latent_dim, cfg.curvature)
        super().__init__(cfg, encoder=encoder, decoder=decoder, **kwargs)

    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        return self.ball.project(self.ball.expmap0(encoder_outputs["embedding"]))

    def posterior(self, encoder_outputs: dict[str, tf.Tensor]) -> Any:
        loc = self.code_of(encoder_outputs)
        if self.config.posterior_distribution == "riemannian_normal":
            if "log_concentration" in encoder_outputs:
                log_var = encoder_outputs["log_concentration"][..., 0]
            else:
                log_var = tf.reduce_mean(encoder_outputs["log_covariance"], axis=-1)
            return RiemannianNormal(loc, tf.exp(0.5 * log_var), self.ball)
        return WrappedNormal(loc, tf.exp(0.5 * encoder_outputs["log_covariance"]), self.ball)

    def prior(self) -> Any:
        """The unit-scale wrapped (or Riemannian) normal at the origin of the ball."""
        zero = tf.zeros([self.latent_dim])
        if self.config.prior_distribution == "riemannian_normal":
            return RiemannianNormal(zero, tf.constant(1.0), self.ball)
        return WrappedNormal(zero, tf.ones([self.latent_dim]), self.ball)

    def random_codes(self, n: tf.Tensor) -> tf.Tensor:
        if self.config.prior_distribution == "riemannian_normal":
            raise NotImplementedError(
                "the TFLite sampler cannot draw from a Riemannian-normal prior (its radius is "
                "an inverse CDF); export the encoder and decoder, or use the SavedModel"
            )
        return self.prior().from_tangent(super().random_codes(n))
