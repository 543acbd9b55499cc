"""Hamiltonian dynamics shared by the MCMC-augmented VAEs (HVAE, RHVAE): leapfrog steps,
tempering schedules, and the gradient of the potential ``U(z) = -log p(x, z)``."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

GradFn = Callable[[tf.Tensor], tf.Tensor]


def leapfrog(
    z: tf.Tensor, rho: tf.Tensor, grad_u: GradFn, step: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """One leapfrog step of ``H(z, rho) = U(z) + ||rho||^2 / 2`` (identity mass matrix).

    ``rho' = rho - step/2 grad U(z)``, ``z' = z + step rho'``, ``rho'' = rho' - step/2 grad U(z')``.
    Volume preserving and reversible (``leapfrog(z', -rho'')`` returns ``(z, -rho)``).

    Args:
        z, rho: ``[B, D]`` position and momentum.
        grad_u: ``z -> dU/dz``, ``[B, D]``.
        step: the step size (scalar).
    """
    rho_half = rho - 0.5 * step * grad_u(z)
    z_new = z + step * rho_half
    return z_new, rho_half - 0.5 * step * grad_u(z_new)


def tempering(k: int, n_steps: int, beta_zero_sqrt: tf.Tensor) -> tf.Tensor:
    """``sqrt(beta_k)`` of Caterini et al.'s quadratic schedule: ``sqrt(beta_0)`` at ``k = 0``
    and 1 at ``k = K``: ``1 / sqrt(beta_k) = (1 - 1/sqrt(beta_0)) (k/K)^2 + 1/sqrt(beta_0)``."""
    inv = 1.0 / beta_zero_sqrt
    return 1.0 / ((1.0 - inv) * (k / n_steps) ** 2 + inv)


def potential_gradient(log_joint: Callable[[tf.Tensor], tf.Tensor]) -> GradFn:
    """``z -> dU/dz`` with ``U(z) = -sum_B log_joint(z)`` (each row's gradient is its own).

    The gradient is taken with a nested tape, so an outer tape (the training step) can
    differentiate through it (second order, as the HVAE objective needs).
    """

    def grad_u(z: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(z)
            u = -tf.reduce_sum(log_joint(z))
        return tape.gradient(u, z)

    return grad_u


InverseMetricFn = Callable[[tf.Tensor], tf.Tensor]


def riemannian_kinetic(z: tf.Tensor, rho: tf.Tensor, inverse_metric: InverseMetricFn) -> tf.Tensor:
    """``0.5 log det G(z) + 0.5 rho^T G(z)^{-1} rho`` per row, ``[B]``: the position-dependent
    part of the Riemannian Hamiltonian, with ``G^{-1} = inverse_metric(z)`` ``[B, D, D]``."""
    ginv = inverse_metric(z)
    quad = tf.einsum("bi,bij,bj->b", rho, ginv, rho)
    return -0.5 * tf.linalg.logdet(ginv) + 0.5 * quad


def generalized_leapfrog(
    z: tf.Tensor,
    rho: tf.Tensor,
    grad_u: GradFn,
    inverse_metric: InverseMetricFn,
    step: tf.Tensor,
    fixed_point_steps: int = 3,
) -> tuple[tf.Tensor, tf.Tensor]:
    """One generalized leapfrog step of ``H(z, rho) = U(z) + 0.5 log det G(z) + 0.5 rho^T
    G(z)^{-1} rho`` (Girolami & Calderhead, 2011), the two implicit equations solved by
    ``fixed_point_steps`` fixed-point iterations as in RHVAE:

    ``rho' = rho - step/2 dH/dz(z, rho')``; ``z' = z + step/2 [G^{-1}(z) + G^{-1}(z')] rho'``;
    ``rho'' = rho' - step/2 dH/dz(z', rho')``.

    Args:
        z, rho: ``[B, D]``.
        grad_u: ``z -> dU/dz`` ``[B, D]``.
        inverse_metric: ``z -> G(z)^{-1}`` ``[B, D, D]`` (symmetric positive definite).
        step: the step size.
    """

    def grad_kinetic(zz: tf.Tensor, rr: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(zz)
            k = tf.reduce_sum(riemannian_kinetic(zz, rr, inverse_metric))
        return tape.gradient(k, zz)

    du = grad_u(z)
    rho_half = rho
    for _ in range(fixed_point_steps):
        rho_half = rho - 0.5 * step * (du + grad_kinetic(z, rho_half))
    velocity = tf.linalg.matvec(inverse_metric(z), rho_half)
    z_new = z
    for _ in range(fixed_point_steps):
        z_new = z + 0.5 * step * (velocity + tf.linalg.matvec(inverse_metric(z_new), rho_half))
    rho_new = rho_half - 0.5 * step * (grad_u(z_new) + grad_kinetic(z_new, rho_half))
    return z_new, rho_new


StepFn = Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]


def tempered_flow(
    z: tf.Tensor, rho: tf.Tensor, step: StepFn, n_steps: int, beta_zero_sqrt: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """``n_steps`` integrator steps ``(z, rho) -> step(z, rho)``, each followed by the
    tempering ``rho <- sqrt(beta_{k-1} / beta_k) rho`` of :func:`tempering` (which starts at
    ``beta_zero_sqrt`` and ends at 1; with ``beta_zero_sqrt = 1`` nothing is rescaled).
    Returns ``(z_K, rho_K)``."""
    previous = beta_zero_sqrt
    for k in range(1, n_steps + 1):
        z, rho = step(z, rho)
        current = tempering(k, n_steps, beta_zero_sqrt)
        rho, previous = (previous / current) * rho, current
    return z, rho
