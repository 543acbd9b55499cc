"""Leapfrog integration (float64): volume preservation, reversibility, energy, tempering."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tfvae.models.base.hamiltonian import (
    hmc_chain,
    leapfrog,
    potential_gradient,
    tempered_flow,
    tempered_trajectory,
    tempering,
)


def _log_joint(z):
    """A non-Gaussian log-density (quartic + coupling), ``[B]``."""
    return -tf.reduce_sum(0.25 * z**4 + 0.5 * z**2, axis=-1) - 0.3 * z[:, 0] * tf.sin(z[:, 1])


def test_leapfrog_is_volume_preserving_and_reversible_in_float64():
    grad_u = potential_gradient(_log_joint)
    rng = np.random.default_rng(0)
    z = tf.constant(rng.normal(size=(1, 3)), tf.float64)
    rho = tf.constant(rng.normal(size=(1, 3)), tf.float64)
    state = tf.concat([z, rho], axis=-1)
    with tf.GradientTape() as tape:
        tape.watch(state)
        z1, rho1 = leapfrog(state[:, :3], state[:, 3:], grad_u, tf.constant(0.3, tf.float64))
        out = tf.concat([z1, rho1], axis=-1)
    jac = tape.batch_jacobian(out, state)[0].numpy()
    assert abs(np.linalg.det(jac) - 1.0) < 1e-10
    z2, rho2 = leapfrog(z1, -rho1, grad_u, tf.constant(0.3, tf.float64))
    assert np.abs(z2 - z).max() < 1e-12 and np.abs(-rho2 - rho).max() < 1e-12


def test_leapfrog_energy_error_shrinks_with_the_step_squared():
    grad_u = potential_gradient(_log_joint)
    z0 = tf.constant([[0.7, -0.4, 1.1]], tf.float64)
    rho0 = tf.constant([[0.2, 0.5, -0.3]], tf.float64)

    def energy(z, rho):
        return float(-_log_joint(z)[0] + 0.5 * tf.reduce_sum(rho**2))

    errors = []
    for step in (0.1, 0.05):
        z, rho = z0, rho0
        for _ in range(int(round(1.0 / step))):  # integrate to time 1
            z, rho = leapfrog(z, rho, grad_u, tf.constant(step, tf.float64))
        errors.append(abs(energy(z, rho) - energy(z0, rho0)))
    assert errors[1] < errors[0] / 3  # second order: about 4x smaller


def test_tempering_schedule_and_hvae_config():
    root0 = tf.constant(0.5, tf.float64)
    assert float(tempering(0, 4, root0)) == pytest.approx(0.5)
    assert float(tempering(4, 4, root0)) == pytest.approx(1.0)
    with pytest.raises(tfvae.ConfigError, match="beta_zero"):
        tfvae.HVAEConfig(beta_zero=1.5)


def test_hvae_learns_its_step_size_and_temperature_when_asked(digits, seeded):
    model = tfvae.build_model(
        "hvae",
        input_shape=(8, 8, 1),
        latent_dim=2,
        eps_lf=0.05,
        learn_eps_lf=True,
        learn_beta_zero=True,
    )
    assert {w.name for w in model.trainable_weights} >= {"log_eps_lf", "beta_zero_sqrt_logit"}
    model.compile(optimizer="adam")
    model.fit(digits.x_train[:128], batch_size=32, epochs=1, verbose=0)
    assert float(model.step_size) != pytest.approx(0.05, rel=1e-6)
    assert 0.0 < float(model.beta_zero_sqrt) < 1.0
    fixed = tfvae.build_model("hvae", input_shape=(8, 8, 1), latent_dim=2)
    assert not {w.name for w in fixed.trainable_weights} & {"log_eps_lf", "beta_zero_sqrt_logit"}


def _inverse_metric(z):
    """A known position-dependent metric: G^{-1}(z) = diag(1 + z^2) + a coupling, SPD."""
    diag = tf.linalg.diag(1.0 + z**2)
    off = 0.2 * tf.tanh(z[:, :1] * z[:, 1:2])[:, :, None] * (1 - tf.eye(z.shape[-1], dtype=z.dtype))
    return diag + off


def test_generalized_leapfrog_conserves_the_riemannian_hamiltonian_to_second_order():
    from tfvae.models.base.hamiltonian import generalized_leapfrog, riemannian_kinetic

    grad_u = potential_gradient(_log_joint)
    z0 = tf.constant([[0.6, -0.3, 0.9]], tf.float64)
    rho0 = tf.constant([[0.4, 0.1, -0.5]], tf.float64)

    def energy(z, rho):
        return float(-_log_joint(z)[0] + riemannian_kinetic(z, rho, _inverse_metric)[0])

    errors = []
    for step in (0.1, 0.05):
        z, rho = z0, rho0
        for _ in range(int(round(0.5 / step))):
            z, rho = generalized_leapfrog(
                z, rho, grad_u, _inverse_metric, tf.constant(step, tf.float64), fixed_point_steps=8
            )
        errors.append(abs(energy(z, rho) - energy(z0, rho0)))
    assert errors[0] < 0.01 and errors[1] < errors[0] / 3, errors


def test_rhvae_metric_is_stored_scaled_and_refuses_other_models(digits, seeded):
    model = tfvae.build_model("rhvae", input_shape=(8, 8, 1), latent_dim=2, metric_capacity=100)
    z = tf.zeros((1, 2))
    start = model.stored_inverse_metric(z).numpy()[0]  # Pythae's starting metric at 0: (1 + lbd) I
    assert np.allclose(start, 1.01 * np.eye(2), atol=1e-6)
    model.compile(optimizer="adam")
    model.fit(digits.x_train[:96], batch_size=32, epochs=2, shuffle=False, verbose=0)
    assert int(model.metric_count) == 100 and int(model.metric_batch) == 32
    codes = model.encode(digits.x_train[64:96]).numpy()  # the last batch's means were stored
    stored = model.metric_centroids.numpy()
    assert np.abs(stored[[(192 - 32 + i) % 100 for i in range(32)]] - codes).max() < 0.5
    # evaluation: the average batch metric, (B / N) sum_i M_i k_i + lambda I; the manifold
    # sampler's target: Pythae's sum over every centroid + lambda I (float64, by hand)
    probe = np.random.default_rng(0).normal(size=(5, 2))
    mats = model.metric_matrices.numpy().astype(np.float64)
    kernel = np.exp(-((probe[:, None] - stored[None]) ** 2).sum(-1) / model.config.temperature**2)
    summed = np.einsum("bn,nij->bij", kernel, mats)
    lbd = model.config.regularization * np.eye(2)
    got = model.stored_inverse_metric(tf.constant(probe, tf.float32)).numpy()
    np.testing.assert_allclose(got, 32 / 100 * summed + lbd, rtol=1e-4, atol=1e-6)
    sampler = tfvae.build_sampler("rhvae_manifold", model)
    want = 0.5 * np.linalg.slogdet(summed + lbd)[1]
    np.testing.assert_allclose(sampler.log_prob(probe), want, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="learned metric of an RHVAE"):
        tfvae.build_sampler(
            "rhvae_manifold", tfvae.build_model("vae", input_shape=(4,), latent_dim=2)
        )


def test_tempered_trajectory_is_a_volume_preserving_involution_in_float64():
    """What makes the manifold sampler's plain Metropolis test exact at ``beta_0 < 1``: the
    tempered trajectory preserves volume and, followed by a momentum flip, is an involution."""
    grad_u = potential_gradient(_log_joint)

    def flow(z, rho):
        step = lambda zz, rr: leapfrog(zz, rr, grad_u, tf.constant(0.2, tf.float64))  # noqa: E731
        return tempered_trajectory(z, rho, step, 6, 0.3**0.5)

    rng = np.random.default_rng(1)
    state = tf.constant(rng.normal(size=(1, 6)), tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(state)
        z1, rho1 = flow(state[:, :3], state[:, 3:])
        out = tf.concat([z1, rho1], axis=-1)
    assert abs(np.linalg.det(tape.batch_jacobian(out, state)[0].numpy()) - 1.0) < 1e-10
    z2, rho2 = flow(z1, -rho1)
    np.testing.assert_allclose(tf.concat([z2, -rho2], -1).numpy(), state.numpy(), atol=1e-10)


def test_hmc_chain_samples_its_target_at_every_beta_zero():
    """2-D Gaussian target (std 0.5 and 1.5), 4,000 chains: the tempered chain's moments are
    right at beta_0 = 1 and 0.3; Pythae's one-way cooling under the same Metropolis test
    (kept here as the reference it replaces) is not at 0.3."""
    sigma = tf.constant([0.5, 1.5], tf.float64)

    def log_pi(z):
        return -0.5 * tf.reduce_sum((z / sigma) ** 2, -1)

    z0 = tf.constant(np.random.default_rng(0).normal(size=(4000, 2)), tf.float64)
    seed = tf.constant([0, 1], tf.int32)
    for beta_zero in (1.0, 0.3):
        z = tf.function(hmc_chain, autograph=False)(log_pi, z0, seed, 150, 7, 0.2, beta_zero)
        np.testing.assert_allclose(z.numpy().std(0), [0.5, 1.5], rtol=0.05)
        assert np.abs(z.numpy().mean(0)).max() < 0.1

    grad_u = potential_gradient(log_pi)
    root0 = tf.constant(0.3**0.5, tf.float64)

    @tf.function
    def one_way(z):
        def iteration(i, z):
            s = tf.random.experimental.stateless_fold_in(seed, i)
            rho = tf.random.stateless_normal(tf.shape(z), s, dtype=tf.float64) / root0
            h0 = -log_pi(z) + 0.5 * tf.reduce_sum(rho**2, -1)
            step = lambda zz, rr: leapfrog(zz, rr, grad_u, 0.2)  # noqa: E731
            zk, rho = tempered_flow(z, rho, step, 7, root0)
            h = -log_pi(zk) + 0.5 * tf.reduce_sum(rho**2, -1)
            u = tf.random.stateless_uniform(tf.shape(h), s + 7, dtype=tf.float64)
            return i + 1, tf.where((tf.math.log(u) < h0 - h)[:, None], zk, z)

        return tf.while_loop(lambda i, z: i < 150, iteration, (0, z))[1]

    biased = one_way(z0).numpy().std(0)
    assert np.abs(biased / [0.5, 1.5] - 1).max() > 0.2, biased
