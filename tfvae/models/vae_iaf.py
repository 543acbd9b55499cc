"""VAE_IAF: a VAE with an inverse autoregressive flow posterior (Kingma et al., 2016)."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.flows import IAFFlow
from tfvae.models.base.flow_vae import FlowPosteriorVAE
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAEConfig


@dataclasses.dataclass
class VAE_IAF_Config(VAEConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`VAE_IAF`.

    Attributes:
        n_made_blocks: IAF steps (Pythae: 2).
        n_hidden_in_made: hidden layers of each MADE (Pythae: 3).
        hidden_size: units of those layers (Pythae: 128).
        context: condition the IAF steps on the encoder (Kingma et al.'s ``h``): the encoder's
            ``"context"`` output when it has one, else ``[mu, log_var]``. Pythae's IAF is
            unconditional (``False``).
    """

    n_made_blocks: int = 2
    n_hidden_in_made: int = 3
    hidden_size: int = 128
    context: bool = True

    def validate(self) -> None:
        super().validate()
        self.check_positive("n_made_blocks", "n_hidden_in_made", "hidden_size")


@register_model
class VAE_IAF(FlowPosteriorVAE):  # noqa: N801 (Pythae's name)
    """``z_t = mu_t(z_{t-1}, h) + sigma_t(z_{t-1}, h) * z_{t-1}`` for ``t = 1..T`` (MADE
    networks, dimensions reversed between steps), starting from ``z_0 ~ N(mu(x), sigma(x)^2)``;
    sampling and ``log q(z_T|x)`` take one network pass per step.
    """

    config_class = VAE_IAF_Config

    def make_layers(self) -> None:
        cfg = self.config
        context_size = 0
        if cfg.context:
            probe = self.run_encoder(tf.zeros((1, *self.input_shape_)), training=False)
            context_size = int(self.flow_context(probe).shape[-1])
        hidden = [cfg.hidden_size] * cfg.n_hidden_in_made
        self.flows = [
            IAFFlow(self.latent_dim, hidden, context_size=context_size, name=f"iaf_{i}")
            for i in range(cfg.n_made_blocks)
        ]

    def flow_context(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor | None:
        if not self.config.context:
            return None
        if "context" in encoder_outputs:
            return encoder_outputs["context"]
        return tf.concat([encoder_outputs["embedding"], encoder_outputs["log_covariance"]], -1)
