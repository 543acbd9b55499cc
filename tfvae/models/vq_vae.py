"""VQVAE (van den Oord et al., 2017): an autoencoder whose codes are snapped to a learned
codebook; new samples come from a prior fitted on the code indices (the PixelCNN sampler)."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import tensorflow as tf

from tfvae.models.ae import AE, AEConfig
from tfvae.models.base.registry import register_model
from tfvae.nn.quantizer import FiniteScalarQuantizer, VectorQuantizer


@dataclasses.dataclass
class VQVAEConfig(AEConfig):
    """Config of :class:`VQVAE` (Pythae's names and defaults). ``latent_dim`` is the size of a
    code vector (Pythae's ``embedding_dim``).

    Attributes:
        commitment_loss_factor: beta of ``||sg[q] - z||^2`` (0.25).
        quantization_loss_factor: weight of ``||q - sg[z]||^2`` (1; unused with ``use_ema``).
        num_embeddings: codebook size K (512).
        use_ema: update the codebook by exponential moving averages instead of gradients
            (tfvae: True, as in VQ-VAE-2 and Sonnet's ``VectorQuantizerEMA``; Pythae: False.
            With gradients the codebook and commitment terms swing and most codes die: on
            512 Fashion-MNIST images Pythae's defaults took the loss from 72 to 1032 in 4
            epochs).
        decay: the moving averages' decay (0.99).
        init_from_data: start the codebook from the first batch's encoder outputs (tfvae:
            True; Pythae starts it uniformly in ``[-1/K, 1/K]``, far from the codes, and with
            its defaults 99% of the codes die).
        dead_code_threshold: re-seed a code from the batch when its moving use falls below
            this fraction of the uniform use (tfvae: 0.1; 0 turns it off, as in Pythae).
        quantizer: ``"vq"`` (a learned codebook) or ``"fsq"`` (finite scalar quantization,
            Mentzer et al. 2023: no codebook; ``latent_dim`` must be ``len(fsq_levels)``).
        fsq_levels: FSQ's levels per code dimension (``(8, 5, 5, 5)``: K = 1000, the
            paper's setting for a 1k codebook).
    """

    commitment_loss_factor: float = 0.25
    quantization_loss_factor: float = 1.0
    num_embeddings: int = 512
    use_ema: bool = True
    decay: float = 0.99
    init_from_data: bool = True
    dead_code_threshold: float = 0.1
    quantizer: Literal["vq", "fsq"] = "vq"
    fsq_levels: tuple[int, ...] = (8, 5, 5, 5)

    def validate(self) -> None:
        super().validate()
        self.check_non_negative(
            "commitment_loss_factor", "quantization_loss_factor", "dead_code_threshold"
        )
        self.check_positive("num_embeddings")
        self.check("decay", 0.0 <= self.decay < 1.0, "a number in [0, 1)")
        self.check("fsq_levels", all(level >= 2 for level in self.fsq_levels), "levels >= 2")
        if self.quantizer == "fsq":
            self.check(
                "latent_dim",
                self.latent_dim == len(self.fsq_levels),
                f"len(fsq_levels) = {len(self.fsq_levels)} with quantizer='fsq'",
            )


@register_model
class VQVAE(AE):
    """``loss = mean_B [recon(x, dec(q)) + quantization_loss_factor ||q - sg[z]||^2 +
    commitment_loss_factor ||sg[q] - z||^2]``, ``q`` the nearest codebook vectors of the
    encoder's output ``z`` (straight-through gradient to the encoder). The VQ terms are summed
    over code positions and dimensions per example and averaged over the batch (Pythae sums
    them over the batch too). ``perplexity`` and ``dead_codes`` in the history track codebook
    usage.

    The encoder may return flat codes ``[B, D]`` or a grid ``[B, h, w, D]``
    (:class:`tfvae.nn.SpatialConvEncoder`); ``encode`` gives the quantized codes,
    ``encode_indices`` their codebook indices, ``decode_indices`` the way back. ``generate``
    draws code indices uniformly (a baseline): fit ``tfvae.samplers.PixelCNNSampler`` on the
    training codes for real samples.
    """

    config_class = VQVAEConfig
    discrete_codes = True
    benchmark_networks = True  # flat codes [B, D] from the benchmark nets, or a grid from yours
    loss_terms = (
        "loss",
        "reconstruction",
        "vq_loss",
        "commitment",
        "codebook",
        "perplexity",
        "dead_codes",
    )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> VQVAE:
        # A model saved before data initialisation and re-seeding existed has neither their
        # fields nor their weights: it reloads as it was saved.
        inner = dict(config.get("config", {}))
        if cls is VQVAE and "init_from_data" not in inner:
            inner.update(init_from_data=False, dead_code_threshold=0.0)
            config = {**config, "config": inner}
        return super().from_config(config)

    def make_layers(self) -> None:
        cfg = self.config
        if cfg.quantizer == "fsq":
            self.quantizer = FiniteScalarQuantizer(cfg.fsq_levels, name="quantizer")
            return
        self.quantizer = VectorQuantizer(
            cfg.num_embeddings,
            cfg.latent_dim,
            use_ema=cfg.use_ema,
            decay=cfg.decay,
            init_from_data=cfg.init_from_data,
            dead_code_threshold=cfg.dead_code_threshold,
            name="quantizer",
        )

    @property
    def codebook_size(self) -> int:
        """K: the codes an index prior models (``num_embeddings``, or ``prod(fsq_levels)``)."""
        return self.quantizer.codebook_size

    def check_code_shape(self, shape: tuple[int, ...]) -> None:
        """Flat codes ``(D,)`` or a grid with the data's spatial rank (``(h, w, D)`` for
        images, ``(t, D)`` for sequences, ``(d, h, w, D)`` for volumes), ``D = latent_dim``;
        remembered as :attr:`code_shape`."""
        grid_rank = len(self.input_shape_)
        if shape[-1:] != (self.latent_dim,) or len(shape) not in (1, grid_rank):
            raise ValueError(
                f"{type(self).__name__}: encoder 'embedding' has shape {(1, *shape)}; expected "
                f"[B, {self.latent_dim}] or a code grid of rank {grid_rank} ending in "
                f"{self.latent_dim} (latent_dim is the code vector size)"
            )
        self._code_shape = shape

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        cfg = self.config
        z = self.run_encoder(x, training=training)["embedding"]
        q = self.quantizer(z, training=training, seed=self.noise_seed("codebook"))
        params = self.decoder_params(q["quantized"], training=training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        commitment, codebook = tf.reduce_mean(q["commitment"]), tf.reduce_mean(q["codebook"])
        vq_loss = cfg.commitment_loss_factor * commitment + cfg.quantization_loss_factor * codebook
        return {
            "loss": recon + vq_loss,
            "reconstruction": recon,
            "vq_loss": vq_loss,
            "commitment": commitment,
            "codebook": codebook,
            "perplexity": q["perplexity"],
            "dead_codes": q["dead_codes"],
        }

    def code_of(self, encoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The quantized codes ``[B, *code_shape]`` (what ``encode`` returns)."""
        return self.quantizer(encoder_outputs["embedding"], training=False)["quantized"]

    def encode_indices(self, x: Any, condition: Any = None) -> tf.Tensor:
        """Codebook indices of the codes of ``x`` (data units; under ``condition`` for a
        conditional model), ``[B, *code_shape[:-1]]`` int32 (``[B]`` for flat codes)."""
        x = self.model_inputs(tf.convert_to_tensor(x, tf.float32))
        with self.conditioned(condition, int(x.shape[0])):
            return self.quantizer.nearest(self.run_encoder(x, training=False)["embedding"])

    def decode_indices(self, indices: Any) -> tf.Tensor:
        """Images for codebook ``indices`` ``[B, *code_shape[:-1]]``."""
        return self.decode(self.quantizer.lookup(tf.convert_to_tensor(indices, tf.int32)))

    @property
    def code_shape(self) -> tuple[int, ...]:
        """``(D,)`` for flat codes, ``(h, w, D)`` for a grid (from the encoder)."""
        return self._code_shape

    @property
    def index_shape(self) -> tuple[int, ...]:
        """Codebook indices per example (``encode_indices`` gives ``[B, *index_shape]``)."""
        return self._code_shape[:-1]

    def _uniform_codes(self, uniform: tf.Tensor) -> tf.Tensor:
        k = self.codebook_size
        return self.quantizer.lookup(tf.minimum(tf.cast(tf.floor(uniform * k), tf.int32), k - 1))

    def prior_codes(self, n: Any, seed: tf.Tensor) -> tf.Tensor:
        """Codes of codebook indices drawn uniformly, ``[n, *code_shape]``."""
        shape = tf.concat([[n], tf.constant(self.index_shape, tf.int32)], 0)
        return self._uniform_codes(tf.random.stateless_uniform(shape, seed=seed))

    def random_codes(self, n: tf.Tensor) -> tf.Tensor:
        shape = tf.concat([[n], tf.constant(self.index_shape, tf.int32)], 0)
        return self._uniform_codes(tf.random.uniform(shape))
