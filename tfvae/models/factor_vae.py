"""FactorVAE (Kim & Mnih, 2018): a VAE whose total correlation is estimated by a discriminator
telling codes from codes with every dimension shuffled across the batch."""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfvae.models.base.discriminator import DiscriminatorConfig
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE
from tfvae.nn.mlp import MLPDiscriminator
from tfvae.nn.replicas import global_batch, replica_rows


@dataclasses.dataclass
class FactorVAEConfig(DiscriminatorConfig):
    """Config of :class:`FactorVAE`.

    Attributes:
        gamma: weight of the total-correlation estimate (Pythae: 2).
        discriminator_hidden_units, discriminator_layers: the default discriminator's size
            (Pythae: 5 hidden layers of 1000 units, LeakyReLU 0.2); ignored when a
            ``discriminator`` network is passed.
    """

    gamma: float = 2.0
    discriminator_hidden_units: int = 1000
    discriminator_layers: int = 5

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("gamma")


def permute_dims(z: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Shuffle each column of ``z: [B, D]`` independently across the batch (a sample of
    ``prod_d q(z_d)`` when ``z ~ q(z)``); stateless, seeded by ``seed: [2]`` int32."""
    b, d = tf.shape(z)[0], tf.shape(z)[1]
    keys = tf.random.stateless_uniform(tf.stack([b, d]), seed=seed)
    order = tf.transpose(tf.argsort(keys, axis=0))  # [D, B]: a random permutation per column
    return tf.transpose(tf.gather(tf.transpose(z), order, batch_dims=1))


@register_model
class FactorVAE(VAE):
    """Two objectives, two optimizers, one ``train_step`` (Pythae's coupled-optimizer training):

    - the encoder and decoder minimise ``autoencoder_loss = mean [recon + KL] + gamma * TC``,
      ``TC = mean(logit_0(z) - logit_1(z))`` the discriminator's log-density-ratio estimate;
    - the discriminator minimises the cross-entropy of telling codes ``z`` (label 0) from
      dimension-permuted codes (label 1, no gradient to the encoder).

    As in Pythae, each batch is split in two: even rows feed the VAE terms, odd rows are
    encoded and permuted for the discriminator (batches need at least 2 examples). Under a
    strategy the permutation runs over the global batch, so N replicas match one device.
    ``compile(optimizer=...)`` sets the autoencoder's optimizer; the discriminator gets a
    clone, or ``compile(optimizers={"discriminator_loss": ...})``; both are saved and restored.
    ``loss = autoencoder_loss + discriminator_loss`` (Pythae's report).
    """

    config_class = FactorVAEConfig
    loss_terms = (
        "loss",
        "autoencoder_loss",
        "discriminator_loss",
        "reconstruction",
        "kl",
        "total_correlation",
    )
    optimizer_groups = {
        "autoencoder_loss": ("encoder", "decoder"),
        "discriminator_loss": ("discriminator",),
    }
    extra_networks = ("discriminator",)
    code_networks = {"discriminator": 2}

    def default_network(self, name: str) -> keras.Model:
        cfg = self.config
        return MLPDiscriminator(
            cfg.latent_dim, cfg.discriminator_hidden_units, cfg.discriminator_layers, name=name
        )

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        tf.debugging.assert_greater_equal(
            tf.shape(x)[0], 2, message="FactorVAE needs at least 2 examples per batch"
        )
        x_vae, x_perm = x[0::2], x[1::2]
        with self.condition_scope.rows(lambda c: c[0::2]):
            parts = self.elbo_parts(x_vae, training=training)
        recon, kl = tf.reduce_mean(parts["reconstruction"]), tf.reduce_mean(parts["kl"])
        logits = self.discriminator(parts["z"], training=training)
        tc = tf.reduce_mean(logits[:, 0] - logits[:, 1])
        autoencoder_loss = recon + kl + self.config.gamma * tc

        with self.condition_scope.rows(lambda c: c[1::2]):
            enc = self.run_encoder(x_perm, training=training)
        z_perm, _ = self.posterior_sample_and_kl(enc, self.noise_seed("permuted_posterior"))
        z_perm = tf.stop_gradient(z_perm)
        everyone = global_batch(z_perm)
        offset, _ = replica_rows(tf.shape(z_perm)[0])
        shuffled = permute_dims(everyone, self.noise_seed("permutation"))
        shuffled = shuffled[offset : offset + tf.shape(z_perm)[0]]
        perm_logits = self.discriminator(shuffled, training=training)
        xent = keras.losses.sparse_categorical_crossentropy
        discriminator_loss = 0.5 * (
            tf.reduce_mean(xent(tf.zeros_like(logits[:, 0]), logits, from_logits=True))
            + tf.reduce_mean(xent(tf.ones_like(perm_logits[:, 0]), perm_logits, from_logits=True))
        )
        return {
            "loss": autoencoder_loss + discriminator_loss,
            "autoencoder_loss": autoencoder_loss,
            "discriminator_loss": discriminator_loss,
            "reconstruction": recon,
            "kl": kl,
            "total_correlation": tc,
        }
