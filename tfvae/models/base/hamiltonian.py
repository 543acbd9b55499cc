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


def trajectory_level(j: int, n_steps: int, beta_zero_sqrt: float) -> float:
    """``1 / sqrt(beta_j)``, the momentum's scale during leapfrog step ``j`` (0-based) of a
    tempered trajectory: 1 at both ends, ``1 / sqrt(beta_0)`` in the middle, quadratic in
    between and symmetric (``level(j) = level(K - 1 - j)``), which keeps the trajectory
    reversible. ``beta_zero_sqrt = 1``: 1 everywhere (plain HMC)."""
    u = (2 * j + 1 - n_steps) / n_steps
    return 1.0 + (1.0 / beta_zero_sqrt - 1.0) * (1.0 - u * u)


def tempered_trajectory(
    z: tf.Tensor, rho: tf.Tensor, step: StepFn, n_steps: int, beta_zero_sqrt: float
) -> tuple[tf.Tensor, tf.Tensor]:
    """Neal's tempered trajectory (*MCMC using Hamiltonian dynamics*, 2011, section 5.7): the
    momentum is heated to :func:`trajectory_level` before each of ``n_steps`` volume-preserving
    integrator steps and cooled back to its own scale after the last.

    The scalings multiply to 1, so the map ``(z, rho) -> (z_K, rho_K)`` preserves volume, and
    their order is a palindrome, so the map followed by a momentum flip is an involution: a
    Metropolis test on ``H = -log pi(z) + ||rho||^2 / 2`` with ``rho ~ N(0, I)`` leaves ``pi``
    invariant at every ``beta_0`` (unlike :func:`tempered_flow`'s one-way cooling, which needs
    its Jacobian and is not reversible). Returns ``(z_K, rho_K)``, ``[B, D]`` each.
    """
    previous = 1.0
    for j in range(n_steps):
        level = trajectory_level(j, n_steps, beta_zero_sqrt)
        z, rho = step(z, (level / previous) * rho)
        previous = level
    return z, rho / previous


def hmc_chain(
    log_pi: Callable[[tf.Tensor], tf.Tensor],
    z0: tf.Tensor,
    seed: tf.Tensor,
    iterations: int,
    n_lf: int,
    eps: float,
    beta_zero: float = 1.0,
) -> tf.Tensor:
    """``iterations`` Metropolis-adjusted HMC transitions of ``B`` independent chains that leave
    ``pi`` invariant: momentum ``rho ~ N(0, I)``, a :func:`tempered_trajectory` of ``n_lf``
    leapfrog steps of size ``eps`` (tempered to ``beta_zero`` in its middle), accepted with
    probability ``min(1, exp(H_0 - H_K))`` (rows whose end point is not finite are rejected).

    Args:
        log_pi: ``z -> log pi(z)`` (unnormalised) per row, ``[B, D] -> [B]``.
        z0: ``[B, D]`` starting points.
        seed: ``[2]`` int32 stateless seed; iteration ``i`` folds ``i`` in.
    Returns ``[B, D]``.
    """
    grad_u = potential_gradient(log_pi)
    root0 = float(beta_zero) ** 0.5

    def iteration(i: tf.Tensor, z: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        s1, s2 = tf.unstack(
            tf.random.experimental.stateless_split(
                tf.random.experimental.stateless_fold_in(seed, i), 2
            )
        )
        rho = tf.random.stateless_normal(tf.shape(z), s1, dtype=z.dtype)
        h0 = -log_pi(z) + 0.5 * tf.reduce_sum(rho**2, -1)
        zk, rho = tempered_trajectory(
            z, rho, lambda zz, rr: leapfrog(zz, rr, grad_u, eps), n_lf, root0
        )
        h = -log_pi(zk) + 0.5 * tf.reduce_sum(rho**2, -1)
        u = tf.random.stateless_uniform(tf.shape(h), s2, dtype=z.dtype)
        accept = tf.math.log(u) < h0 - h
        accept &= tf.reduce_all(tf.math.is_finite(zk), axis=-1)
        return i + 1, tf.where(accept[:, None], zk, z)

    _, z = tf.while_loop(lambda i, z: i < iterations, iteration, (0, z0))
    return z
