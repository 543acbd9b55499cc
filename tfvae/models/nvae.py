"""NVAE: a compact Nouveau VAE, spatial latent groups at several resolutions (Vahdat & Kautz,
2020)."""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import tensorflow as tf

from tfvae.distributions import likelihood_for
from tfvae.models.base.config import decoder_activation
from tfvae.models.base.hierarchy import HierarchicalVAE, HierarchicalVAEConfig
from tfvae.models.base.registry import register_model
from tfvae.nn.blocks import ResBlock
from tfvae.nn.conv_nd import CONV_BY_RANK, DECONV_BY_RANK
from tfvae.nn.hierarchical import HierarchicalDecoder, HierarchicalEncoder, crop, scale_grids


@dataclasses.dataclass
class NVAEConfig(HierarchicalVAEConfig):
    """Config of :class:`NVAE`.

    Attributes:
        latent_dim: latent channels of each group (each group is a map ``[*grid,
            latent_dim]``; NVAE's ``num_latent_per_group``).
        num_scales: latent resolutions: the data's grid halved ``num_preprocess + 1`` ..
            ``num_preprocess + num_scales`` times.
        groups_per_scale: latent groups on each resolution.
        channels: channels of the residual cells (encoder and top-down path).
        num_preprocess: halvings (each a stride-2 convolution and a residual cell) before the
            finest latent grid, and as many upsamplings after it in the decoder: NVAE's
            preprocessing / postprocessing cells. 0 puts the finest groups on the data's grid
            halved once (28x28 -> 14x14); 1 on 7x7, with 4x fewer latent variables per group.
        kl_warmup_steps: NVAE warms the KL up over the first 30% of training; 0 here by
            default so that a short run's loss is the ELBO from its first step.
    """

    num_scales: int = 2
    groups_per_scale: int = 2
    channels: int = 32
    num_preprocess: int = 0

    def validate(self) -> None:
        super().validate()
        self.check_positive("num_scales", "groups_per_scale", "channels")
        self.check_non_negative("num_preprocess")


@register_model
class NVAE(HierarchicalVAE):
    """NVAE (compact): a bidirectional encoder and a top-down path of residual cells, with
    ``num_scales x groups_per_scale`` spatial latent groups, the coarsest first.

    Top-down: the state ``h`` starts as a learned map on the coarsest grid; for each group,
    ``p(z_i | z_<i) = N(mu_p, s_p^2)`` from a convolution of ``h``, and the posterior is NVAE's
    residual Normal ``q = N(mu_p + dmu, (s_p ds)^2)`` with ``(dmu, log ds)`` from a convolution of
    ``h`` and the encoder's feature map for that group; then ``h <- cell(h + conv1x1(z_i))``, and
    ``h`` is doubled in resolution (a stride-2 transposed convolution, cropped) after a
    scale's last group. The decoder network maps the finest state to ``p(x | z)``.

    ``loss = mean_B [ recon + w sum_i c_i KL_i ]``: one analytic KL per group given the groups
    above it, ``w`` the KL warm-up, ``c_i`` NVAE's KL balancing during the warm-up. Log-scales
    are soft-clamped to ``[-5, 5]`` and the heads start at zero (``q = p = N(0, I)`` at
    initialisation), and gradients are clipped (``gradient_clip_norm``): stable by default.
    Left out of this compact version: squeeze-and-excitation, batch norm (so replicas train
    exactly like one device), spectral regularisation, normalizing flows in the posterior.

    Example:
        >>> model = NVAE(NVAEConfig(input_shape=(28, 28, 1), latent_dim=4,
        ...                         reconstruction_loss="bce"))
        >>> model.generate(16, temperature=[1.0, 0.8, 0.7, 0.6]).shape
        TensorShape([16, 28, 28, 1])
    """

    config_class = NVAEConfig
    benchmark_networks = False  # the bottom-up features per group are part of the model
    supported_ranks = (2, 3, 4)
    rank_reason = "its latent groups are maps on halved grids: vectors have no spatial axes"

    def __init__(
        self,
        config: Any = None,
        encoder: keras.Model | None = None,
        decoder: keras.Model | None = None,
        **kwargs: Any,
    ) -> None:
        cfg = self._coerce_config(config)
        if len(cfg.input_shape) in self.supported_ranks:
            if encoder is None:
                encoder = HierarchicalEncoder(
                    cfg.input_shape,
                    channels=cfg.channels,
                    num_scales=cfg.num_scales,
                    groups_per_scale=cfg.groups_per_scale,
                    num_preprocess=cfg.num_preprocess,
                    name="encoder",
                )
            if decoder is None:
                decoder = HierarchicalDecoder(
                    cfg.input_shape,
                    channels=cfg.channels,
                    output_activation=decoder_activation(cfg),
                    scale_head=likelihood_for(cfg).scale_head,
                    num_preprocess=cfg.num_preprocess,
                    name="decoder",
                )
        super().__init__(cfg, encoder=encoder, decoder=decoder, **kwargs)

    @classmethod
    def group_count(cls, config: Any) -> int:
        return config.num_scales * config.groups_per_scale

    def make_layers(self) -> None:
        cfg = self.config
        rank = len(self.input_shape_) - 1
        conv = CONV_BY_RANK[rank]
        halvings = cfg.num_preprocess + cfg.num_scales
        # the latent grids, coarsest first
        grids = scale_grids(self.input_shape_[:-1], halvings)[1 + cfg.num_preprocess :][::-1]
        self.grids = grids
        self.group_scale = [s for s in range(cfg.num_scales) for _ in range(cfg.groups_per_scale)]
        self.group_shapes = [(*grids[s], cfg.latent_dim) for s in self.group_scale]
        self.h0 = self.add_weight(
            shape=(1, *grids[0], cfg.channels), initializer="zeros", name="h0"
        )
        n = len(self.group_shapes)
        heads = {"kernel_initializer": "zeros", "bias_initializer": "zeros"}
        self.prior_heads = [
            conv(2 * cfg.latent_dim, 3, padding="same", name=f"prior_{i}", **heads)
            for i in range(n)
        ]
        self.posterior_heads = [
            conv(2 * cfg.latent_dim, 3, padding="same", name=f"posterior_{i}", **heads)
            for i in range(n)
        ]
        self.combiners = [conv(cfg.channels, 1, name=f"combine_{i}") for i in range(n)]
        self.cells = [ResBlock(cfg.channels, cfg.channels, rank=rank) for _ in range(n)]
        self.ups = [
            DECONV_BY_RANK[rank](cfg.channels, 3, strides=2, padding="same", name=f"up_{s}")
            for s in range(cfg.num_scales - 1)
        ]

    def bottom_up(self, encoder_outputs: dict[str, tf.Tensor]) -> list[Any]:
        evidence = []
        for i, shape in enumerate(self.group_shapes):
            got = encoder_outputs.get(f"evidence_{i}")
            if got is None or tuple(got.shape[1:-1]) != tuple(shape[:-1]):
                raise ValueError(
                    f"NVAE: the encoder must return 'evidence_{i}' [B, *{shape[:-1]}, C] (the "
                    f"bottom-up features of group {i}, e.g. tfvae.nn.HierarchicalEncoder); got "
                    + ("none" if got is None else f"shape {tuple(got.shape)}")
                )
            evidence.append(tf.cast(got, tf.float32))
        return evidence

    def top_down_start(self, batch: tf.Tensor) -> Any:
        return tf.repeat(tf.convert_to_tensor(self.h0), batch, axis=0)

    def prior_params(self, i: int, h: Any, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        loc, log_scale = tf.split(self.prior_heads[i](tf.nn.elu(h)), 2, axis=-1)
        return loc, log_scale

    def posterior_params(
        self, i: int, h: Any, evidence: Any, prior: tuple[tf.Tensor, tf.Tensor], training: bool
    ) -> tuple[tf.Tensor, tf.Tensor]:
        delta = self.posterior_heads[i](tf.nn.elu(tf.concat([h, evidence], -1)))
        d_loc, d_log_scale = tf.split(delta, 2, axis=-1)
        return prior[0] + d_loc, prior[1] + d_log_scale

    def absorb(self, i: int, h: Any, z: tf.Tensor, training: bool) -> Any:
        h = self.cells[i](h + self.combiners[i](z))
        scale = self.group_scale[i]
        last_of_scale = i + 1 == len(self.group_shapes) or self.group_scale[i + 1] != scale
        if last_of_scale and scale + 1 < len(self.grids):
            h = crop(tf.nn.silu(self.ups[scale](h)), self.grids[scale + 1])
        return h

    def decoder_input(self, h: Any, codes: tf.Tensor) -> tf.Tensor:
        return h
