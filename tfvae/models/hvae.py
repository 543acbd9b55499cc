"""HVAE: the Hamiltonian VAE (Caterini et al., 2018): the posterior sample flows through K
tempered leapfrog steps of the dynamics of ``U(z) = -log p(x, z)``."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras
import tensorflow as tf

from tfvae.models.base.hamiltonian import leapfrog, potential_gradient, tempered_flow
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAE, VAEConfig

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def log_std_normal(v: tf.Tensor) -> tf.Tensor:
    """``log N(v; 0, I)`` summed over the last axis."""
    return -tf.reduce_sum(0.5 * v**2 + _HALF_LOG_2PI, axis=-1)


@dataclasses.dataclass
class HVAEConfig(VAEConfig):
    """Config of :class:`HVAE` (Pythae's defaults).

    Attributes:
        n_lf: leapfrog steps K.
        eps_lf: leapfrog step size.
        beta_zero: initial inverse temperature beta_0 in (0, 1] (1: no tempering).
        learn_eps_lf: train the step size (kept positive: stored as its log).
        learn_beta_zero: train beta_0 (kept in (0, 1): stored as the logit of its square root).
    """

    n_lf: int = 3
    eps_lf: float = 0.001
    beta_zero: float = 0.3
    learn_eps_lf: bool = False
    learn_beta_zero: bool = False

    def validate(self) -> None:
        super().validate()
        self.check_positive("n_lf", "eps_lf")
        self.check("beta_zero", 0.0 < self.beta_zero <= 1.0, "in (0, 1]")


@register_model
class HVAE(VAE):
    """Hamiltonian VAE. ``z_0 ~ q(z|x)``, ``rho_0 = gamma / sqrt(beta_0)`` with ``gamma ~
    N(0, I)``; each of K steps is a leapfrog step of ``H = U(z) + ||rho||^2/2`` followed by the
    tempering ``rho <- sqrt(beta_{k-1}/beta_k) rho``. The leapfrog preserves volume and the
    tempering scales it by ``beta_0^{d/2}`` in all, which cancels the ``beta_0`` of ``rho_0``'s
    density, so

    ``loss = mean_B [ -log p(x|z_K) - log p(z_K) - log N(rho_K; 0, I) + log q(z_0|x)
    + log N(gamma; 0, I) ]`` (the ``kl`` term is everything but the reconstruction).

    ``dU/dz`` is taken with a nested tape, so training differentiates through the dynamics.
    (Pythae's port overwrites the tempered momentum and mixes two posterior scales; this follows
    the paper.)
    """

    config_class = HVAEConfig
    loss_terms = ("loss", "reconstruction", "kl")

    def make_layers(self) -> None:
        cfg = self.config
        self.log_eps_lf = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(cfg.eps_lf)),
            trainable=cfg.learn_eps_lf,
            name="log_eps_lf",
        )
        root = min(math.sqrt(cfg.beta_zero), 1.0 - 1e-6)
        self.beta_zero_logit = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(root / (1.0 - root))),
            trainable=cfg.learn_beta_zero,
            name="beta_zero_sqrt_logit",
        )

    @property
    def step_size(self) -> tf.Tensor:
        return tf.exp(self.log_eps_lf)

    @property
    def beta_zero_sqrt(self) -> tf.Tensor:
        return tf.sigmoid(self.beta_zero_logit)

    def log_likelihood_fn(self, x: tf.Tensor, training: bool, exact: bool = False) -> Any:
        """``z -> log p(x|z)`` ``[B]`` (minus Pythae's reconstruction term, or the normalised
        log-likelihood when ``exact``)."""

        def log_px(z: tf.Tensor) -> tf.Tensor:
            params = self.decoder_params(z, training=training)
            if exact:
                return self.likelihood.log_prob(x, params)
            return -self.likelihood.reconstruction_loss(x, params)

        return log_px

    def potential_grad(self, x: tf.Tensor, training: bool) -> Any:
        """``z -> dU/dz`` for ``U(z) = -log p(x|z) - log p(z)`` (differentiable, nested tape)."""
        log_px = self.log_likelihood_fn(x, training)
        return potential_gradient(lambda z: log_px(z) + log_std_normal(z))

    def initial_sample(
        self, enc: dict[str, tf.Tensor], eps: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """``z_0 = mu + sigma eps`` ``[B, D]`` and ``log q(z_0|x)`` ``[B]`` for noise ``eps``."""
        log_var = enc["log_covariance"]
        z0 = enc["embedding"] + tf.exp(0.5 * log_var) * eps
        return z0, -tf.reduce_sum(0.5 * log_var + 0.5 * eps**2 + _HALF_LOG_2PI, axis=-1)

    def flow(
        self, x: tf.Tensor, z0: tf.Tensor, gamma: tf.Tensor, training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Run the K tempered leapfrog steps from ``z_0`` ``[B, D]`` with momentum noise
        ``gamma`` ``[B, D]``; returns ``(z_K, rho_K)``."""
        grad_u = self.potential_grad(x, training)
        root0 = self.beta_zero_sqrt
        step = self.step_size
        return tempered_flow(
            z0,
            gamma / root0,
            lambda z, rho: leapfrog(z, rho, grad_u, step),
            self.config.n_lf,
            root0,
        )

    def hamiltonian_terms(
        self,
        x: tf.Tensor,
        enc: dict[str, tf.Tensor],
        eps: tf.Tensor,
        gamma: tf.Tensor,
        training: bool = False,
        exact: bool = False,
    ) -> dict[str, tf.Tensor]:
        """Per-example ``log p(x|z_K)``, ``log p(z_K)`` and the effective ``log q`` (``log
        q(z_0|x) + log N(gamma) - log N(rho_K)``), ``[B]``, and ``z_K``."""
        z0, log_q0 = self.initial_sample(enc, eps)
        z, rho = self.flow(x, z0, gamma, training=training)
        log_q = log_q0 + log_std_normal(gamma) - log_std_normal(rho)
        return {
            "log_px": self.log_likelihood_fn(x, training, exact)(z),
            "log_pz": log_std_normal(z),
            "log_q": log_q,
            "z": z,
        }

    def compute_loss_terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        enc = self.run_encoder(x, training=training)
        eps = self.prior_noise(enc["embedding"], "hvae_position")
        gamma = self.prior_noise(enc["embedding"], "hvae_momentum")
        t = self.hamiltonian_terms(x, enc, eps, gamma, training=training)
        recon = -tf.reduce_mean(t["log_px"])
        kl = tf.reduce_mean(t["log_q"] - t["log_pz"])
        return {"loss": recon + kl, "reconstruction": recon, "kl": kl}

    def importance_terms(
        self,
        x: tf.Tensor,
        n_samples: int,
        training: bool = False,
        exact: bool = False,
        seed: tf.Tensor | None = None,
    ) -> dict[str, tf.Tensor]:
        """Log importance weights of ``n_samples`` flows per example, ``[K, B]`` (the
        augmented weights ``p(x, z_K) N(rho_K) / (q(z_0|x) N(gamma))``)."""
        seed = self.noise_seed() if seed is None else seed
        enc = self.run_encoder(x, training=training)
        tiled = {k: tf.repeat(v[None], n_samples, axis=0) for k, v in enc.items()}
        flat = {k: tf.reshape(v, [-1, v.shape[-1]]) for k, v in tiled.items()}
        x_rep = tf.reshape(tf.repeat(x[None], n_samples, axis=0), [-1, *self.input_shape_])
        shape = tf.shape(flat["embedding"])
        s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        eps = tf.random.stateless_normal(shape, s1)
        gamma = tf.random.stateless_normal(shape, s2)
        t = self.hamiltonian_terms(x_rep, flat, eps, gamma, training=training, exact=exact)
        out = {k: tf.reshape(t[k], [n_samples, -1]) for k in ("log_px", "log_pz", "log_q")}
        out["log_w"] = out["log_px"] + out["log_pz"] - out["log_q"]
        out["z"] = tf.reshape(t["z"], [n_samples, -1, self.latent_dim])
        return out
