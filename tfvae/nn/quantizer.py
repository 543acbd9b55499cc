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

    def __init__(self, num_embeddings: int, embedding_dim: int, use_ema: bool = False,
                 decay: float = 0.99, epsilon: float = 1e-5, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(**kwargs)
        check_positive_int("VectorQuantizer", "num_embeddings", num_embeddings)
        check_positive_int("VectorQuantizer", "embedding_dim", embedding_dim)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"VectorQuantizer: decay must be in [0, 1), got {decay}")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.use_ema, self.decay, self.epsilon = use_ema, decay, epsilon
        init = keras.initializers.RandomUniform(-1.0 / num_embeddings, 1.0 / num_embeddings)
        self.codebook = self.add_weight(
            shape=(num_embeddings, embedding_dim), initializer=init, trainable=not use_ema,
            name="codebook", aggregation="only_first_replica" if use_ema else "none",
        )  # fmt: skip
        if use_ema:
            kw = {"trainable": False, "aggregation": "only_first_replica"}
            self.cluster_size = self.add_weight(shape=(num_embeddings,), initializer="zeros",
                                                name="cluster_size", **kw)  # fmt: skip
            self.ema_embed = self.add_weight(shape=(num_embeddings, embedding_dim),
                                             initializer=init, name="ema_embed", **kw)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_embeddings": self.num_embeddings,
                "embedding_dim": self.embedding_dim, "use_ema": self.use_ema,
                "decay": self.decay, "epsilon": self.epsilon}  # fmt: skip

    def nearest(self, z: tf.Tensor) -> tf.Tensor:
        """Index of the nearest codebook entry for each vector, ``[B, ...]`` int32."""
        flat = tf.reshape(z, [-1, self.embedding_dim])
        codebook = tf.convert_to_tensor(self.codebook)
        distances = (tf.reduce_sum(tf.square(flat), 1, keepdims=True)
                     + tf.reduce_sum(tf.square(codebook), 1)[None, :]
                     - 2.0 * tf.matmul(flat, codebook, transpose_b=True))  # fmt: skip
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
        return {"quantized": z + tf.stop_gradient(quantized - z), "indices": indices,
                "commitment": commitment, "codebook": codebook_loss, "perplexity": perplexity,
                "dead_codes": dead}  # fmt: skip
