"""VAEGAN (Larsen et al., 2016): a VAE whose reconstruction is measured in the feature space of
a GAN discriminator that also learns to tell data from decoded prior samples."""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfvae.models.base.discriminator import DiscriminatorConfig, binary_xent
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE
from tfvae.nn.mlp import MLPDiscriminator


@dataclasses.dataclass
class VAEGANConfig(DiscriminatorConfig):
    """Config of :class:`VAEGAN` (Pythae's names and defaults, plus ``use_equilibrium``).

    Attributes:
        adversarial_loss_scale: ``a`` in the decoder's ``(1 - a) recon - a * GAN loss`` (0.5).
        reconstruction_layer: which discriminator layer's features the reconstruction compares
            (``layer_<k>``, 1-based; -1 the last hidden layer).
        equilibrium, margin: the discriminator skips its step when one of its two
            cross-entropies falls below ``equilibrium - margin`` (it is winning), the decoder
            skips its step when one rises above ``equilibrium + margin``; both step if both
            would skip (0.68 and 0.4).
        use_equilibrium: apply that rule (tfvae's switch; off, every part steps every batch,
            which multi-replica strategies need).
        discriminator_hidden_units, discriminator_layers: the default discriminator (an MLP on
            the flattened image with ReLU layers, Pythae: one of 256 units).
    """

    adversarial_loss_scale: float = 0.5
    reconstruction_layer: int = -1
    equilibrium: float = 0.68
    margin: float = 0.4
    use_equilibrium: bool = True

    def validate(self) -> None:
        super().validate()
        self.check(
            "adversarial_loss_scale",
            0.0 <= self.adversarial_loss_scale <= 1.0,
            "a number in [0, 1]",
        )
        self.check_non_negative("equilibrium", "margin")
        self.check(
            "reconstruction_layer",
            self.reconstruction_layer != 0,
            "a 1-based layer index or -1 for the last hidden layer",
        )


@register_model
class VAEGAN(VAE):
    """Three objectives, three optimizers, one ``train_step`` (Pythae's VAEGAN trainer):

    - encoder: ``encoder_loss = mean [KL + recon]``, ``recon = 0.5 ||D_l(x) - D_l(x~)||^2`` on
      the discriminator's layer ``l`` features of the data and of its reconstruction;
    - decoder: ``decoder_loss = (1 - a) mean recon - a * discriminator_loss``;
    - discriminator: ``discriminator_loss = BCE(D(x), 1) + BCE(D(dec(z_p)), 0) +
      BCE(D(x~), 0)``, ``z_p ~ N(0, I)``, ``x~ = dec(enc(x))``: Larsen et al.'s three terms
      (Pythae leaves out the reconstruction's, so its decoder gets no adversarial signal on
      reconstructions).

    The equilibrium rule (see the config) skips the decoder's or the discriminator's step;
    ``decoder_update`` / ``discriminator_update`` in the history are the fractions of steps
    each took. ``compile(optimizer=...)`` sets the encoder's optimizer; the others are clones
    or ``compile(optimizers={"decoder_loss": ..., "discriminator_loss": ...})``.
    A custom discriminator maps images to ``{"logit": [B, 1], "layer_1": ..., ...}``.
    """

    config_class = VAEGANConfig
    likelihood_model = False  # its reconstruction term is not log p(x|z): nll() refuses
    loss_terms = (
        "loss",
        "encoder_loss",
        "decoder_loss",
        "discriminator_loss",
        "reconstruction",
        "kl",
        "discriminator_real",
        "discriminator_prior",
        "discriminator_reconstruction",
        "decoder_update",
        "discriminator_update",
    )
    optimizer_groups = {
        "encoder_loss": ("encoder",),
        "decoder_loss": ("decoder",),
        "discriminator_loss": ("discriminator",),
    }
    extra_networks = ("discriminator",)

    @property
    def gated_groups(self) -> dict[str, str]:  # type: ignore[override]
        """The equilibrium rule's gates, when ``use_equilibrium``."""
        if not self.config.use_equilibrium:
            return {}
        return {"decoder_loss": "decoder_update", "discriminator_loss": "discriminator_update"}

    def default_network(self, name: str) -> keras.Model:
        cfg = self.config
        return MLPDiscriminator(
            list(cfg.input_shape),
            cfg.discriminator_hidden_units,
            cfg.discriminator_layers,
            num_outputs=1,
            negative_slope=0.0,
            return_features=True,
            name=name,
        )

    def feature_key(self) -> str:
        """The discriminator output compared by the reconstruction term."""
        if self.config.reconstruction_layer > 0:
            return f"layer_{self.config.reconstruction_layer}"
        return self._layer_keys[self.config.reconstruction_layer]

    def build(self, input_shape: object) -> None:
        super().build(input_shape)
        out = self.discriminator(tf.zeros((1, *self.input_shape_)), training=False)
        keys = (
            sorted((k for k in out if k.startswith("layer_")), key=lambda k: int(k[6:]))
            if isinstance(out, dict)
            else []
        )
        if not keys or "logit" not in out or tuple(out["logit"].shape) != (1, 1):
            raise ValueError(
                "VAEGAN: the discriminator must map images to a dict with 'logit' [B, 1] and "
                "feature layers 'layer_1', 'layer_2', ... (e.g. tfvae.nn.MLPDiscriminator(..., "
                "num_outputs=1, return_features=True))"
            )
        self._layer_keys = keys
        layer = self.config.reconstruction_layer
        if abs(layer) > len(keys) or (layer > 0 and f"layer_{layer}" not in out):
            raise ValueError(
                f"VAEGANConfig.reconstruction_layer={layer}: the discriminator has feature "
                f"layers {keys}"
            )

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        cfg = self.config
        enc = self.run_encoder(x, training=training)
        z, kl = self.posterior_sample_and_kl(enc, self.noise_seed())
        z_prior = self.prior_noise(enc["embedding"], "prior")
        recon_x = self.likelihood.mean(self.decoder_params(z, training=training))
        generated = self.likelihood.mean(self.decoder_params(z_prior, training=training))
        key = self.feature_key()
        d_x = self.discriminator(x, training=training)
        d_rec = self.discriminator(recon_x, training=training)
        d_gen = self.discriminator(generated, training=training)
        flat = keras.layers.Flatten()
        recon = 0.5 * tf.reduce_sum(tf.square(flat(d_x[key]) - flat(d_rec[key])), axis=-1)
        real_cost = binary_xent(d_x["logit"][:, 0], 1.0)
        prior_cost = binary_xent(d_gen["logit"][:, 0], 0.0)
        reconstruction_cost = binary_xent(d_rec["logit"][:, 0], 0.0)
        # Larsen et al.'s L_GAN: log D(x) + log(1 - D(dec(z_p))) + log(1 - D(dec(enc(x)))), so
        # the decoder also gets an adversarial signal on its reconstructions
        discriminator_loss = real_cost + prior_cost + reconstruction_cost
        recon, kl = tf.reduce_mean(recon), tf.reduce_mean(kl)
        encoder_loss = kl + recon
        a = cfg.adversarial_loss_scale
        decoder_loss = (1.0 - a) * recon - a * discriminator_loss
        update_disc, update_dec = tf.constant(True), tf.constant(True)
        if cfg.use_equilibrium:
            low, high = cfg.equilibrium - cfg.margin, cfg.equilibrium + cfg.margin
            update_disc = tf.logical_not((real_cost < low) | (prior_cost < low))
            update_dec = tf.logical_not((real_cost > high) | (prior_cost > high))
            neither = tf.logical_not(update_disc | update_dec)
            update_disc, update_dec = update_disc | neither, update_dec | neither
        return {
            "loss": encoder_loss + decoder_loss + discriminator_loss,
            "encoder_loss": encoder_loss,
            "decoder_loss": decoder_loss,
            "discriminator_loss": discriminator_loss,
            "reconstruction": recon,
            "kl": kl,
            "discriminator_real": real_cost,
            "discriminator_prior": prior_cost,
            "discriminator_reconstruction": reconstruction_cost,
            "decoder_update": tf.cast(update_dec, tf.float32),
            "discriminator_update": tf.cast(update_disc, tf.float32),
        }
