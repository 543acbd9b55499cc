"""Quantizers: vector quantization (van den Oord et al., 2017), a codebook layer with the
straight-through estimator, optionally updated by exponential moving averages, its codebook
started from the data and its dead codes re-seeded; finite scalar quantization (Mentzer et al.,
2023), no codebook at all; hierarchical residual quantization (Hosking et al., 2022)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfvae.nn.base import check_positive_int
from tfvae.nn.replicas import global_batch, global_sum

#: decay of the moving average of each code's use that dead-code re-seeding reads (about ten
#: batches of memory: a code unused for ~20 batches is re-seeded at the default threshold)
USAGE_DECAY = 0.9


def code_usage(one_hot: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``(perplexity, dead fraction)`` of a batch's code assignments ``one_hot: [N, K]``:
    ``exp`` of the entropy of the codes' frequencies, and the fraction of codes unused."""
    usage = tf.reduce_mean(one_hot, axis=0)
    perplexity = tf.exp(-tf.reduce_sum(usage * tf.math.log(usage + 1e-10)))
    return perplexity, tf.reduce_mean(tf.cast(usage == 0.0, tf.float32))


@keras.saving.register_keras_serializable(package="tfvae")
class VectorQuantizer(keras.layers.Layer):
    """Snap each ``embedding_dim`` vector of ``z: [B, ..., D]`` to its nearest codebook entry.

    Returns a dict: ``quantized`` (same shape as ``z``; in the forward pass the codebook
    vectors, in the backward pass the identity, i.e. the straight-through estimator),
    ``indices`` ``[B, ...]`` int32, ``commitment`` and ``codebook`` ``[B]`` (per example, sums
    over positions and dimensions of ``||sg[q] - z||^2`` and ``||q - sg[z]||^2``),
    ``perplexity`` (``exp`` of the entropy of the batch's code usage) and ``dead_codes`` (the
    fraction of codes the batch does not use).

    With ``use_ema`` the codebook is not trained by gradients: during training each call moves
    it towards the mean of the vectors assigned to each code (decay ``decay``, Laplace-smoothed
    counts, sums over all replicas), as in Pythae and Sonnet; ``codebook`` is then 0. The
    losses are measured against the codebook before the call's update (as Sonnet and Pythae).

    Against codebook collapse (most codes never used, perplexity near 1):

    - ``init_from_data``: the first training call sets the codebook to vectors drawn from the
      batch's encoder outputs (all replicas' rows, so N replicas match one device), where a
      random codebook would sit far from the codes;
    - ``dead_code_threshold``: a code whose moving average of use (vectors per batch, decay
      :data:`USAGE_DECAY`) falls below this fraction of the uniform use (batch vectors / K)
      is moved onto a vector of the current batch, as in Jukebox and lucidrains'
      ``vector-quantize-pytorch``; 0 turns it off.

    Training calls take ``seed`` (a stateless seed ``[2]``) for those draws.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        use_ema: bool = False,
        decay: float = 0.99,
        epsilon: float = 1e-5,
        init_from_data: bool = False,
        dead_code_threshold: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_positive_int("VectorQuantizer", "num_embeddings", num_embeddings)
        check_positive_int("VectorQuantizer", "embedding_dim", embedding_dim)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"VectorQuantizer: decay must be in [0, 1), got {decay}")
        if dead_code_threshold < 0:
            raise ValueError(
                f"VectorQuantizer: dead_code_threshold must be >= 0, got {dead_code_threshold}"
            )
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.use_ema, self.decay, self.epsilon = use_ema, decay, epsilon
        self.init_from_data, self.dead_code_threshold = init_from_data, dead_code_threshold
        self.adapts = init_from_data or dead_code_threshold > 0
        init = keras.initializers.RandomUniform(-1.0 / num_embeddings, 1.0 / num_embeddings)
        self.codebook = self.add_weight(
            shape=(num_embeddings, embedding_dim),
            initializer=init,
            trainable=not use_ema,
            name="codebook",
            aggregation="only_first_replica" if use_ema or self.adapts else "none",
        )
        if self.adapts:
            kw = {"trainable": False, "aggregation": "only_first_replica"}
            self.initialized = self.add_weight(
                shape=(), initializer="zeros", name="initialized", **kw
            )
            self.usage = self.add_weight(
                shape=(num_embeddings,), initializer="zeros", name="usage", **kw
            )
        if use_ema:
            kw = {"trainable": False, "aggregation": "only_first_replica"}
            self.cluster_size = self.add_weight(
                shape=(num_embeddings,), initializer="zeros", name="cluster_size", **kw
            )
            self.ema_embed = self.add_weight(
                shape=(num_embeddings, embedding_dim), initializer=init, name="ema_embed", **kw
            )

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "use_ema": self.use_ema,
            "decay": self.decay,
            "epsilon": self.epsilon,
            "init_from_data": self.init_from_data,
            "dead_code_threshold": self.dead_code_threshold,
        }

    @property
    def codebook_size(self) -> int:
        """K, the number of codes (what a prior over the indices models)."""
        return self.num_embeddings

    def _adapt(self, z: tf.Tensor, seed: tf.Tensor) -> None:
        """Data initialisation and dead-code re-seeding (see the class doc), from the global
        batch's vectors ``z``, a stateless ``seed`` and the use the earlier steps recorded
        (:meth:`_track_usage`); every op runs on every step (no control flow around the
        assignments, which strategies need)."""
        flat = global_batch(tf.reshape(z, [-1, self.embedding_dim]))
        rows = tf.random.stateless_uniform(
            [self.num_embeddings], seed, maxval=tf.shape(flat)[0], dtype=tf.int32
        )
        drawn = tf.gather(tf.stop_gradient(flat), rows)
        # a code's use in vectors per batch, against the uniform use N / K
        mean_use = tf.cast(tf.shape(flat)[0], tf.float32) / self.num_embeddings
        fresh = self.initialized < 0.5
        usage = tf.where(fresh, tf.fill([self.num_embeddings], mean_use), self.usage)
        replace = tf.fill([self.num_embeddings], fresh & self.init_from_data)
        if self.dead_code_threshold > 0:
            replace = replace | (usage < self.dead_code_threshold * mean_use)
        codebook = tf.where(replace[:, None], drawn, tf.convert_to_tensor(self.codebook))
        self.codebook.assign(codebook)
        if self.use_ema:
            size = tf.where(replace, tf.fill([self.num_embeddings], mean_use), self.cluster_size)
            self.cluster_size.assign(size)
            self.ema_embed.assign(tf.where(replace[:, None], drawn * size[:, None], self.ema_embed))
        self.usage.assign(tf.where(replace, tf.fill([self.num_embeddings], mean_use), usage))
        self.initialized.assign(tf.ones_like(self.initialized))

    def _track_usage(self, counts: tf.Tensor) -> None:
        """Fold this step's global code counts ``[K]`` into the moving use :meth:`_adapt`
        reads on the next step (the step's own assignments: no second nearest-code search)."""
        self.usage.assign(self.usage * USAGE_DECAY + counts * (1.0 - USAGE_DECAY))

    def nearest(self, z: tf.Tensor) -> tf.Tensor:
        """Index of the nearest codebook entry for each vector, ``[B, ...]`` int32."""
        flat = tf.reshape(z, [-1, self.embedding_dim])
        codebook = tf.convert_to_tensor(self.codebook)
        distances = (
            tf.reduce_sum(tf.square(flat), 1, keepdims=True)
            + tf.reduce_sum(tf.square(codebook), 1)[None, :]
            - 2.0 * tf.matmul(flat, codebook, transpose_b=True)
        )
        return tf.reshape(tf.argmin(distances, axis=1, output_type=tf.int32), tf.shape(z)[:-1])

    def lookup(self, indices: tf.Tensor) -> tf.Tensor:
        """Codebook vectors for ``indices [B, ...]`` -> ``[B, ..., D]``."""
        return tf.gather(tf.convert_to_tensor(self.codebook), indices)

    def _ema_update(self, flat: tf.Tensor, one_hot: tf.Tensor, counts: tf.Tensor) -> None:
        """One moving-average step; ``counts [K]``: the global batch's code counts."""
        sums = global_sum(tf.matmul(one_hot, flat, transpose_a=True))
        d = self.decay
        size = self.cluster_size * d + counts * (1.0 - d)
        ema = self.ema_embed * d + sums * (1.0 - d)
        n = tf.reduce_sum(size)
        size = (size + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
        self.cluster_size.assign(size)
        self.ema_embed.assign(ema)
        self.codebook.assign(ema / size[:, None])

    def call(self, z: Any, training: bool = False, seed: Any = None) -> dict[str, tf.Tensor]:
        z = tf.convert_to_tensor(z)
        if self.adapts and training:
            if seed is None:
                raise ValueError("VectorQuantizer: training calls need a stateless seed")
            self._adapt(z, seed)
        indices = self.nearest(z)
        one_hot = tf.one_hot(tf.reshape(indices, [-1]), self.num_embeddings)
        quantized = self.lookup(indices)  # the codebook before this call's moving-average step
        if training and (self.use_ema or self.adapts):
            counts = global_sum(tf.reduce_sum(one_hot, axis=0))
            if self.adapts:
                self._track_usage(counts)
            if self.use_ema:
                self._ema_update(tf.reshape(z, [-1, self.embedding_dim]), one_hot, counts)
        axes = list(range(1, len(z.shape)))
        commitment = tf.reduce_sum(tf.square(tf.stop_gradient(quantized) - z), axis=axes)
        if self.use_ema:
            codebook_loss = tf.zeros_like(commitment)
        else:
            codebook_loss = tf.reduce_sum(tf.square(quantized - tf.stop_gradient(z)), axis=axes)
        perplexity, dead = code_usage(one_hot)
        return {
            "quantized": z + tf.stop_gradient(quantized - z),
            "indices": indices,
            "commitment": commitment,
            "codebook": codebook_loss,
            "perplexity": perplexity,
            "dead_codes": dead,
        }


@keras.saving.register_keras_serializable(package="tfvae")
class FiniteScalarQuantizer(keras.layers.Layer):
    """Finite scalar quantization (Mentzer et al., 2023): no codebook, so nothing to collapse.

    Each of the ``D = len(levels)`` coordinates of ``z: [B, ..., D]`` is bounded to ``L_i``
    values (``tanh`` scaled to ``(L_i - 1) / 2``, shifted by a half step for even ``L_i``)
    and rounded with the straight-through estimator; codes are then rescaled to ``[-1, 1]``.
    The implicit codebook is the grid of ``K = prod(levels)`` points, and a code's index is
    its mixed-radix number, so index priors (PixelCNN) work as on a VQ codebook.

    Returns the keys of :class:`VectorQuantizer` (``commitment`` and ``codebook`` are zeros:
    FSQ needs no auxiliary loss).
    """

    def __init__(self, levels: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        levels = [int(level) for level in levels]
        if not levels or any(level < 2 for level in levels):
            raise ValueError(
                f"FiniteScalarQuantizer: levels must be integers >= 2, got {list(levels)}"
            )
        self.levels = levels
        self.embedding_dim = len(levels)
        self._levels = np.asarray(levels, np.float32)
        self._basis = np.concatenate([[1], np.cumprod(levels[:-1])]).astype(np.int32)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "levels": list(self.levels)}

    @property
    def codebook_size(self) -> int:
        """K = prod(levels)."""
        return math.prod(self.levels)

    def _bound(self, z: tf.Tensor) -> tf.Tensor:
        half = (self._levels - 1.0) * (1.0 - 1e-3) / 2.0
        offset = np.where(self.levels_even, 0.5, 0.0).astype(np.float32)
        shift = np.arctanh(offset / half).astype(np.float32)
        return tf.tanh(z + shift) * half - offset

    @property
    def levels_even(self) -> np.ndarray:
        return np.asarray([level % 2 == 0 for level in self.levels])

    def _grid(self, z: tf.Tensor) -> tf.Tensor:
        """Rounded (straight-through) coordinates on the integer grid around 0."""
        bounded = self._bound(z)
        return bounded + tf.stop_gradient(tf.round(bounded) - bounded)

    def _half_width(self) -> np.ndarray:
        return (self._levels // 2).astype(np.float32)

    def nearest(self, z: tf.Tensor) -> tf.Tensor:
        """The grid index of each vector, ``[B, ...]`` int32."""
        digits = tf.cast(tf.round(self._bound(z)) + self._half_width(), tf.int32)
        return tf.reduce_sum(digits * self._basis, axis=-1)

    def lookup(self, indices: tf.Tensor) -> tf.Tensor:
        """Codes in ``[-1, 1]`` for ``indices [B, ...]`` -> ``[B, ..., D]``."""
        indices = tf.convert_to_tensor(indices, tf.int32)[..., None]
        digits = (indices // self._basis) % np.asarray(self.levels, np.int32)
        return (tf.cast(digits, tf.float32) - self._half_width()) / self._half_width()

    def call(self, z: Any, training: bool = False, seed: Any = None) -> dict[str, tf.Tensor]:
        z = tf.convert_to_tensor(z)
        quantized = self._grid(z) / self._half_width()
        indices = self.nearest(z)
        perplexity, dead = code_usage(tf.one_hot(tf.reshape(indices, [-1]), self.codebook_size))
        zeros = tf.zeros(tf.shape(z)[:1])
        return {
            "quantized": quantized,
            "indices": indices,
            "commitment": zeros,
            "codebook": zeros,
            "perplexity": perplexity,
            "dead_codes": dead,
        }


@keras.saving.register_keras_serializable(package="tfvae")
class HierarchicalResidualQuantizer(keras.layers.Layer):
    """Hierarchical residual quantization (Hosking et al., 2022): level ``l`` quantizes what
    levels ``< l`` left unexplained, with its own codebook whose entries start on a sphere of
    radius ``init_scale * init_decay_weight^l``; the code is the sum of the levels.

    While training, each level draws its code by a hard Gumbel-softmax over minus squared
    distances at temperature ``tau`` (straight-through), and deeper levels are dropped with
    probability ``depth_drop_rate`` (once a level is dropped, all deeper ones are). At inference
    the nearest entries are used. Returns ``quantized``, ``indices`` ``[..., num_levels]``,
    ``kl`` and ``norm`` ``[B]`` (per example, averaged over positions: the KL of each level's
    softmax from uniform summed over levels, and the penalty ``(max(1.5 |q_{l+1}| / |q_l|, 1)
    - 1)^2`` averaged over level pairs), ``perplexity`` of the first level.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        num_levels: int = 4,
        init_scale: float = 1.0,
        init_decay_weight: float = 0.5,
        norm_loss_scale: float = 1.5,
        depth_drop_rate: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for arg, value in (
            ("num_embeddings", num_embeddings),
            ("embedding_dim", embedding_dim),
            ("num_levels", num_levels),
        ):
            check_positive_int("HierarchicalResidualQuantizer", arg, value)
        self.num_embeddings, self.embedding_dim, self.num_levels = (
            num_embeddings,
            embedding_dim,
            num_levels,
        )
        self.init_scale, self.init_decay_weight = init_scale, init_decay_weight
        self.norm_loss_scale, self.depth_drop_rate = norm_loss_scale, depth_drop_rate
        self.codebooks = []
        for level in range(num_levels):
            w = self.add_weight(
                shape=(num_embeddings, embedding_dim),
                name=f"codebook_{level}",
                initializer=keras.initializers.RandomUniform(-1.0, 1.0),
            )
            radius = init_scale * init_decay_weight**level
            w.assign(w / tf.norm(w, axis=1, keepdims=True) * radius)
            self.codebooks.append(w)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "num_embeddings": self.num_embeddings,
            "embedding_dim": self.embedding_dim,
            "num_levels": self.num_levels,
            "init_scale": self.init_scale,
            "init_decay_weight": self.init_decay_weight,
            "norm_loss_scale": self.norm_loss_scale,
            "depth_drop_rate": self.depth_drop_rate,
        }

    @property
    def codebook_size(self) -> int:
        """K, the entries of each level's codebook."""
        return self.num_embeddings

    def lookup(self, indices: tf.Tensor) -> tf.Tensor:
        """Codes for ``indices [..., num_levels]``: the sum of each level's entry."""
        parts = [
            tf.gather(tf.convert_to_tensor(c), indices[..., level])
            for level, c in enumerate(self.codebooks)
        ]
        return tf.add_n(parts)

    def nearest(self, z: tf.Tensor) -> tf.Tensor:
        """Greedy nearest indices level by level, ``[..., num_levels]`` int32."""
        return self(z, training=False)["indices"]

    def noise_shapes(self, z: tf.Tensor) -> dict[str, tf.Tensor]:
        """Shapes of the uniform noise a training call takes: ``gumbel`` ``[B, ..., L, K]``,
        ``depth`` ``[B, ..., L]`` (the model draws them for the global batch)."""
        lead = tf.shape(z)[:-1]
        return {
            "gumbel": tf.concat([lead, [self.num_levels, self.num_embeddings]], 0),
            "depth": tf.concat([lead, [self.num_levels]], 0),
        }

    def call(
        self,
        z: Any,
        training: bool = False,
        temperatures: Any = None,
        noise: dict[str, tf.Tensor] | None = None,
    ) -> dict[str, tf.Tensor]:
        """``temperatures``: one Gumbel temperature per level; ``noise``: uniforms in (0, 1) of
        :meth:`noise_shapes` (training; drawn here, statefully, when not given)."""
        z = tf.convert_to_tensor(z)
        flat = tf.reshape(z, [-1, self.embedding_dim])
        k = float(self.num_embeddings)
        resid, parts, indices, kl = flat, [], [], 0.0
        if training:
            if noise is None:
                shapes = self.noise_shapes(z)
                noise = {
                    name: tf.random.uniform(shape, 1e-10, 1.0) for name, shape in shapes.items()
                }
            gumbel = tf.reshape(noise["gumbel"], [-1, self.num_levels, self.num_embeddings])
            depth = tf.reshape(noise["depth"], [-1, self.num_levels])
            temperatures = [1.0] * self.num_levels if temperatures is None else temperatures
        for level, codebook in enumerate(self.codebooks):
            codebook = tf.convert_to_tensor(codebook)
            scores = -(
                tf.reduce_sum(tf.square(resid), 1, keepdims=True)
                + tf.reduce_sum(tf.square(codebook), 1)[None, :]
                - 2.0 * tf.matmul(resid, codebook, transpose_b=True)
            )
            log_q = tf.nn.log_softmax(scores, axis=-1)
            kl += tf.reduce_sum((tf.math.log(1.0 / k) - log_q) / k, axis=-1)
            if training:
                u = tf.maximum(gumbel[:, level], 1e-10)
                soft = tf.nn.softmax((scores - tf.math.log(-tf.math.log(u))) / temperatures[level])
                hard = tf.one_hot(tf.argmax(soft, axis=-1), self.num_embeddings)
                choice = hard - tf.stop_gradient(soft) + soft
            else:
                choice = tf.one_hot(tf.argmax(scores, axis=-1), self.num_embeddings)
            indices.append(tf.argmax(choice, axis=-1, output_type=tf.int32))
            part = tf.matmul(choice, codebook)
            parts.append(part)
            resid = flat - tf.add_n(parts)
        stacked = tf.stack(parts, axis=1)  # [N, L, D]
        norms = tf.norm(stacked + 1e-12, axis=-1)
        if self.num_levels > 1:
            ratio = norms[:, 1:] / norms[:, :-1] * self.norm_loss_scale
            norm = tf.reduce_mean(tf.square(tf.maximum(ratio, 1.0) - 1.0), axis=1)
        else:
            norm = tf.zeros_like(norms[:, 0])
        if training and self.depth_drop_rate > 0:
            keep = tf.math.cumprod(tf.cast(depth >= self.depth_drop_rate, z.dtype), axis=1)
            stacked = stacked * keep[..., None]
        quantized = tf.reshape(tf.reduce_sum(stacked, axis=1), tf.shape(z))
        batch = tf.shape(z)[0]
        perplexity, _ = code_usage(tf.one_hot(tf.reshape(indices[0], [-1]), self.num_embeddings))
        return {
            "quantized": quantized,
            "indices": tf.reshape(
                tf.stack(indices, -1), tf.concat([tf.shape(z)[:-1], [self.num_levels]], 0)
            ),
            "kl": tf.reduce_mean(tf.reshape(kl, [batch, -1]), axis=1),
            "norm": tf.reduce_mean(tf.reshape(norm, [batch, -1]), axis=1),
            "perplexity": perplexity,
        }
