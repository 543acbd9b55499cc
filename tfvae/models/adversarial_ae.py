"""Adversarial autoencoder (Makhzani et al., 2016): a discriminator on the codes pushes the
aggregate posterior towards the prior."""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfvae.models.base.discriminator import DiscriminatorConfig, binary_xent
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE
from tfvae.nn.mlp import MLPDiscriminator


@dataclasses.dataclass
class Adversarial_AE_Config(DiscriminatorConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`Adversarial_AE` (Pythae's names and defaults).

    Attributes:
        adversarial_loss_scale: weight of the encoder's adversarial term (0.5).
        reconstruction_loss_scale: weight of the reconstruction term (1).
        deterministic_posterior: use the posterior mean as the code (no sampling).
        discriminator_hidden_units, discriminator_layers: the default discriminator (Pythae:
            one hidden ReLU layer of 256 units, one logit).
    """

    adversarial_loss_scale: float = 0.5
    reconstruction_loss_scale: float = 1.0
    deterministic_posterior: bool = False

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("adversarial_loss_scale", "reconstruction_loss_scale")


@register_model
class Adversarial_AE(VAE):  # noqa: N801 (Pythae's name)
    """Two objectives, two optimizers, one ``train_step`` (Pythae's adversarial trainer):

    - encoder and decoder: ``autoencoder_loss = reconstruction_loss_scale * recon +
      adversarial_loss_scale * BCE(D(z), 1)`` (codes should look like prior samples);
    - discriminator: ``discriminator_loss = BCE(D(z_prior), 1) + BCE(D(z), 0)`` with
      ``z_prior ~ N(0, I)`` and the codes ``z ~ q(z|x)`` held fixed.

    The discriminator returns one logit (the cross-entropies use logits: Pythae's sigmoid +
    BCE, numerically safer). ``loss = autoencoder_loss + discriminator_loss``.
    """

    config_class = Adversarial_AE_Config
    loss_terms = ("loss", "autoencoder_loss", "discriminator_loss", "reconstruction", "adversarial")
    optimizer_groups = {
        "autoencoder_loss": ("encoder", "decoder"),
        "discriminator_loss": ("discriminator",),
    }
    extra_networks = ("discriminator",)
    code_networks = {"discriminator": 1}

    def default_network(self, name: str) -> keras.Model:
        cfg = self.config
        return MLPDiscriminator(
            cfg.latent_dim,
            cfg.discriminator_hidden_units,
            cfg.discriminator_layers,
            num_outputs=1,
            negative_slope=0.0,
            name=name,
        )

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        cfg = self.config
        enc = self.run_encoder(x, training=training)
        seed = self.noise_seed()
        if cfg.deterministic_posterior:
            z = enc["embedding"]
        else:
            z, _ = self.posterior_sample_and_kl(enc, seed)
        z_prior = self.prior_noise(enc["embedding"], "prior")
        params = self.decoder_params(z, training=training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        adversarial = binary_xent(self.discriminator(z, training=training)[:, 0], 1.0)
        autoencoder_loss = (
            cfg.reconstruction_loss_scale * recon + cfg.adversarial_loss_scale * adversarial
        )
        fake = self.discriminator(tf.stop_gradient(z), training=training)[:, 0]
        real = self.discriminator(z_prior, training=training)[:, 0]
        discriminator_loss = binary_xent(real, 1.0) + binary_xent(fake, 0.0)
        return {
            "loss": autoencoder_loss + discriminator_loss,
            "autoencoder_loss": autoencoder_loss,
            "discriminator_loss": discriminator_loss,
            "reconstruction": recon,
            "adversarial": adversarial,
        }
