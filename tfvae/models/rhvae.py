"""RHVAE: the Riemannian Hamiltonian VAE (Chadebec et al., 2020): HVAE's flow on a learned
Riemannian latent space, whose metric is a smooth mixture of local metrics centred on the
posterior means of the training data."""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import tensorflow as tf

from tfvae.models.base.hamiltonian import generalized_leapfrog, tempered_flow
from tfvae.models.base.registry import register_model
from tfvae.models.hvae import HVAE, HVAEConfig, log_std_normal
from tfvae.nn.metric import MLPMetric
from tfvae.nn.replicas import global_batch


@dataclasses.dataclass
class RHVAEConfig(HVAEConfig):
    """Config of :class:`RHVAE` (Pythae's defaults).

    Attributes:
        temperature: T, the width of each local metric's bump ``exp(-||z - c_i||^2 / T^2)``.
        regularization: lambda, added to the inverse metric (``+ lambda I``).
        metric_capacity: centroids kept for the metric (the most recent training examples;
            Pythae keeps its last 100 batches).
        fixed_point_steps: iterations solving the implicit leapfrog equations.
        metric_hidden: hidden units of the default metric network.
    """

    temperature: float = 1.5
    regularization: float = 0.01
    metric_capacity: int = 6400
    fixed_point_steps: int = 3
    metric_hidden: int = 400

    def validate(self) -> None:
        super().validate()
        self.check_positive(
            "temperature", "regularization", "metric_capacity", "fixed_point_steps", "metric_hidden"
        )


def inverse_metric(
    z: tf.Tensor,
    centroids: tf.Tensor,
    matrices: tf.Tensor,
    weights: tf.Tensor,
    temperature: float,
    regularization: float,
) -> tf.Tensor:
    """``G^{-1}(z) = sum_i w_i M_i exp(-||z - c_i||^2 / T^2) + lambda I``, ``[B, D, D]``.

    Args:
        z: ``[B, D]``.
        centroids: ``[N, D]`` the ``c_i``.
        matrices: ``[N, D, D]`` the local metrics ``M_i = L_i L_i^T``.
        weights: ``[N]`` 1 for valid centroids, 0 for empty slots.
    """
    d2 = tf.reduce_sum((z[:, None, :] - centroids[None]) ** 2, axis=-1)  # [B, N]
    bumps = tf.exp(-d2 / temperature**2) * weights[None]
    dim = z.shape[-1]
    flat = tf.matmul(bumps, tf.reshape(matrices, [-1, dim * dim]))
    return tf.reshape(flat, [-1, dim, dim]) + regularization * tf.eye(dim, dtype=z.dtype)


@register_model
class RHVAE(HVAE):
    """Riemannian Hamiltonian VAE.

    The metric network gives ``L_psi(x)`` (lower triangular) and ``M(x) = L L^T``; the inverse
    metric is ``G^{-1}(z) = sum_i M_i exp(-||z - c_i||^2 / T^2) + lambda I`` with centroids
    ``c_i = mu(x_i)``: the current batch's during a training step (gradients reach the
    encoder and the metric network through it), the last ``metric_capacity`` training examples'
    otherwise (saved with the model), each weighted by (batch size) / (stored centroids) so
    that evaluation uses the average training-batch metric (Pythae sums the last 100 batches'
    local metrics at evaluation, a metric about 100 times larger than the one its leapfrog was
    trained with, which made its evaluation diverge here); before any training step,
    Pythae's starting metric ``exp(-||z||^2) I + lambda I``. The posterior sample ``z_0`` and the momentum ``rho_0 ~
    N(0, G(z_0)) / sqrt(beta_0)`` flow through K tempered generalized leapfrog steps of
    ``H = -log p(x, z) + 0.5 log det G(z) + 0.5 rho^T G^{-1}(z) rho``; the objective is the
    augmented ELBO

    ``log p(x|z_K) + log p(z_K) - 0.5 log det G(z_K) - 0.5 rho_K^T G^{-1}(z_K) rho_K
    - log q(z_0|x) + 0.5 log det G(z_0) + 0.5 ||gamma||^2``

    (Pythae drops the ``log det G(z_0)`` of the initial momentum's density). Sample with the
    ``rhvae_manifold`` sampler (Riemannian HMC targeting ``sqrt(det G^{-1}(z))``).
    """

    config_class = RHVAEConfig
    riemannian_metric = True
    extra_networks = ("metric",)

    def default_network(self, name: str) -> keras.Model:
        return MLPMetric(self.latent_dim, hidden=self.config.metric_hidden, name="metric")

    def make_layers(self) -> None:
        super().make_layers()
        cap, d = self.config.metric_capacity, self.latent_dim

        def state(name: str, shape: tuple, dtype: str = "float32") -> keras.Variable:
            return self.add_weight(
                shape=shape,
                initializer="zeros",
                trainable=False,
                name=name,
                dtype=dtype,
                aggregation="only_first_replica",
            )

        self.metric_centroids = state("metric_centroids", (cap, d))
        self.metric_matrices = state("metric_matrices", (cap, d, d))
        self.metric_count = state("metric_count", (), "int32")
        self.metric_batch = state("metric_batch", (), "int32")
        self.metric_next = state("metric_next", (), "int32")

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if not self.metric.built:
            self.metric(tf.zeros((1, *self.input_shape_)))

    # -- the metric ----------------------------------------------------------------------
    def stored_inverse_metric(self, z: tf.Tensor, batch_scale: bool = True) -> tf.Tensor:
        """``G^{-1}(z)`` ``[B, D, D]`` from the stored centroids (the starting metric before
        any training step).

        Args:
            batch_scale: weight each centroid by (training batch size) / (stored centroids),
                ``lambda I`` unchanged: the *average* of the batch metrics training used, so
                evaluation sees the metric at the scale it was trained with. ``False``:
                Pythae's ``sum_i M_i exp(-||z - c_i||^2 / T^2) + lambda I`` over every stored
                centroid, the manifold sampler's target ``sqrt(det G^{-1})`` (scaling only the
                sum would change that target's shape, not just its normaliser).
        """
        cfg = self.config
        count = tf.maximum(self.metric_count, 1)
        share = tf.cast(self.metric_batch, z.dtype) / tf.cast(count, z.dtype)
        if not batch_scale:
            share = tf.ones_like(share)
        valid = tf.cast(tf.range(cfg.metric_capacity) < self.metric_count, z.dtype) * share
        ginv = inverse_metric(
            z,
            self.metric_centroids,
            self.metric_matrices,
            valid,
            cfg.temperature,
            cfg.regularization,
        )
        empty = tf.cast(tf.equal(self.metric_count, 0), z.dtype)
        start = tf.exp(-tf.reduce_sum(z**2, axis=-1))[:, None, None] * tf.eye(self.latent_dim)
        return ginv + empty * start

    def _store(self, centroids: tf.Tensor, matrices: tf.Tensor) -> None:
        """Write a (global) batch of centroids and metrics into the ring buffer."""
        cap = self.config.metric_capacity
        n = tf.minimum(tf.shape(centroids)[0], cap)
        slots = (self.metric_next + tf.range(n)) % cap
        self.metric_centroids.assign(
            tf.tensor_scatter_nd_update(self.metric_centroids, slots[:, None], centroids[-n:])
        )
        self.metric_matrices.assign(
            tf.tensor_scatter_nd_update(self.metric_matrices, slots[:, None], matrices[-n:])
        )
        self.metric_next.assign((self.metric_next + n) % cap)
        self.metric_batch.assign(n)
        self.metric_count.assign(tf.minimum(self.metric_count + n, cap))

    def metric_fn(self, x: tf.Tensor, mu: tf.Tensor, training: bool) -> Any:
        """``z -> G^{-1}(z)`` for this step: the batch's local metrics when training (stored
        for later), the stored ones otherwise."""
        if not training:
            return self.stored_inverse_metric
        L = self.metric(x, training=training)["L"]
        centroids, matrices = global_batch(mu), global_batch(tf.matmul(L, L, transpose_b=True))
        self._store(tf.stop_gradient(centroids), tf.stop_gradient(matrices))
        cfg = self.config
        ones = tf.ones(tf.shape(centroids)[:1], mu.dtype)
        return lambda z: inverse_metric(
            z, centroids, matrices, ones, cfg.temperature, cfg.regularization
        )

    # -- the flow ------------------------------------------------------------------------
    def hamiltonian_terms(
        self,
        x: tf.Tensor,
        enc: dict[str, tf.Tensor],
        eps: tf.Tensor,
        gamma: tf.Tensor,
        training: bool = False,
        exact: bool = False,
    ) -> dict[str, tf.Tensor]:
        ginv_fn = self.metric_fn(x, enc["embedding"], training)
        z0, log_q0 = self.initial_sample(enc, eps)
        grad_u = self.potential_grad(x, training)
        ginv0 = ginv_fn(z0)
        # rho_0 ~ N(0, G(z0)) with G = (C C^T)^{-1} for C = chol(G^{-1}): rho_0 = C^{-T} gamma
        # (a triangular solve; inverting G^{-1} explicitly failed in float32 on large metrics)
        chol = tf.linalg.cholesky(ginv0)
        rho0 = tf.linalg.triangular_solve(chol, gamma[..., None], lower=True, adjoint=True)[..., 0]
        root0, step, iterations = self.beta_zero_sqrt, self.step_size, self.config.fixed_point_steps
        z, rho = tempered_flow(
            z0,
            rho0 / root0,
            lambda z, rho: generalized_leapfrog(z, rho, grad_u, ginv_fn, step, iterations),
            self.config.n_lf,
            root0,
        )
        ginv = ginv_fn(z)
        # log N(rho_K; 0, G(z_K)) - log[N(rho_0; 0, G(z_0)/beta_0) beta_0^{-d/2}]
        log_rho_k = 0.5 * tf.linalg.logdet(ginv) - 0.5 * tf.einsum("bi,bij,bj->b", rho, ginv, rho)
        log_rho_0 = 0.5 * tf.linalg.logdet(ginv0) - 0.5 * tf.reduce_sum(gamma**2, axis=-1)
        return {
            "log_px": self.log_likelihood_fn(x, training, exact)(z),
            "log_pz": log_std_normal(z),
            "log_q": log_q0 + log_rho_0 - log_rho_k,
            "z": z,
        }
