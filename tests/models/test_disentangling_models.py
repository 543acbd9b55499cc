"""BetaTCVAE and FactorVAE: the estimators against float64 references; the disentanglement and
MMD families trained on the shapes dataset, saved, reloaded and resumed with their extra state
(dataset size, discriminator and its optimizer, capacity step)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

import tfvae
from tests.conftest import max_abs_diff
from tfvae.models.beta_tc_vae import stratified_log_weights
from tfvae.models.factor_vae import permute_dims


@pytest.fixture(scope="module")
def shapes():
    (x, f), _ = tfvae.data.load_shapes(num_train=512, num_test=64, seed=1)
    return x.astype("float32") / 255.0, f


def _nets(latent, variational=True):
    return tfvae.nn.benchmark_networks(
        "conv", (64, 64, 1), latent, width=8, output_activation="linear", variational=variational
    )


def _build(name, latent=4, **fields):
    keras.utils.set_random_seed(0)
    enc, dec = _nets(latent, tfvae.get_model_class(name).variational)
    return tfvae.build_model(
        name,
        input_shape=(64, 64, 1),
        latent_dim=latent,
        reconstruction_loss="bce",
        encoder=enc,
        decoder=dec,
        **fields,
    )


def _log_normal(z, mu, log_var):
    return -0.5 * (np.log(2 * np.pi) + log_var + (z - mu) ** 2 * np.exp(-log_var))


def _reference_terms(z, mu, log_var, n, mss):
    """Chen et al.'s estimators written with loops, float64."""
    b, d = z.shape
    m = b - 1
    out = {"mutual_info": [], "total_correlation": [], "dimension_wise_kl": []}
    for i in range(b):
        if mss:
            w = np.full(b, 1.0 / m)
            w[i] = 1.0 / n
            w[(i + 1) % b] = (n - m) / (n * m)
            log_w = np.log(w)
        else:
            log_w = np.full(b, -np.log(b * n))
        pair = np.array([_log_normal(z[i], mu[j], log_var[j]) for j in range(b)])  # [B, D]
        log_qz = logsumexp(log_w + pair.sum(1))
        log_prod = sum(logsumexp(log_w + pair[:, k]) for k in range(d))
        log_qzx = _log_normal(z[i], mu[i], log_var[i]).sum()
        log_pz = _log_normal(z[i], 0.0, 0.0).sum()
        out["mutual_info"].append(log_qzx - log_qz)
        out["total_correlation"].append(log_qz - log_prod)
        out["dimension_wise_kl"].append(log_prod - log_pz)
    return {k: np.array(v) for k, v in out.items()}


def test_stratified_weights_rows_sum_to_one():
    w = np.exp(stratified_log_weights(6, 100).numpy().astype(np.float64))
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    assert w[5, 5] == pytest.approx(1 / 100) and w[5, 0] == pytest.approx(95 / 500)
    # Chen et al.'s (and Pythae's) strided assignment, as their docstring says it differs:
    b, n = 6, 100
    m = b - 1
    chen = np.full((b, b), 1 / m)
    chen.reshape(-1)[:: m + 1] = 1 / n  # stride B: column 0, not the diagonal
    chen.reshape(-1)[1 :: m + 1] = (n - m) / (n * m)
    chen[m - 1, 0] = (n - m) / (n * m)
    assert np.allclose(chen[:, 0][[0, 1, 2, 3, 5]], 1 / n) and chen[3, 3] == pytest.approx(1 / m)
    sums = chen.sum(axis=1)
    assert np.allclose(np.delete(sums, m - 1), 1.0) and not np.isclose(sums[m - 1], 1.0)


@pytest.mark.parametrize("mss", [True, False])
def test_beta_tc_decomposition_matches_float64_reference(mss):
    model = tfvae.build_model(
        "BetaTCVAE", input_shape=(4,), latent_dim=3, use_mss=mss, dataset_size=50
    )
    rng = np.random.default_rng(0)
    z, mu = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    log_var = rng.normal(scale=0.3, size=(7, 3))
    got = model.decomposed_kl(*(tf.constant(a, tf.float32) for a in (z, mu, log_var)))
    want = _reference_terms(z, mu, log_var, 50, mss)
    for name, value in want.items():
        np.testing.assert_allclose(got[name].numpy(), value, rtol=1e-4, atol=1e-4)
    total = sum(want.values())
    one_sample_kl = (_log_normal(z, mu, log_var) - _log_normal(z, 0.0, 0.0)).sum(1)
    np.testing.assert_allclose(total, one_sample_kl, rtol=1e-9)


def test_permute_dims_shuffles_each_column_independently():
    z = tf.reshape(tf.range(40, dtype=tf.float32), [10, 4])
    p = permute_dims(z, tf.constant([1, 2])).numpy()
    np.testing.assert_array_equal(np.sort(p, axis=0), z.numpy())  # each column a permutation
    assert not np.array_equal(p, z.numpy())
    rows = {tuple(r) for r in z.numpy()}
    assert sum(tuple(r) in rows for r in p) < 10, "rows are mixed across examples"
    np.testing.assert_array_equal(permute_dims(z, tf.constant([1, 2])).numpy(), p)  # seeded


@pytest.mark.parametrize(
    "name,fields",
    [
        ("BetaTCVAE", {"beta": 4.0}),
        ("FactorVAE", {"gamma": 5.0, "discriminator_hidden_units": 64, "discriminator_layers": 2}),
        ("DisentangledBetaVAE", {"beta": 5.0, "C": 10.0, "warmup_steps": 20}),
        ("InfoVAE_MMD", {"lbd": 10.0}),
        ("WAE_MMD", {}),
    ],
)
def test_trains_on_shapes_saves_reloads_resumes(name, fields, shapes, tmp_path):
    x, _ = shapes
    model = _build(name, **fields)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    if name == "BetaTCVAE":
        model.prepare_for_data(len(x))
        assert float(model.dataset_size.numpy()) == 512.0
    history = model.fit(x, batch_size=64, epochs=3, verbose=0).history
    key = {"FactorVAE": "autoencoder_loss", "BetaTCVAE": "loss"}.get(name, "reconstruction")
    assert history[key][-1] < history[key][0], history
    assert all(np.isfinite(v).all() for v in history.values())
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) == 0.0
    assert len(loaded.get_weights()) == len(model.get_weights())
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        assert max_abs_diff(a, b) == 0.0  # discriminator, dataset size, capacity step included
    if name == "DisentangledBetaVAE":
        assert float(loaded.training_step.numpy()) == 24.0 and float(loaded.capacity()) == 10.0
    # optimizer state, all groups, restored on load
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 24
    for term, opt in model.group_optimizers.items():
        for a, b in zip(opt.variables, loaded.group_optimizers[term].variables, strict=True):
            assert max_abs_diff(a, b) == 0.0
    # resume: one more epoch from the reloaded model equals one more on the original
    more = [m.fit(x, batch_size=64, epochs=1, verbose=0) for m in (model, loaded)]
    assert more[0].history["loss"] == pytest.approx(more[1].history["loss"], rel=1e-6)
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) < 1e-5


def test_factor_vae_discriminator_learns_only_from_its_loss(shapes):
    x, _ = shapes
    model = _build("FactorVAE", discriminator_hidden_units=32, discriminator_layers=1)
    model.compile(
        optimizer=keras.optimizers.Adam(0.0),
        optimizers={"discriminator_loss": keras.optimizers.Adam(1e-3)},
    )
    enc = [v.numpy() for v in model.encoder.trainable_variables]
    disc = [v.numpy() for v in model.discriminator.trainable_variables]
    model.fit(x[:128], batch_size=64, epochs=1, verbose=0)
    assert all(
        max_abs_diff(a, b.numpy()) == 0.0
        for a, b in zip(enc, model.encoder.trainable_variables, strict=True)
    )
    assert all(
        max_abs_diff(a, b.numpy()) > 0.0
        for a, b in zip(disc, model.discriminator.trainable_variables, strict=True)
    )
    with pytest.raises(ValueError, match="2 logits"):
        tfvae.build_model(
            "FactorVAE",
            input_shape=(4,),
            latent_dim=2,
            discriminator=tfvae.nn.MLPDiscriminator(2, 8, 1, num_outputs=3),
        )


def test_pipeline_sets_the_dataset_size(tmp_path):
    model = tfvae.build_model("BetaTCVAE", input_shape=(8, 8, 1), latent_dim=2)
    data = tfvae.data.load("digits", batch_size=64, seed=0)
    config = tfvae.TrainerConfig(
        output_dir=str(tmp_path), epochs=1, verbose=0, image_summaries=False
    )
    tfvae.TrainingPipeline(model, config)(data)
    assert float(model.dataset_size.numpy()) == len(data.x_train)
    fixed = tfvae.build_model("BetaTCVAE", input_shape=(8, 8, 1), latent_dim=2, dataset_size=10)
    fixed.prepare_for_data(999)
    assert float(fixed.dataset_size.numpy()) == 10.0
    with pytest.raises(tfvae.ConfigError, match="BetaTCVAEConfig.dataset_size"):
        tfvae.BetaTCVAEConfig(dataset_size=0)
