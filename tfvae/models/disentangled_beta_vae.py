"""DisentangledBetaVAE (Burgess et al., 2018): a beta-VAE whose KL is pulled towards a
capacity C that grows during training."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig


@dataclasses.dataclass
class DisentangledBetaVAEConfig(VAEConfig):
    """Config of :class:`DisentangledBetaVAE`.

    Attributes:
        beta: weight gamma of ``|KL - C(t)|`` (Pythae's name and default: 10).
        C: the final capacity C_max in nats (Pythae: 50).
        warmup_steps: C(t) grows linearly from 0 to C_max over this many training steps
            (Pythae's ``warmup_epoch`` counts epochs). The step counter is a model weight, so it
            is saved with the model and restored on resume.
    """

    beta: float = 10.0
    C: float = 50.0  # noqa: N815 (Pythae's name)
    warmup_steps: int = 1000

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("beta", "C")
        self.check_positive("warmup_steps")


@register_model
class DisentangledBetaVAE(VAE):
    """``loss = mean_B [recon + beta * |KL - C(t)|]``, ``C(t) = C * min(1, t / warmup_steps)``
    with ``t`` the number of training steps taken (a saved, non-trainable weight).

    The capacity binds every example's KL, as in Burgess et al.'s objective and Pythae
    (disentanglement_lib's AnnealedVAE binds the batch mean instead). The reported ``kl`` is the
    batch mean."""

    config_class = DisentangledBetaVAEConfig
    loss_terms = ("loss", "reconstruction", "kl", "capacity")

    counts_training_steps = True

    def capacity(self) -> tf.Tensor:
        """C(t) in nats."""
        cfg = self.config
        return cfg.C * tf.minimum(1.0, tf.convert_to_tensor(self.training_step) / cfg.warmup_steps)

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        parts = self.elbo_parts(x, training=training)
        capacity = self.capacity()
        recon, kl = tf.reduce_mean(parts["reconstruction"]), tf.reduce_mean(parts["kl"])
        gap = tf.reduce_mean(tf.abs(parts["kl"] - capacity))
        loss = recon + self.config.beta * gap
        return {"loss": loss, "reconstruction": recon, "kl": kl, "capacity": capacity}
