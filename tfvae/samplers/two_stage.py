"""TwoStageVAESampler: a second VAE fitted on the latent codes (Dai & Wipf, 2019)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow as tf

from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.model import BaseAE
from tfvae.nn import MLPDecoder, MLPEncoder
from tfvae.samplers.base import NetworkSampler, TrainedSamplerConfig, register_sampler


@dataclasses.dataclass
class TwoStageVAESamplerConfig(TrainedSamplerConfig):
    """Config of :class:`TwoStageVAESampler`, plus the training fields of
    :class:`~tfvae.samplers.base.TrainedSamplerConfig`.

    Attributes:
        second_stage_depth: hidden layers of the second-stage encoder and decoder (Pythae: 2).
        second_layers_dim: units per hidden layer (Pythae: 1024).
    """

    second_stage_depth: int = 2
    second_layers_dim: int = 1024

    def validate(self) -> None:
        super().validate()
        self.check_positive("second_stage_depth", "second_layers_dim")


class SecondStageVAE(BaseAE):
    """The second stage: a VAE on codes ``u: [B, D]`` whose Gaussian decoder has a learned
    scale gamma (the key of Dai & Wipf: gamma -> 0 lets the second stage match the aggregate
    posterior of the first). Per example::

        loss = ||u - u'||^2 / (2 gamma^2) + D log gamma + (D / 2) log(2 pi) + KL(q(v|u) || N(0, I))
    """

    loss_terms = ("loss", "reconstruction", "kl", "gamma")
    variational = True

    def make_layers(self) -> None:
        self.log_gamma = self.add_weight(shape=(), initializer="zeros", name="log_gamma")

    def compute_loss_terms(self, u: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        v, kl = self.posterior_sample_and_kl(
            self.run_encoder(u, training=training), self.noise_seed()
        )
        mean = self.decoder(v, training=training)["reconstruction"]
        d = float(self.latent_dim)
        gamma = tf.exp(self.log_gamma)
        sq = tf.reduce_sum(tf.square(u - mean), axis=-1)
        recon = sq / (2.0 * gamma**2) + d * self.log_gamma + 0.5 * d * math.log(2 * math.pi)
        recon, kl = tf.reduce_mean(recon), tf.reduce_mean(kl)
        return {"loss": recon + kl, "reconstruction": recon, "kl": kl, "gamma": gamma}


@register_sampler("two_stage")
class TwoStageVAESampler(NetworkSampler):
    """Fits a second VAE on the codes of the training data, then samples ``v ~ N(0, I)``,
    decodes it to a code ``z`` with the second stage and to an image with the model
    (Dai & Wipf, 2019; Pythae's ``TwoStageVAESampler``).

    Example:
        >>> sampler = TwoStageVAESampler(model, {"epochs": 20}).fit(data.train)
        >>> images = sampler.sample(64)
    """

    config_class = TwoStageVAESamplerConfig
    network_attribute = "second_stage"

    def build_network(self, code_dim: int) -> SecondStageVAE:
        cfg, d = self.config, code_dim
        hidden = (cfg.second_layers_dim,) * cfg.second_stage_depth
        return SecondStageVAE(
            BaseAEConfig(input_shape=(d,), latent_dim=d, seed=cfg.seed),
            encoder=MLPEncoder(d, hidden=hidden, name="second_encoder"),
            decoder=MLPDecoder(
                (d,), hidden=hidden, output_activation="linear", name="second_decoder"
            ),
        )

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        v = self.second_stage.sample_prior(n, seed=seed)
        return np.asarray(self.second_stage.decode(v))
