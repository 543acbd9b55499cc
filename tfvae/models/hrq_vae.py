"""HRQVAE (Hosking et al., 2022): a VQ autoencoder whose code is a sum of hierarchical residual
quantizations, trained with Gumbel-softmax sampling and depth dropout."""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfvae.models.ae import AEConfig
from tfvae.models.base.registry import register_model
from tfvae.models.vq_vae import VQVAE
from tfvae.nn.quantizer import HierarchicalResidualQuantizer
from tfvae.nn.replicas import global_batch_draw


@dataclasses.dataclass
class HRQVAEConfig(AEConfig):
    """Config of :class:`HRQVAE` (Pythae's names and defaults; ``latent_dim`` is the code
    vector size).

    Attributes:
        num_embeddings: entries per level's codebook (64).
        num_levels: depth of the hierarchy (4).
        kl_weight: weight of each level's KL from a uniform code distribution (0.1).
        init_scale, init_decay_weight: level ``l``'s entries start with norm
            ``init_scale * init_decay_weight^l`` (1, 0.5).
        norm_loss_weight: weight of the norm-ordering penalty (0.5; ``None`` for none).
        norm_loss_scale: deeper levels should be this many times smaller (1.5).
        temp_schedule_gamma: the Gumbel temperature of level ``l`` is ``max(exp(-t / (gamma *
            1.5^l)), 0.5)``; Pythae counts ``t`` in epochs (33.333), tfvae in
            ``temp_schedule_unit`` training steps.
        temp_schedule_unit: training steps per unit of ``t`` (default 100, about an epoch of
            6,400 examples at batch 64).
        depth_drop_rate: probability of dropping a level and all deeper ones (0.1).
    """

    num_embeddings: int = 64
    num_levels: int = 4
    kl_weight: float = 0.1
    init_scale: float = 1.0
    init_decay_weight: float = 0.5
    norm_loss_weight: float | None = 0.5
    norm_loss_scale: float = 1.5
    temp_schedule_gamma: float = 33.333
    temp_schedule_unit: int = 100
    depth_drop_rate: float = 0.1

    def validate(self) -> None:
        super().validate()
        self.check_positive(
            "num_embeddings",
            "num_levels",
            "init_scale",
            "init_decay_weight",
            "temp_schedule_gamma",
            "temp_schedule_unit",
        )
        self.check_non_negative("kl_weight", "norm_loss_scale")
        if self.norm_loss_weight is not None:
            self.check_non_negative("norm_loss_weight")
        self.check("depth_drop_rate", 0.0 <= self.depth_drop_rate < 1.0, "a number in [0, 1)")


@register_model
class HRQVAE(VQVAE):
    """``loss = mean_B [recon + kl_weight * sum_l KL_l + norm_loss_weight * norm]`` with the
    code ``q = sum_l q_l`` from :class:`tfvae.nn.HierarchicalResidualQuantizer`; the Gumbel
    temperatures anneal with the saved training-step counter. ``encode_indices`` gives
    ``[..., num_levels]`` indices (coarse to fine); ``decode_indices`` sums their entries.
    """

    config_class = HRQVAEConfig
    benchmark_networks = False
    loss_terms = ("loss", "reconstruction", "hrq_loss", "kl", "norm", "perplexity")
    counts_training_steps = True

    def make_layers(self) -> None:
        cfg = self.config
        self.quantizer = HierarchicalResidualQuantizer(
            cfg.num_embeddings,
            cfg.latent_dim,
            cfg.num_levels,
            cfg.init_scale,
            cfg.init_decay_weight,
            cfg.norm_loss_scale,
            cfg.depth_drop_rate,
            name="quantizer",
        )

    def temperatures(self) -> list[tf.Tensor]:
        """The Gumbel temperature of each level now."""
        cfg = self.config
        t = tf.convert_to_tensor(self.training_step) / cfg.temp_schedule_unit
        return [
            tf.maximum(tf.exp(-t / (cfg.temp_schedule_gamma * 1.5**level)), 0.5)
            for level in range(cfg.num_levels)
        ]

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        cfg = self.config
        z = self.run_encoder(x, training=training)["embedding"]
        noise = None
        if training:  # drawn for the global batch: N replicas train like one device
            shapes = self.quantizer.noise_shapes(z)
            seeds = {"gumbel": self.noise_seed("gumbel"), "depth": self.noise_seed("depth")}
            names = sorted(shapes)
            drawn = global_batch_draw(
                {"z": z},
                lambda e: tuple(
                    tf.random.stateless_uniform(
                        tf.concat([tf.shape(e["z"])[:1], shapes[n][1:]], 0), seeds[n], 1e-10, 1.0
                    )
                    for n in names
                ),
                batch_axes=(0,) * len(names),
            )
            noise = dict(zip(names, drawn, strict=True))
        q = self.quantizer(z, training=training, temperatures=self.temperatures(), noise=noise)
        params = self.decoder_params(q["quantized"], training=training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        kl, norm = tf.reduce_mean(q["kl"]), tf.reduce_mean(q["norm"])
        hrq = cfg.kl_weight * kl + (cfg.norm_loss_weight or 0.0) * norm
        return {
            "loss": recon + hrq,
            "reconstruction": recon,
            "hrq_loss": hrq,
            "kl": kl,
            "norm": norm,
            "perplexity": q["perplexity"],
        }

    @property
    def index_shape(self) -> tuple[int, ...]:
        """Indices per example: ``(*grid, num_levels)``."""
        return (*self._code_shape[:-1], self.config.num_levels)
