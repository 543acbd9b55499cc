"""Hierarchical VAEs (LadderVAE, NVAE; ``models/base/hierarchy.py``): the walk's densities
against closed forms in float64, the importance bound, per-group KL terms, temperature,
KL warm-up across save and resume, gradient clipping and skipping, training on real
Fashion-MNIST. The registry-wide contract (save/reload, export with the temperature,
2 replicas, conditioning, every rank) runs them as every other model."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.models.base.hierarchy import soft_clamp
from tfvae.models.ladder_vae import split_sizes

HIER = ["LadderVAE", "NVAE"]


def _model(name, shape=(8, 8, 1), **fields):
    keras.utils.set_random_seed(0)
    defaults = {"latent_dim": 5} if name == "LadderVAE" else {"latent_dim": 2, "channels": 8}
    fields = {"reconstruction_loss": "bce", **defaults, **fields}
    return tfvae.build_model(name, input_shape=shape, **fields)


def _train_a_little(model, x, epochs=2):
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    return model.fit(x, epochs=epochs, batch_size=32, verbose=0).history


def _normal_log_prob64(z, loc, log_scale):
    z, loc, log_scale = (np.asarray(a, np.float64) for a in (z, loc, log_scale))
    per = -0.5 * ((z - loc) / np.exp(log_scale)) ** 2 - log_scale - 0.5 * np.log(2 * np.pi)
    return per.reshape(len(per), -1).sum(-1)


def test_split_sizes_put_the_smallest_group_on_top():
    assert split_sizes(10, 3) == [3, 3, 4]
    assert split_sizes(16, 3) == [5, 5, 6]
    assert sum(split_sizes(7, 7)) == 7


@pytest.mark.parametrize("name", HIER)
def test_prior_log_prob_is_the_sum_of_each_groups_conditional_gaussian(name, digits):
    model = _model(name)
    _train_a_little(model, digits.x_train[:64], epochs=1)
    codes = model.sample_prior(6, seed=3)
    groups = model.split_codes(codes)
    # rebuild the prior parameters group by group by hand, and score in float64
    h = model.top_down_start(tf.constant(6))
    expected = np.zeros(6)
    for i, z in enumerate(groups):
        loc, log_scale = model.prior_params(i, h, False)
        expected += _normal_log_prob64(z, loc, soft_clamp(log_scale))
        h = model.absorb(i, h, z, False)
    np.testing.assert_allclose(model.prior_log_prob(codes), expected, rtol=1e-5, atol=1e-3)


def test_ladder_posterior_is_the_precision_weighted_product(digits):
    model = _model("LadderVAE")
    rng = np.random.default_rng(0)
    mu_e, ls_e, mu_p, ls_p = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(4))
    loc, log_scale = model.posterior_params(1, None, (mu_e, ls_e), (mu_p, ls_p), False)
    pe, pp = np.exp(-2.0 * ls_e.astype(np.float64)), np.exp(-2.0 * ls_p.astype(np.float64))
    np.testing.assert_allclose(np.exp(2 * np.asarray(log_scale, np.float64)), 1 / (pe + pp), 1e-5)
    np.testing.assert_allclose(loc, (mu_e * pe + mu_p * pp) / (pe + pp), rtol=1e-4, atol=1e-5)
    # the top group takes the encoder's estimate as it is
    top = model.posterior_params(0, None, (mu_e, ls_e), (mu_p, ls_p), False)
    np.testing.assert_array_equal(top[0], mu_e)


@pytest.mark.parametrize("name", HIER)
def test_analytic_group_kls_match_their_monte_carlo_estimate(name, digits):
    model = _model(name)
    _train_a_little(model, digits.x_train[:64], epochs=1)
    x = tf.constant(np.repeat(digits.x_train[:2], 4000, axis=0))
    walked = model.walk(tf.shape(x)[0], model.evidence_of(x), seed=tf.constant([1, 2], tf.int32))
    # the sum of the per-group analytic KLs (each given the sampled groups above) is the
    # expectation of log q(z|x) - log p(z) over the whole hierarchy
    analytic = tf.add_n(walked["kl"]).numpy().reshape(2, -1).mean(1)
    mc = (tf.add_n(walked["log_q"]) - tf.add_n(walked["log_p"])).numpy().reshape(2, -1)
    stderr = mc.std(1) / np.sqrt(mc.shape[1])
    assert np.all(np.abs(analytic - mc.mean(1)) < 5 * stderr + 1e-3), (analytic, mc.mean(1))


@pytest.mark.parametrize("name", HIER)
def test_importance_bound_tightens_with_k_and_terms_are_per_group(name, digits):
    model = _model(name)
    history = _train_a_little(model, digits.x_train[:256], epochs=3)
    groups = len(model.group_shapes)
    assert {f"kl_{i}" for i in range(groups)} <= set(history)
    total = sum(np.asarray(history[f"kl_{i}"]) for i in range(groups))
    np.testing.assert_allclose(total, history["kl"], rtol=1e-4)
    assert history["loss"][-1] < history["loss"][0]
    x = digits.x_test[:40]
    one = model.nll(x, n_samples=1, seed=0).nll
    many = model.nll(x, n_samples=200, seed=0).nll
    assert many < one  # the K-sample bound is tighter than the ELBO
    assert np.isfinite(many)


@pytest.mark.parametrize("name", HIER)
def test_temperature_scales_the_prior_draw(name):
    model = _model(name)
    warm = model.sample_prior(4000, seed=0, temperature=1.0)
    cold = model.sample_prior(4000, seed=0, temperature=0.5)
    # untrained heads: every group's prior is N(0, I) (NVAE's start at zero; the Ladder's
    # top group), so the top group's spread is the temperature
    top = model.group_sizes[0]
    np.testing.assert_allclose(np.std(warm[:, :top]), 1.0, atol=0.05)
    np.testing.assert_allclose(np.std(cold[:, :top]), 0.5, atol=0.03)
    frozen = model.sample_prior(3, seed=1, temperature=0.0)
    assert max_abs_diff(frozen, model.sample_prior(3, seed=2, temperature=0.0)) == 0.0
    per_group = [1.0] + [0.0] * (len(model.group_shapes) - 1)
    mixed = model.sample_prior(2000, seed=0, temperature=per_group)
    assert np.std(mixed[:, :top]) > 0.9
    with pytest.raises(tfvae.ConfigError, match="one per group"):
        model.sample_prior(2, temperature=[1.0, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert tuple(model.generate(3, temperature=0.7).shape) == (3, 8, 8, 1)


@pytest.mark.parametrize("name", HIER)
def test_codes_decode_as_the_walk_that_made_them(name, digits):
    model = _model(name)
    _train_a_little(model, digits.x_train[:64], epochs=1)
    x = tf.constant(digits.x_test[:5])
    codes = model.encode(x)
    walked = model.walk(tf.constant(5), model.evidence_of(x), mode="mean")
    np.testing.assert_allclose(codes, walked["codes"], atol=1e-6)
    direct = model.likelihood.mean(model.output_params(walked))
    np.testing.assert_allclose(model.decode(codes), direct, atol=1e-5)
    mean, log_cov = model.posterior_moments(x)
    assert mean.shape == log_cov.shape == (5, *model.code_shape)


def test_kl_warmup_grows_and_resumes_from_the_saved_step(digits, tmp_path):
    model = _model("LadderVAE", kl_warmup_steps=8)
    x = digits.x_train[:64]  # 2 steps an epoch
    history = _train_a_little(model, x, epochs=2)
    np.testing.assert_allclose(history["kl_weight"], [1.5 / 8, 3.5 / 8], rtol=1e-5)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert float(again.training_step.numpy()) == 4.0
    np.testing.assert_allclose(float(again.kl_weight()), 5 / 8, rtol=1e-6)
    again.compile(optimizer=keras.optimizers.Adam(3e-3))
    later = again.fit(x, epochs=3, batch_size=32, verbose=0).history
    np.testing.assert_allclose(later["kl_weight"], [5.5 / 8, 7.5 / 8, 1.0], rtol=1e-5)


def test_kl_balancing_weights_groups_by_kl_per_variable_during_warmup():
    model = _model("LadderVAE", latent_dim=6, num_groups=2, kl_warmup_steps=10)
    kls = [tf.constant([3.0, 3.0]), tf.constant([1.0, 1.0])]
    share = np.array([3.01 / 1.0, 1.01 / 1.0])  # equal group sizes (3, 3)
    coeff = share / share.mean()
    np.testing.assert_allclose(
        model.balanced_kl(kls, tf.constant(0.5)), (coeff * [3.0, 1.0]).sum(), rtol=1e-5
    )
    np.testing.assert_allclose(model.balanced_kl(kls, tf.constant(1.0)), 4.0, rtol=1e-6)


def test_gradient_skipping_leaves_weights_and_optimizer_untouched(digits):
    model = _model("NVAE", gradient_skip_norm=1e-6)
    before = [w.numpy().copy() for w in model.trainable_weights]
    history = _train_a_little(model, digits.x_train[:64], epochs=1)
    assert history["skipped"] == [1.0]
    assert int(model.optimizer.iterations.numpy()) == 0
    assert all(
        np.array_equal(a, b.numpy()) for a, b in zip(before, model.trainable_weights, strict=True)
    )


def test_gradient_clipping_bounds_the_update(digits):
    model = _model("LadderVAE", gradient_clip_norm=1e-3)
    before = [w.numpy().copy() for w in model.trainable_weights]
    model.compile(optimizer=keras.optimizers.SGD(1.0))
    logs = model.train_on_batch(digits.x_train[:32], return_dict=True)
    assert logs["skipped"] == 0.0
    step = np.sqrt(
        sum(
            np.sum((a - b.numpy()) ** 2)
            for a, b in zip(before, model.trainable_weights, strict=True)
        )
    )
    np.testing.assert_allclose(step, 1e-3, rtol=1e-3)  # SGD(1): the update is the clipped gradient


def test_a_misshapen_encoder_is_named():
    enc, dec = tfvae.nn.benchmark_networks("mlp", (8, 8, 1), 4)
    with pytest.raises(ValueError, match=r"'embedding' \[B, 5\]"):
        tfvae.build_model(
            "LadderVAE", input_shape=(8, 8, 1), latent_dim=5, encoder=enc, decoder=dec
        )
    with pytest.raises(tfvae.ConfigError, match="num_groups"):
        tfvae.build_model("LadderVAE", input_shape=(8, 8, 1), latent_dim=2, num_groups=3)
    with pytest.raises(TypeError, match="prior_log_prob"):
        _model("NVAE").prior()


@pytest.mark.parametrize("name", HIER)
def test_trains_on_real_fashion_mnist_with_its_defaults_reloads_and_resumes(
    name, fashion, tmp_path
):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(name, input_shape=(28, 28, 1), reconstruction_loss="bce")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = (fashion.x_train[:512] > 0.5).astype(np.float32)
    history = model.fit(x, epochs=3, batch_size=64, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert history["loss"][-1] < 0.8 * history["loss"][0], history["loss"]
    active = [np.mean(history[f"kl_{i}"][-1:]) for i in range(len(model.group_shapes))]
    assert max(active) > 0.5, active  # the hierarchy is used, not collapsed
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) == 0.0
    assert (
        max_abs_diff(loaded.generate(4, temperature=0.8), model.generate(4, temperature=0.8)) == 0
    )
    more = [m.fit(x, batch_size=64, epochs=1, verbose=0).history for m in (model, loaded)]
    assert more[0]["loss"] == pytest.approx(more[1]["loss"], rel=1e-6)


def test_nvae_trains_under_mixed_bfloat16_with_float32_top_down_layers(digits):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = _model("NVAE")
        model.compile(optimizer="adam")
        logs = model.train_on_batch(digits.x_train[:32], return_dict=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert model.encoder.compute_dtype == "bfloat16"
    assert model.prior_heads[0].compute_dtype == "float32"


def test_nvae_on_8_bit_images_reports_bits_per_dim_and_shares_through_a_folder(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = (np.round(rng.random((64, 8, 8, 1)) * 255) / 255).astype(np.float32)
    model = _model("NVAE", reconstruction_loss="discretized_logistic")
    model.compile(optimizer="adam")
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    est = model.nll(x[:8], n_samples=20)
    assert est.bits_per_dim is not None
    np.testing.assert_allclose(est.bits_per_dim, est.nll / (64 * np.log(2)), rtol=1e-6)
    model.save_pretrained(tmp_path / "shared")
    again = tfvae.AutoModel.load(tmp_path / "shared")
    assert max_abs_diff(again.generate(3, temperature=0.6), model.generate(3, temperature=0.6)) == 0


@pytest.mark.parametrize("shape", [(28, 28, 1), (37, 3), (9, 10, 11, 1)])
def test_nvae_preprocessing_moves_every_latent_grid_one_halving_down(shape, tmp_path):
    base = _model("NVAE", shape)
    lower = _model("NVAE", shape, num_preprocess=1)
    halved = tfvae.nn.hierarchical.scale_grids(shape[:-1], 3)
    assert [g[:-1] for g in base.group_shapes] == [halved[2]] * 2 + [halved[1]] * 2
    assert [g[:-1] for g in lower.group_shapes] == [halved[3]] * 2 + [halved[2]] * 2
    assert lower.code_shape[0] == sum(int(np.prod(g)) for g in lower.group_shapes)
    x = np.random.default_rng(0).random((3, *shape)).astype(np.float32)
    assert lower.reconstruct(x).shape == x.shape
    assert lower.generate(2, seed=0, temperature=0.7).shape == (2, *shape)
    lower.save(tmp_path / "m.keras")
    again = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert again.config.num_preprocess == 1
    assert max_abs_diff(again.reconstruct(x), lower.reconstruct(x)) == 0.0
    with pytest.raises(tfvae.ConfigError, match="num_preprocess"):
        _model("NVAE", shape, num_preprocess=-1)
