"""VQVAE, its quantizer and the PixelCNN prior: nearest codes, straight-through gradients, the
EMA step by hand, causal receptive fields, training on Fashion-MNIST, reload, sampling."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.nn.pixelcnn import MaskedConv2D, PixelCNN, causal_mask
from tfvae.nn.quantizer import VectorQuantizer


def test_quantizer_picks_the_nearest_code_and_passes_gradients_straight_through():
    rng = np.random.default_rng(0)
    vq = VectorQuantizer(16, 3)
    vq.codebook.assign(rng.normal(size=(16, 3)).astype("float32"))
    z = tf.constant(rng.normal(size=(4, 5, 5, 3)), tf.float32)
    brute = np.argmin(((z.numpy()[..., None, :] - vq.codebook.numpy()) ** 2).sum(-1), axis=-1)
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = vq(z, training=True)
        total = tf.reduce_sum(out["quantized"] * 2.0)
    np.testing.assert_array_equal(out["indices"].numpy(), brute)
    assert max_abs_diff(out["quantized"], vq.codebook.numpy()[brute]) < 1e-6
    assert max_abs_diff(tape.gradient(total, z), 2.0) == 0.0  # identity backward
    np.testing.assert_allclose(
        out["commitment"],
        ((vq.codebook.numpy()[brute] - z.numpy()) ** 2).sum((1, 2, 3)),
        rtol=1e-5,
    )
    usage = np.bincount(brute.ravel(), minlength=16) / brute.size
    nz = usage[usage > 0]
    assert float(out["perplexity"]) == pytest.approx(np.exp(-(nz * np.log(nz)).sum()), rel=1e-4)
    assert float(out["dead_codes"]) == pytest.approx(np.mean(usage == 0))


def test_ema_update_matches_a_hand_computed_step():
    rng = np.random.default_rng(1)
    vq = VectorQuantizer(4, 2, use_ema=True, decay=0.9, epsilon=1e-5)
    codebook = rng.normal(size=(4, 2)).astype("float32")
    vq.codebook.assign(codebook)
    vq.ema_embed.assign(codebook)
    vq.cluster_size.assign(np.ones(4, "float32"))
    z = rng.normal(size=(10, 2)).astype("float32")
    idx = np.argmin(((z[:, None] - codebook) ** 2).sum(-1), axis=1)
    one_hot = np.eye(4)[idx]
    size = 0.9 * 1.0 + 0.1 * one_hot.sum(0)
    ema = 0.9 * codebook + 0.1 * one_hot.T @ z
    n = size.sum()
    size = (size + 1e-5) / (n + 4 * 1e-5) * n
    vq(z, training=True)
    np.testing.assert_allclose(vq.cluster_size.numpy(), size, rtol=1e-5)
    np.testing.assert_allclose(vq.ema_embed.numpy(), ema, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vq.codebook.numpy(), ema / size[:, None], rtol=1e-5, atol=1e-6)
    before = vq.codebook.numpy()
    vq(z, training=False)  # inference leaves the codebook alone
    assert max_abs_diff(vq.codebook, before) == 0.0
    assert not vq.codebook.trainable


def test_masked_receptive_field_excludes_current_and_future_positions():
    assert causal_mask(3, "A").tolist() == [[1, 1, 1], [1, 0, 0], [0, 0, 0]]
    assert causal_mask(3, "B")[1, 1] == 1.0
    net = PixelCNN(num_classes=5, hidden=8, num_layers=2, first_kernel=5)
    net(tf.zeros((1, 6, 6), tf.int32))
    e = tf.random.stateless_normal((1, 6, 6, 8), seed=[0, 1])
    for i, j in [(0, 0), (2, 3), (5, 5)]:
        with tf.GradientTape() as tape:
            tape.watch(e)
            out = tf.reduce_sum(net.from_embeddings(e)[0, i, j])
        seen = np.abs(tape.gradient(out, e).numpy()[0]).sum(-1) > 0  # [6, 6]
        order = np.arange(36).reshape(6, 6)
        assert not seen[order >= i * 6 + j].any(), (i, j)  # the current and later positions
        if i * 6 + j > 0:
            assert seen[order < i * 6 + j].any()
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2D(4, 4)


def _vqvae(use_ema=False):
    keras.utils.set_random_seed(0)
    return tfvae.build_model(
        "VQVAE",
        input_shape=(28, 28, 1),
        latent_dim=8,
        num_embeddings=32,
        use_ema=use_ema,
        encoder=tfvae.nn.SpatialConvEncoder(8, filters=(16, 32)),
        decoder=tfvae.nn.SpatialConvDecoder((28, 28, 1), filters=(32, 16)),
    )


@pytest.mark.parametrize("use_ema", [False, True])
def test_trains_on_fashion_mnist_reloads_resumes_and_samples(use_ema, fashion, tmp_path):
    model = _vqvae(use_ema)
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    x = fashion.x_train[:640]
    history = model.fit(x, batch_size=64, epochs=3, verbose=0).history
    assert history["reconstruction"][-1] < 0.6 * history["reconstruction"][0]
    assert history["perplexity"][-1] > 4.0, "codebook collapsed"
    assert model.code_shape == (7, 7, 8) and model.encode_indices(x[:2]).shape == (2, 7, 7)
    model.save(tmp_path / "vq.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "vq.keras")
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) == 0.0
    assert max_abs_diff(loaded.quantizer.codebook, model.quantizer.codebook) == 0.0
    more = [m.fit(x, batch_size=64, epochs=1, verbose=0).history for m in (model, loaded)]
    assert more[0]["loss"] == pytest.approx(more[1]["loss"], rel=1e-5)
    if use_ema:
        return
    sampler = tfvae.build_sampler("pixelcnn", model, epochs=2, hidden=16, num_layers=2)
    sampler.fit(x)
    assert sampler.history.history["loss"][-1] < sampler.history.history["loss"][0]
    images = sampler.sample(4, seed=0)
    assert images.shape == (4, 28, 28, 1) and np.isfinite(images).all()
    np.testing.assert_array_equal(sampler.sample_indices(3, seed=5), sampler.sample_indices(3, 5))
    real = sampler.log_prob(model.encode_indices(x[:16]).numpy()).mean()
    noise = sampler.log_prob(np.random.default_rng(0).integers(0, 32, (16, 7, 7))).mean()
    assert real > noise
    folder = model.save_pretrained(tmp_path / "shared", sampler=sampler)
    restored = tfvae.hub.load_sampler(folder, loaded)
    np.testing.assert_array_equal(restored.sample_indices(3, seed=5), sampler.sample_indices(3, 5))
    grid = model.encode_indices(x[:4]).numpy()
    np.testing.assert_allclose(restored.log_prob(grid), sampler.log_prob(grid), rtol=1e-6)


def test_flat_codes_and_errors():
    model = tfvae.build_model("VQVAE", input_shape=(8, 8, 1), latent_dim=3, num_embeddings=8)
    assert model.code_shape == (3,) and model.generate(5).shape == (5, 8, 8, 1)
    sampler = tfvae.build_sampler(
        "pixelcnn", model, epochs=1, hidden=8, num_layers=1, first_kernel=1
    )
    sampler.fit(np.random.default_rng(0).random((32, 8, 8, 1)).astype("float32"))
    assert sampler.sample(3).shape == (3, 8, 8, 1)
    with pytest.raises(TypeError, match="vector-quantized"):
        tfvae.build_sampler("pixelcnn", tfvae.build_model("vae", input_shape=(4,), latent_dim=2))
    with pytest.raises(ValueError, match="latent_dim is the code vector size"):
        tfvae.build_model(
            "VQVAE", input_shape=(28, 28, 1), latent_dim=4, encoder=tfvae.nn.SpatialConvEncoder(8)
        )
    with pytest.raises(tfvae.ConfigError, match="VQVAEConfig.decay"):
        tfvae.VQVAEConfig(decay=1.0)


def test_hierarchical_quantizer_is_greedy_residual_at_inference_and_differentiable_in_training():
    from tfvae.nn.quantizer import HierarchicalResidualQuantizer

    keras.utils.set_random_seed(0)
    hrq = HierarchicalResidualQuantizer(8, 3, num_levels=3, depth_drop_rate=0.0)
    radii = [float(tf.reduce_mean(tf.norm(c, axis=1))) for c in hrq.codebooks]
    assert radii == pytest.approx([1.0, 0.5, 0.25], rel=1e-5)
    z = tf.constant(np.random.default_rng(0).normal(size=(6, 3)), tf.float32)
    out = hrq(z, training=False)
    resid, total = z.numpy(), np.zeros((6, 3))
    for level, codebook in enumerate(hrq.codebooks):
        c = codebook.numpy()
        idx = np.argmin(((resid[:, None] - c) ** 2).sum(-1), axis=1)
        np.testing.assert_array_equal(out["indices"].numpy()[:, level], idx)
        total += c[idx]
        resid = z.numpy() - total
    assert max_abs_diff(out["quantized"], total) < 1e-5
    assert max_abs_diff(hrq.lookup(out["indices"]), total) < 1e-5
    with tf.GradientTape() as tape:
        tape.watch(z)
        trained = hrq(z, training=True, temperatures=[1.0, 1.0, 1.0])
        loss = tf.reduce_sum(trained["quantized"] ** 2)
    assert float(tf.reduce_max(tf.abs(tape.gradient(loss, z)))) > 0  # through the Gumbel-softmax


def test_hrqvae_trains_reloads_resumes(fashion, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "HRQVAE",
        input_shape=(28, 28, 1),
        latent_dim=8,
        num_embeddings=16,
        num_levels=3,
        encoder=tfvae.nn.SpatialConvEncoder(8, filters=(16, 32)),
        decoder=tfvae.nn.SpatialConvDecoder((28, 28, 1), filters=(32, 16)),
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    x = fashion.x_train[:640]
    history = model.fit(x, batch_size=64, epochs=3, verbose=0).history
    assert history["reconstruction"][-1] < 0.6 * history["reconstruction"][0]
    assert history["perplexity"][-1] > 2.0 and float(model.training_step) == 30.0
    assert model.encode_indices(x[:2]).shape == (2, 7, 7, 3)
    assert float(model.temperatures()[0]) < 1.0
    model.save(tmp_path / "hrq.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "hrq.keras")
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) == 0.0
    assert float(loaded.training_step) == 30.0
    more = [m.fit(x, batch_size=64, epochs=1, verbose=0).history for m in (model, loaded)]
    assert more[0]["loss"] == pytest.approx(more[1]["loss"], rel=1e-5)
    assert model.generate(2).shape == (2, 28, 28, 1)
    with pytest.raises(TypeError, match="one codebook index per code position"):
        tfvae.build_sampler("pixelcnn", model)


def test_mixed_bfloat16_trains_the_networks_in_bfloat16_and_the_quantizer_in_float32():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        keras.utils.set_random_seed(0)
        model = tfvae.build_model("vqvae", input_shape=(8, 8, 1), latent_dim=4)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert model.encoder.layers[-1].compute_dtype == "bfloat16"
    assert model.quantizer.compute_dtype == "float32"
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = np.random.default_rng(0).random((32, 8, 8, 1)).astype("float32")
    history = model.fit(x, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


@pytest.mark.parametrize(
    "fields",
    [{}, {"use_ema": False}, {"quantizer": "fsq", "latent_dim": 4}],
    ids=["defaults (EMA)", "gradient codebook", "FSQ"],
)
def test_vqvae_defaults_train_without_collapse(fields, fashion):
    """Issue 24's repro: ``build_model("vqvae", (28, 28, 1), latent_dim=8)`` + Adam(1e-3), 512
    real images, 4 epochs, batch 64. Pythae's defaults (gradient codebook started in
    [-1/K, 1/K], no re-seeding) took the loss from 72 to 1032 with a perplexity of 1; the
    defaults now start the codebook from the data, re-seed dead codes and use EMA."""
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("vqvae", input_shape=(28, 28, 1), **{"latent_dim": 8, **fields})
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.x_train[:512], batch_size=64, epochs=4, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert history["loss"][-1] < 0.7 * history["loss"][0], history["loss"]
    if "quantizer" not in fields:  # codebook usage above a floor (collapse: perplexity ~1)
        assert history["perplexity"][-1] > 8.0, history["perplexity"]


def test_data_initialisation_and_dead_code_reseeding():
    rng = np.random.default_rng(0)
    z = tf.constant(rng.normal(5.0, 1.0, size=(64, 3)).astype("float32"))  # far from [-1/K, 1/K]
    vq = VectorQuantizer(16, 3, init_from_data=True, dead_code_threshold=0.5)
    out = vq(z, training=True, seed=tf.constant([1, 2]))
    codebook = vq.codebook.numpy()
    # every code is now one of the batch's vectors, drawn by the stateless seed
    assert all(np.min(np.abs(z.numpy() - c).sum(1)) < 1e-6 for c in codebook)
    assert float(out["dead_codes"]) < 0.6
    assert float(vq.initialized) == 1.0
    # a code nobody uses decays below the threshold and is moved onto the batch
    far = np.full((1, 3), -100.0, np.float32)
    vq.codebook.assign(np.concatenate([far, codebook[1:]]))
    vq.usage.assign(np.full(16, 0.01, np.float32))
    vq(z, training=True, seed=tf.constant([3, 4]))
    assert np.min(np.abs(z.numpy() - vq.codebook.numpy()[0]).sum(1)) < 1e-6
    with pytest.raises(ValueError, match="stateless seed"):
        vq(z, training=True)


def test_finite_scalar_quantizer_grid_indices_and_straight_through():
    from tfvae.nn import FiniteScalarQuantizer

    fsq = FiniteScalarQuantizer([8, 5, 3])
    assert fsq.codebook_size == 120
    z = tf.constant(np.random.default_rng(0).normal(0, 2, size=(200, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = fsq(z)
        loss = tf.reduce_sum(out["quantized"])
    q = out["quantized"].numpy()
    for d, levels in enumerate([8, 5, 3]):  # each coordinate takes at most L_d values in [-1, 1]
        assert len(np.unique(q[:, d])) <= levels and np.abs(q[:, d]).max() <= 1.0
    np.testing.assert_allclose(fsq.lookup(out["indices"]), q, atol=1e-6)  # indices round-trip
    assert int(tf.reduce_max(out["indices"])) < 120 and int(tf.reduce_min(out["indices"])) >= 0
    grad = tape.gradient(loss, z).numpy()
    assert np.all(grad > 0)  # straight through the rounding (tanh's slope)
    with pytest.raises(ValueError, match="levels must be integers >= 2"):
        FiniteScalarQuantizer([8, 1])
    with pytest.raises(tfvae.ConfigError, match="len\\(fsq_levels\\) = 4"):
        tfvae.VQVAEConfig(input_shape=(28, 28, 1), latent_dim=8, quantizer="fsq")


def test_pixelcnn_prior_on_fsq_indices(fashion):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "VQVAE", input_shape=(28, 28, 1), latent_dim=3, quantizer="fsq", fsq_levels=(5, 4, 3)
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = fashion.x_train[:256]
    model.fit(x, batch_size=64, epochs=1, verbose=0)
    sampler = tfvae.build_sampler("pixelcnn", model, epochs=2, hidden=16, num_layers=2).fit(x)
    assert sampler.history.history["loss"][-1] < sampler.history.history["loss"][0]
    indices = sampler.sample_indices(3, seed=1)
    assert indices.max() < 60 and indices.shape[0] == 3
    assert np.isfinite(sampler.sample(3, seed=1)).all()
