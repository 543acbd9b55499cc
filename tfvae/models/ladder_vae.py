"""LadderVAE: top-down inference over a stack of latent groups (Sonderby et al., 2016)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.models.base.hierarchy import HierarchicalVAE, HierarchicalVAEConfig, dense_stack
from tfvae.models.base.registry import register_model
from tfvae.nn.blocks import run_layers


@dataclasses.dataclass
class LadderVAEConfig(HierarchicalVAEConfig):
    """Config of :class:`LadderVAE`.

    Attributes:
        latent_dim: the total number of latent variables, split over the groups (the top
            group the smallest, as the paper's 64-32-16-8-4 stack).
        num_groups: L, the number of latent groups (``None``: 3, or ``latent_dim`` when it is
            smaller).
        hidden_units: width of each top-down MLP ``z_{i-1} -> p(z_i | z_{i-1})``.
        hidden_layers: hidden layers of each top-down MLP.
    """

    num_groups: int | None = None
    hidden_units: int = 64
    hidden_layers: int = 2

    def validate(self) -> None:
        super().validate()
        self.check_positive("hidden_units", "hidden_layers")
        if self.num_groups is not None:
            self.check_positive("num_groups")
            self.check(
                "num_groups",
                self.num_groups <= self.latent_dim,
                f"at most latent_dim={self.latent_dim} (every group needs a latent variable)",
            )

    @property
    def groups(self) -> int:
        """L: ``num_groups``, or 3 (``latent_dim`` when smaller)."""
        return self.num_groups if self.num_groups is not None else min(3, self.latent_dim)


def split_sizes(total: int, groups: int) -> list[int]:
    """``total`` latent variables over ``groups``, top (first) the smallest: 10, 3 -> [3, 3, 4]."""
    return sorted(int(len(part)) for part in np.array_split(np.arange(total), groups))


@register_model
class LadderVAE(HierarchicalVAE):
    """Ladder VAE: groups ``z_0`` (top) .. ``z_{L-1}``, prior ``p(z_0) = N(0, I)``,
    ``p(z_i | z_{i-1}) = N(mu_p, s_p^2)`` from a top-down MLP; the posterior merges the
    encoder's bottom-up estimate ``(mu_e, s_e)`` of each group with that prior by precision
    weighting, ``s_q^-2 = s_e^-2 + s_p^-2``, ``mu_q = s_q^2 (mu_e s_e^-2 + mu_p s_p^-2)``
    (the top group: ``N(mu_e, s_e^2)``), so inference shares the generative path.

    ``loss = mean_B [ recon(x, dec(z_0..z_{L-1})) + w sum_i KL(q(z_i|z_<i, x) || p(z_i|z_<i)) ]``
    with each KL analytic given the sampled groups above it, ``w`` the KL warm-up (the paper
    warms up over 200 epochs; ``kl_warmup_steps``).

    The networks are the flat models' (any encoder/decoder of the contract, the benchmark
    ones included): the encoder's ``embedding`` and ``log_covariance`` ``[B, latent_dim]``
    are the bottom-up estimates of every group (top group first), and the decoder sees every
    group (``p(x | z_0..z_{L-1})``, skip connections from each group, as NVAE's and BIVA's
    generative paths). Batch norm is left out of the top-down MLPs (the paper uses it) so that
    replicas train exactly like one device.

    Example:
        >>> model = LadderVAE(LadderVAEConfig(input_shape=(28, 28, 1), latent_dim=16,
        ...                                   num_groups=3, reconstruction_loss="bce"))
        >>> model.generate(16, temperature=0.8).shape
        TensorShape([16, 28, 28, 1])
    """

    config_class = LadderVAEConfig

    @classmethod
    def group_count(cls, config: Any) -> int:
        return config.groups

    def make_layers(self) -> None:
        sizes = split_sizes(self.latent_dim, self.config.groups)
        self.group_shapes = [(s,) for s in sizes]
        cfg = self.config
        self.top_down = [
            dense_stack(cfg.hidden_units, cfg.hidden_layers, 2 * s, f"top_down_{i + 1}")
            for i, s in enumerate(sizes[1:])
        ]

    def bottom_up(self, encoder_outputs: dict[str, tf.Tensor]) -> list[Any]:
        for key in ("embedding", "log_covariance"):
            got = encoder_outputs.get(key)
            if got is None or tuple(got.shape[1:]) != (self.latent_dim,):
                raise ValueError(
                    f"LadderVAE: the encoder must return {key!r} [B, {self.latent_dim}] "
                    f"(the bottom-up estimates of every group); got "
                    + ("none" if got is None else f"shape {tuple(got.shape)}")
                )
        mu = tf.split(tf.cast(encoder_outputs["embedding"], tf.float32), self.group_sizes, -1)
        log_var = tf.split(
            tf.cast(encoder_outputs["log_covariance"], tf.float32), self.group_sizes, -1
        )
        return [(m, 0.5 * v) for m, v in zip(mu, log_var, strict=True)]

    def top_down_start(self, batch: tf.Tensor) -> Any:
        return tf.zeros(tf.stack([batch, self.group_sizes[0]]))

    def prior_params(self, i: int, h: Any, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        if i == 0:
            return tf.zeros_like(h), tf.zeros_like(h)
        loc, log_scale = tf.split(run_layers(self.top_down[i - 1], h), 2, axis=-1)
        return loc, log_scale

    def posterior_params(
        self, i: int, h: Any, evidence: Any, prior: tuple[tf.Tensor, tf.Tensor], training: bool
    ) -> tuple[tf.Tensor, tf.Tensor]:
        mu_e, ls_e = evidence
        if i == 0:
            return mu_e, ls_e
        mu_p, ls_p = prior
        # precisions in log space: log s_q^2 = -logsumexp(-2 ls_e, -2 ls_p)
        log_var = -tf.reduce_logsumexp(tf.stack([-2.0 * ls_e, -2.0 * ls_p]), axis=0)
        w_e = tf.exp(log_var - 2.0 * ls_e)
        return w_e * mu_e + (1.0 - w_e) * mu_p, 0.5 * log_var

    def absorb(self, i: int, h: Any, z: tf.Tensor, training: bool) -> Any:
        return z

    def decoder_input(self, h: Any, codes: tf.Tensor) -> tf.Tensor:
        return codes
