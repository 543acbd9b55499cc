"""BetaTCVAE (Chen et al., 2018): the KL of the ELBO split into index-code mutual information,
total correlation and dimension-wise KL, each with its own weight."""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf

from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig
from tfvae.nn.replicas import global_batch, replica_rows

_LOG_2PI = math.log(2.0 * math.pi)


@dataclasses.dataclass
class BetaTCVAEConfig(VAEConfig):
    """Config of :class:`BetaTCVAE` (Pythae's names and defaults).

    Attributes:
        alpha: weight of the index-code mutual information ``I(x; z)``.
        beta: weight of the total correlation ``KL(q(z) || prod_d q(z_d))``.
        gamma: weight of the dimension-wise KL ``sum_d KL(q(z_d) || p(z_d))``.
        use_mss: minibatch stratified sampling (``True``) or minibatch weighted sampling.
        dataset_size: N, the number of training examples the estimators of ``q(z)`` need.
            ``None``: set by :class:`~tfvae.pipelines.TrainingPipeline` from the training data
            (saved with the model); if never set, the batch size is used (Pythae's fallback).
    """

    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0
    use_mss: bool = True
    dataset_size: int | None = None

    def validate(self) -> None:
        super().validate()
        self.check_non_negative("alpha", "beta", "gamma")
        if self.dataset_size is not None:
            self.check_positive("dataset_size")


def log_normal_elementwise(z: tf.Tensor, mean: tf.Tensor, log_var: tf.Tensor) -> tf.Tensor:
    """``log N(z; mean, exp(log_var))`` per coordinate (broadcasting), in nats."""
    return -0.5 * (_LOG_2PI + log_var + tf.square(z - mean) * tf.exp(-log_var))


def stratified_log_weights(batch_size: tf.Tensor, dataset_size: tf.Tensor) -> tf.Tensor:
    """Log weights ``[B, B]`` of minibatch stratified sampling (Chen et al., appendix).

    Row ``i`` estimates ``q(z_i)`` from the batch: weight ``1/N`` on its own example,
    ``(N - M) / (N M)`` on the next one (cyclically) and ``1/M`` on the ``M - 1`` others,
    ``M = B - 1``; every row sums to 1. (Chen et al.'s code, which Pythae copies, assigns the
    flattened matrix with strides ``M + 1 = B``: that walks down a *column*, not the diagonal,
    so ``1/N`` and the stratum weight land in columns 0 and 1 of every row. Each ``z_i`` is
    then weighted ``1/N`` against ``x_0``'s posterior and only ``1/M`` against its own
    ``q(z_i|x_i)``, the term that dominates the sum; and ``W[M - 1, 0] = (N - M) / (N M)``
    overwrites a ``1/N``, so row ``M - 1`` does not sum to 1. tfvae uses the paper's estimator.)
    """
    b = tf.cast(batch_size, tf.float32)
    n = tf.cast(dataset_size, tf.float32)
    m = b - 1.0
    eye = tf.eye(batch_size)
    nxt = tf.roll(eye, shift=1, axis=1)  # (i, i + 1 mod B)
    weights = (1.0 - eye - nxt) / m + eye / n + nxt * (n - m) / (n * m)
    return tf.math.log(weights)


@register_model
class BetaTCVAE(VAE):
    """``loss = mean_B [recon + alpha MI + beta TC + gamma DWKL]`` with ``z ~ q(z|x)`` and
    ``log q(z)``, ``log prod_d q(z_d)`` estimated on the (global) batch by minibatch stratified
    or weighted sampling; ``MI + TC + DWKL = log q(z|x) - log p(z)``, the one-sample KL.

    Example:
        >>> model = BetaTCVAE(BetaTCVAEConfig(input_shape=(64, 64, 1), latent_dim=10, beta=6.0))
    """

    config_class = BetaTCVAEConfig
    loss_terms = (
        "loss",
        "reconstruction",
        "kl",
        "mutual_info",
        "total_correlation",
        "dimension_wise_kl",
    )

    def make_layers(self) -> None:
        self.dataset_size = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(self.config.dataset_size or 0),
            trainable=False,
            name="dataset_size",
            aggregation="only_first_replica",
        )

    def prepare_for_data(self, num_examples: int) -> None:
        """Use the training set's size as N unless the config fixes it."""
        if self.config.dataset_size is None:
            self.dataset_size.assign(float(num_examples))

    def decomposed_kl(
        self, z: tf.Tensor, mean: tf.Tensor, log_var: tf.Tensor
    ) -> dict[str, tf.Tensor]:
        """``mutual_info``, ``total_correlation``, ``dimension_wise_kl`` ``[B]`` for this
        replica's samples ``z`` and posterior parameters ``mean``, ``log_var`` (``[B, D]``),
        with ``q(z)`` estimated against the posteriors of the global batch."""
        means, log_vars = global_batch(mean), global_batch(log_var)
        local = tf.shape(z)[0]
        offset, total = replica_rows(local)
        log_q_zx = tf.reduce_sum(log_normal_elementwise(z, mean, log_var), axis=-1)
        log_pz = tf.reduce_sum(log_normal_elementwise(z, 0.0, 0.0), axis=-1)
        # log q(z_i | x_j) per coordinate: [B_local, B_global, D]
        pairs = log_normal_elementwise(z[:, None, :], means[None], log_vars[None])
        stored = self.dataset_size
        n = tf.maximum(
            tf.where(stored > 0, stored, tf.cast(total, tf.float32)), tf.cast(total, tf.float32)
        )
        if self.config.use_mss:
            log_w = stratified_log_weights(total, n)[offset : offset + local]  # [B_local, B_global]
            log_qz = tf.reduce_logsumexp(log_w + tf.reduce_sum(pairs, -1), axis=1)
            log_prod = tf.reduce_sum(tf.reduce_logsumexp(log_w[:, :, None] + pairs, axis=1), -1)
        else:
            log_norm = tf.math.log(tf.cast(total, tf.float32) * n)
            log_qz = tf.reduce_logsumexp(tf.reduce_sum(pairs, -1), axis=1) - log_norm
            log_prod = tf.reduce_sum(tf.reduce_logsumexp(pairs, axis=1) - log_norm, -1)
        return {
            "mutual_info": log_q_zx - log_qz,
            "total_correlation": log_qz - log_prod,
            "dimension_wise_kl": log_prod - log_pz,
        }

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        enc = self.run_encoder(x, training=training)
        z, _ = self.posterior_sample_and_kl(enc, self.noise_seed())
        params = self.decoder_params(z, training=training)
        recon = tf.reduce_mean(self.reconstruction_term(x, params))
        parts = self.decomposed_kl(z, enc["embedding"], enc["log_covariance"])
        terms = {name: tf.reduce_mean(value) for name, value in parts.items()}
        cfg = self.config
        weighted = (
            cfg.alpha * terms["mutual_info"]
            + cfg.beta * terms["total_correlation"]
            + cfg.gamma * terms["dimension_wise_kl"]
        )
        kl = terms["mutual_info"] + terms["total_correlation"] + terms["dimension_wise_kl"]
        return {"loss": recon + weighted, "reconstruction": recon, "kl": kl, **terms}
