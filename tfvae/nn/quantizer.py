"""Vector quantization (van den Oord et al., 2017): a codebook layer with the straight-through
estimator, optionally updated by exponential moving averages instead of gradients."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfvae.nn.base import check_positive_int


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
    counts, sums over all replicas), as in Pythae and Sonnet; ``codebook`` is then 0.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        use_ema: bool = False,
        decay: float = 0.99,
        epsilon: float = 1e-5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_positive_int("VectorQuantizer", "num_embeddings", num_embeddings)
        check_positive_int("VectorQuantizer", "embedding_dim", embedding_dim)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"VectorQuantizer: decay must be in [0, 1), got {decay}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.use_ema, self.decay, self.epsilon = use_ema, decay, epsilon
        init = keras.initializers.RandomUniform(-1.0 / num_embeddings, 1.0 / num_embeddings)
        self.codebook = self.add_weight(
            shape=(num_embeddings, embedding_dim),
            initializer=init,
            trainable=not use_ema,
            name="codebook",
            aggregation="only_first_replica" if use_ema else "none",
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
        }

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

    def _ema_update(self, flat: tf.Tensor, one_hot: tf.Tensor) -> None:
        counts = tf.reduce_sum(one_hot, axis=0)
        sums = tf.matmul(one_hot, flat, transpose_a=True)
        ctx = tf.distribute.get_replica_context()
        if ctx is not None and ctx.num_replicas_in_sync > 1:
            counts, sums = ctx.all_reduce("sum", counts), ctx.all_reduce("sum", sums)
        d = self.decay
        size = self.cluster_size * d + counts * (1.0 - d)
        ema = self.ema_embed * d + sums * (1.0 - d)
        n = tf.reduce_sum(size)
        size = (size + self.epsilon) / (n + self.num_embeddings * self.epsilon) * n
        self.cluster_size.assign(size)
        self.ema_embed.assign(ema)
        self.codebook.assign(ema / size[:, None])

    def call(self, z: Any, training: bool = False) -> dict[str, tf.Tensor]:
        z = tf.convert_to_tensor(z)
        indices = self.nearest(z)
        one_hot = tf.one_hot(tf.reshape(indices, [-1]), self.num_embeddings)
        if self.use_ema and training:
            self._ema_update(tf.reshape(z, [-1, self.embedding_dim]), one_hot)
        quantized = self.lookup(indices)
        axes = list(range(1, len(z.shape)))
        commitment = tf.reduce_sum(tf.square(tf.stop_gradient(quantized) - z), axis=axes)
        if self.use_ema:
            codebook_loss = tf.zeros_like(commitment)
        else:
            codebook_loss = tf.reduce_sum(tf.square(quantized - tf.stop_gradient(z)), axis=axes)
        usage = tf.reduce_mean(one_hot, axis=0)
        perplexity = tf.exp(-tf.reduce_sum(usage * tf.math.log(usage + 1e-10)))
        dead = tf.reduce_mean(tf.cast(usage == 0.0, tf.float32))
        return {
            "quantized": z + tf.stop_gradient(quantized - z),
            "indices": indices,
            "commitment": commitment,
            "codebook": codebook_loss,
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
        usage = tf.reduce_mean(tf.one_hot(indices[0], self.num_embeddings), axis=0)
        return {
            "quantized": quantized,
            "indices": tf.reshape(
                tf.stack(indices, -1), tf.concat([tf.shape(z)[:-1], [self.num_levels]], 0)
            ),
            "kl": tf.reduce_mean(tf.reshape(kl, [batch, -1]), axis=1),
            "norm": tf.reduce_mean(tf.reshape(norm, [batch, -1]), axis=1),
            "perplexity": tf.exp(-tf.reduce_sum(usage * tf.math.log(usage + 1e-10))),
        }
