"""RHVAEManifoldSampler: Riemannian HMC on an RHVAE's learned latent manifold."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.models.base.hamiltonian import hmc_chain
from tfvae.samplers.base import BaseSampler, BaseSamplerConfig, register_sampler


@dataclasses.dataclass
class RHVAEManifoldSamplerConfig(BaseSamplerConfig):
    """Config of :class:`RHVAEManifoldSampler` (Pythae's ``RHVAESamplerConfig`` defaults).

    Attributes:
        mcmc_steps_nbr: HMC iterations (each: K leapfrog steps and a Metropolis test).
        n_lf: leapfrog steps K per iteration.
        eps_lf: leapfrog step size.
        beta_zero: inverse temperature of the momentum in the middle of each trajectory
            (1: no tempering). Pythae cools from ``beta_zero`` to 1 along the trajectory and
            keeps the plain Metropolis test, which is biased when ``beta_zero < 1``; tfvae
            heats and cools symmetrically (Neal's tempered trajectory), which is exact.
    """

    mcmc_steps_nbr: int = 100
    n_lf: int = 15
    eps_lf: float = 0.03
    beta_zero: float = 1.0

    def validate(self) -> None:
        self.check_positive("mcmc_steps_nbr", "n_lf", "eps_lf")
        self.check("beta_zero", 0.0 < self.beta_zero <= 1.0, "in (0, 1]")


@register_sampler("rhvae_manifold")
class RHVAEManifoldSampler(BaseSampler):
    """Samples an :class:`~tfvae.models.RHVAE`'s latent space from the Riemannian uniform
    density ``pi(z) ∝ sqrt(det G^{-1}(z))`` (high where the learned metric is, near the
    training codes) by Hamiltonian Monte Carlo started at stored centroids, then decodes
    (Chadebec et al.; Pythae's ``RHVAESampler``). The chain runs as one traced graph.

    A class-conditional RHVAE: ``fit(x, condition=y)`` keeps each class's codes, and
    ``sample(n, condition=k)`` starts the chains at codes of class ``k`` (the metric is the
    whole latent space's; short chains stay near their class), then decodes under ``k``.

    Example:
        >>> images = RHVAEManifoldSampler(rhvae, {"mcmc_steps_nbr": 50}).sample(64)
        >>> shirts = RHVAEManifoldSampler(cond_rhvae).fit(x, condition=y).sample(64, condition=6)
    """

    config_class = RHVAEManifoldSamplerConfig
    conditional_codes = True

    def __init__(self, model: Any, config: BaseSamplerConfig | dict | None = None) -> None:
        if not model.riemannian_metric:
            raise ValueError(
                f"RHVAEManifoldSampler samples the learned metric of an RHVAE; "
                f"{type(model).__name__} has none"
            )
        super().__init__(model, config)
        self._chain = tf.function(self._run_chain)
        self.class_codes: dict[int, np.ndarray] = {}

    def fit(self, data: Any = None, **kwargs: Any) -> RHVAEManifoldSampler:
        """A conditional model's starting points: the codes of ``data`` per class of
        ``condition`` (labels ``[N]``); nothing to fit for an unconditional one."""
        condition = kwargs.get("condition")
        if self.model.conditional and self.model.config.condition == "class":
            if condition is None:
                raise ValueError(
                    "RHVAEManifoldSampler.fit(x, condition=y): a class-conditional RHVAE's "
                    "chains start at the codes of the class asked for"
                )
            labels = np.asarray(self.model.checked_condition(condition, len(data)))
            codes = self.training_codes(data, labels)
            self.class_codes = {int(k): codes[labels == k] for k in np.unique(labels)}
        self.is_fitted = True
        return self

    def log_prob(self, codes: Any) -> np.ndarray:
        """``log sqrt(det G^{-1}(z))`` (unnormalised), ``[N]``, with Pythae's metric over every
        stored centroid (``stored_inverse_metric(z, batch_scale=False)``)."""
        z = tf.convert_to_tensor(codes, tf.float32)
        ginv = self.model.stored_inverse_metric(z, batch_scale=False)
        return np.asarray(0.5 * tf.linalg.logdet(ginv))

    def _run_chain(self, z0: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        cfg = self.config

        def log_pi(z: tf.Tensor) -> tf.Tensor:
            return 0.5 * tf.linalg.logdet(self.model.stored_inverse_metric(z, batch_scale=False))

        return hmc_chain(log_pi, z0, seed, cfg.mcmc_steps_nbr, cfg.n_lf, cfg.eps_lf, cfg.beta_zero)

    def sample_codes(self, n: int, seed: int = 0, condition: Any = None) -> np.ndarray:
        rng = np.random.default_rng(seed)
        if condition is not None and self.class_codes:
            start = np.empty((n, self.model.latent_dim), np.float32)
            labels = np.asarray(condition).reshape(-1)
            for k in np.unique(labels):
                pool = self.class_codes.get(int(k))
                if pool is None or len(pool) == 0:
                    raise ValueError(f"RHVAEManifoldSampler was not fitted on class {int(k)}")
                rows = np.flatnonzero(labels == k)
                start[rows] = pool[rng.integers(0, len(pool), len(rows))]
        else:
            count = int(self.model.metric_count)
            if count == 0:
                raise RuntimeError("the RHVAE has no stored centroids yet: train it first")
            start = self.model.metric_centroids.numpy()[rng.integers(0, count, n)]
        z = self._chain(tf.constant(start), tf.constant([seed, 1], tf.int32))
        return np.asarray(z)
