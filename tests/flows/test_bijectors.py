"""Every bijector in float64: inverse(forward(x)) == x, log-det against the autodiff
Jacobian, MADE's autoregressive property, a 2-D density that integrates to 1."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfvae import flows

tfb, tfd = tfp.bijectors, tfp.distributions
D = 3


def _rng():
    return np.random.default_rng(0)


def _made64(context_size=0):
    made = flows.MADE(D, (16, 16), context_size=context_size, dtype="float64")
    rng = _rng()
    made.set_weights([rng.normal(size=w.shape) * 0.5 for w in made.get_weights()])
    return made


def _coupling_fn():
    rng = _rng()
    a, c = tf.constant(rng.normal(size=(D, D))), tf.constant(rng.normal(size=(D, D)))
    return lambda x: (tf.tanh(x @ a), 0.5 * tf.tanh(x @ c))


def _bijectors():
    rng = _rng()
    made, made_ctx = _made64(), _made64(context_size=2)
    ctx = tf.constant(rng.normal(size=(2,)))
    return {
        "planar": flows.Planar(rng.normal(size=D), rng.normal(size=D), 0.3),
        "planar_contracting": flows.Planar(-2.0 * np.ones(D), np.ones(D), -0.1),
        "radial": flows.Radial(rng.normal(size=D), 0.2, 0.7),
        "radial_contracting": flows.Radial(rng.normal(size=D), 1.0, -3.0),
        "nice": flows.NICE(np.array([1.0, 0.0, 0.0]), _coupling_fn()),
        "realnvp": flows.RealNVP(np.array([0.0, 1.0, 1.0]), _coupling_fn()),
        "batch_norm": flows.BatchNorm(
            rng.normal(size=D), rng.random(D) + 0.5, rng.normal(size=D) * 0.3, rng.normal(size=D)
        ),
        "maf": flows.MAF(made),
        "iaf": flows.IAF(made),
        "maf_context": tfb.MaskedAutoregressiveFlow(
            shift_and_log_scale_fn=lambda y: made_ctx(
                y, context=tf.broadcast_to(ctx, [*y.shape[:-1], 2])
            )
        ),
    }


BIJECTORS = list(_bijectors())


@pytest.mark.parametrize("name", BIJECTORS)
def test_inverse_of_forward_is_identity(name):
    bij = _bijectors()[name]
    x = tf.constant(_rng().normal(size=(64, D)) * 2.0)
    np.testing.assert_allclose(bij.inverse(bij.forward(x)).numpy(), x.numpy(), atol=1e-10)


@pytest.mark.parametrize("name", BIJECTORS)
def test_log_det_matches_the_autodiff_jacobian(name):
    bij = _bijectors()[name]
    x = tf.constant(_rng().normal(size=(16, D)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = bij.forward(x)
    jac = tape.batch_jacobian(y, x)
    _, logdet = np.linalg.slogdet(jac.numpy())
    np.testing.assert_allclose(
        bij.forward_log_det_jacobian(x, event_ndims=1).numpy(), logdet, atol=1e-10
    )
    np.testing.assert_allclose(
        bij.inverse_log_det_jacobian(y, event_ndims=1).numpy(), -logdet, atol=1e-9
    )


def test_made_is_autoregressive():
    made = _made64()
    x = tf.constant(_rng().normal(size=(8, D)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        shift, log_scale = made(x)
    for out in (shift, log_scale):
        jac = tape.batch_jacobian(out, x).numpy()  # [B, out_d, in_d]
        upper = np.triu(np.ones((D, D)))  # d_out <= d_in must be zero
        assert np.all(jac[:, upper.astype(bool)] == 0.0)
        assert np.any(jac[:, np.tril(np.ones((D, D)), -1).astype(bool)] != 0.0)


def test_made_masks_connect_every_output_to_all_earlier_inputs():
    masks = flows.made_masks(4, [8, 8])
    reach = masks[0] @ masks[1] @ masks[2]
    assert np.all((reach > 0) == (np.arange(4)[:, None] < np.arange(4)[None, :]))


@pytest.mark.parametrize("name", ["planar", "radial", "realnvp", "maf", "iaf"])
def test_2d_flow_density_integrates_to_one(name):
    rng = np.random.default_rng(1)
    if name == "planar":
        bij = flows.Planar(rng.normal(size=2), rng.normal(size=2), 0.2)
    elif name == "radial":
        bij = flows.Radial(rng.normal(size=2) * 0.5, 0.5, 1.0)
    elif name == "realnvp":
        a, c = tf.constant(rng.normal(size=(2, 2))), tf.constant(rng.normal(size=(2, 2)))
        bij = flows.Coupling(np.array([1.0, 0.0]), lambda x: (tf.tanh(x @ a), 0.5 * tf.tanh(x @ c)))
    else:
        made = flows.MADE(2, (8,), dtype="float64")
        made.set_weights([rng.normal(size=w.shape) * 0.3 for w in made.get_weights()])
        bij = tfb.MaskedAutoregressiveFlow(shift_and_log_scale_fn=made)
        bij = tfb.Invert(bij) if name == "iaf" else bij
    base = tfd.MultivariateNormalDiag(
        loc=tf.zeros(2, tf.float64), scale_diag=tf.ones(2, tf.float64)
    )
    dist = tfd.TransformedDistribution(base, bij)
    grid = np.linspace(-12, 12, 601)
    xx, yy = np.meshgrid(grid, grid)
    points = tf.constant(np.stack([xx.ravel(), yy.ravel()], -1))
    mass = np.exp(dist.log_prob(points).numpy()).sum() * (grid[1] - grid[0]) ** 2
    assert abs(mass - 1.0) < 0.01, mass
