"""RAE_L2, RAE_GP, Adversarial_AE, VAEGAN and MSSSIM_VAE: penalties against closed forms,
MS-SSIM against TensorFlow's, VAEGAN's skipped steps, training on Fashion-MNIST,
save/reload/resume with every optimizer, ex-post sampling."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.models.msssim_vae import ms_ssim, msssim_loss, msssim_settings
from tfvae.models.rae_gp import decoder_gradient_penalty


def test_gradient_penalty_of_a_linear_decoder_is_the_closed_form():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(3, 12)).astype("float32")  # z [B, 3] -> x [B, 12]

    def decoder(z, training=False):
        return {"reconstruction": tf.reshape(tf.matmul(z, w) + 0.5, [-1, 3, 4, 1])}

    z = tf.constant(rng.normal(size=(5, 3)), tf.float32)
    _, penalty = decoder_gradient_penalty(decoder, z)
    # grad_z sum_j (W^T z)_j = W 1 for every example
    assert float(penalty) == pytest.approx(float(np.sum(w.sum(axis=1) ** 2)), rel=1e-5)


def test_gradient_penalty_is_differentiable_for_the_training_step():
    model = tfvae.build_model("RAE_GP", input_shape=(8, 8, 1), latent_dim=2, reg_weight=1.0)
    x = tf.random.stateless_uniform((4, 8, 8, 1), seed=[0, 1])
    with tf.GradientTape() as tape:
        terms = model.compute_loss_terms(x, training=True)
    grads = tape.gradient(terms["decoder_penalty"], model.decoder.trainable_variables)
    assert any(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads if g is not None)


def test_rae_l2_decays_the_decoder_only():
    model = tfvae.build_model(
        "RAE_L2", input_shape=(8, 8, 1), latent_dim=2, reg_weight=0.1, embedding_weight=0.0
    )
    x = tf.zeros((2, 8, 8, 1))
    expected = 0.5 * sum(float(tf.reduce_sum(v**2)) for v in model.decoder.trainable_variables)
    with tf.GradientTape() as tape:
        penalty = model.compute_loss_terms(x)["decoder_penalty"]
    assert float(penalty) == pytest.approx(expected, rel=1e-5)
    grads = tape.gradient(penalty, model.decoder.trainable_variables + model.encoder.weights)
    n_dec = len(model.decoder.trainable_variables)
    for g, v in zip(grads[:n_dec], model.decoder.trainable_variables, strict=True):
        assert max_abs_diff(g, v) < 1e-6  # d/dtheta 0.5 ||theta||^2 = theta
    assert all(g is None for g in grads[n_dec:])


def test_ms_ssim_equals_tensorflows_and_fits_every_image_size():
    rng = np.random.default_rng(0)
    for shape in [(3, 32, 32, 1), (2, 64, 64, 3), (2, 28, 28, 1)]:
        x = rng.random(shape).astype("float32")
        y = np.clip(x + rng.normal(scale=0.1, size=shape), 0, 1).astype("float32")
        size, weights = msssim_settings(shape[1], shape[2])
        ref = tf.image.ssim_multiscale(x, y, 1.0, power_factors=weights, filter_size=size)
        assert max_abs_diff(ms_ssim(x, y, normalize=False), ref) < 1e-5
        assert max_abs_diff(msssim_loss(x, x), 0.0) < 1e-6
    assert msssim_settings(28, 28) == (11, pytest.approx((0.0448 / 0.3304, 0.2856 / 0.3304)))
    assert msssim_settings(64, 64)[1] == pytest.approx(
        (0.0448, 0.2856, 0.3001) / np.float64(0.6305)
    )
    assert msssim_settings(8, 8) == (7, (1.0,))
    assert msssim_settings(64, 64, 8) == msssim_settings(8, 8)  # the smallest side sets it
    with pytest.raises(ValueError, match="of rank 1: its MS-SSIM compares windows along spatial"):
        tfvae.build_model("MSSSIM_VAE", input_shape=(10,), latent_dim=2)
    with pytest.raises(ValueError, match="at least 3 steps/pixels/voxels"):
        tfvae.build_model("MSSSIM_VAE", input_shape=(16, 2, 1), latent_dim=2).build(None)


def _ms_ssim_float64(x, y):
    """Wang et al.'s MS-SSIM in numpy float64 for [B, *spatial, C] of any spatial rank: the
    outer-product Gaussian window applied as a full N-d VALID correlation (no separability),
    2x mean pooling, the weights of msssim_settings, averaged over channels."""
    size, weights = msssim_settings(*x.shape[1:-1])
    g = np.exp(-((np.arange(size) - (size - 1) / 2) ** 2) / (2 * 1.5**2))
    g /= g.sum()
    window = g
    for _ in range(x.ndim - 3):
        window = np.multiply.outer(window, g)

    def blur(t):
        view = np.lib.stride_tricks.sliding_window_view(t, window.shape, axis=range(1, t.ndim - 1))
        return np.einsum(
            view,
            [0, *range(1, t.ndim), *range(t.ndim, 2 * t.ndim - 2)],
            window,
            list(range(t.ndim, 2 * t.ndim - 2)),
            list(range(t.ndim)),
        )

    def pool(t):
        for axis in range(1, t.ndim - 1):
            n = t.shape[axis] // 2 * 2
            t = np.take(t, range(n), axis=axis)
            t = 0.5 * (
                np.take(t, range(0, n, 2), axis=axis) + np.take(t, range(1, n, 2), axis=axis)
            )
        return t

    x, y = x.astype(np.float64), y.astype(np.float64)
    out = np.ones((x.shape[0], x.shape[-1]))
    for level, w in enumerate(weights):
        mx, my = blur(x), blur(y)
        cs = (2 * (blur(x * y) - mx * my) + 0.03**2) / (
            blur(x * x + y * y) - mx**2 - my**2 + 0.03**2
        )
        if level == len(weights) - 1:
            cs = cs * (2 * mx * my + 0.01**2) / (mx**2 + my**2 + 0.01**2)
        term = cs.mean(axis=tuple(range(1, x.ndim - 1)))
        out *= np.maximum(term, 0) ** w
        x, y = pool(x), pool(y)
    return out.mean(axis=-1)


@pytest.mark.parametrize("shape", [(3, 40, 2), (2, 24, 20, 1), (2, 16, 18, 24, 2)])
def test_ms_ssim_on_sequences_images_and_volumes_matches_a_float64_reference(shape):
    rng = np.random.default_rng(1)
    x = rng.random(shape).astype("float32")
    y = np.clip(x + rng.normal(scale=0.2, size=shape), 0, 1).astype("float32")
    ref = _ms_ssim_float64(x, y)
    assert max_abs_diff(ms_ssim(x, y, normalize=False), ref) < 1e-5
    assert 0.0 < float(np.min(ref)) < 0.99  # the noise is seen, the terms are not clipped
    assert max_abs_diff(msssim_loss(x, x), 0.0) < 1e-6


def test_ms_ssim_of_a_volume_constant_along_depth_is_that_of_its_image():
    """A 3-D window over a volume whose slices are one image sees only that image, and 1-D
    windows over an image's columns (constant along the rows) see those columns: each equals
    tf.image.ssim_multiscale of the 2-D image (the same settings: all sides equal)."""
    rng = np.random.default_rng(2)
    img = rng.random((2, 32, 32, 1)).astype("float32")
    noisy = np.clip(img + rng.normal(scale=0.1, size=img.shape), 0, 1).astype("float32")
    size, weights = msssim_settings(32, 32)
    ref = tf.image.ssim_multiscale(img, noisy, 1.0, power_factors=weights, filter_size=size)
    vol = lambda t: np.repeat(t[:, None], 32, axis=1)  # noqa: E731
    assert max_abs_diff(ms_ssim(vol(img), vol(noisy), normalize=False), ref) < 1e-5
    col, col_noisy = img[:, :, :1, :], noisy[:, :, :1, :]
    rows = lambda t: np.repeat(t, 32, axis=2)  # noqa: E731
    seq = ms_ssim(col[:, :, 0], col_noisy[:, :, 0], normalize=False)
    image = tf.image.ssim_multiscale(rows(col), rows(col_noisy), 1.0, weights, filter_size=size)
    assert max_abs_diff(seq, image) < 1e-5


MODELS = {
    "RAE_L2": {"reg_weight": 1e-4},
    "RAE_GP": {"reg_weight": 1e-4},
    "Adversarial_AE": {},
    "MSSSIM_VAE": {"beta": 1e-2},
    "VAEGAN": {"discriminator_hidden_units": 64},
}


@pytest.mark.parametrize("name", list(MODELS))
def test_trains_on_fashion_mnist_saves_reloads_resumes(name, fashion, tmp_path):
    keras.utils.set_random_seed(0)
    cls = tfvae.get_model_class(name)
    enc, dec = tfvae.nn.benchmark_networks(
        "conv", (28, 28, 1), 6, width=4, variational=cls.variational
    )
    model = tfvae.build_model(
        name, input_shape=(28, 28, 1), latent_dim=6, encoder=enc, decoder=dec, **MODELS[name]
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    x = fashion.x_train[:640]
    history = model.fit(x, batch_size=64, epochs=3, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert history["reconstruction"][-1] < history["reconstruction"][0]
    if name == "Adversarial_AE":  # the game stays balanced: neither side wins outright
        assert 0.3 < history["discriminator_loss"][-1] < 2.5
        assert set(model.group_optimizers) == {"discriminator_loss"}
    if name == "VAEGAN":
        assert set(model.group_optimizers) == {"decoder_loss", "discriminator_loss"}
        took = model.group_optimizers["discriminator_loss"].iterations
        # with Larsen's third term the discriminator wins early and the equilibrium rule skips
        # its later steps; it must have stepped, and the decoder kept stepping
        assert 0 < int(took) <= 30 and history["decoder_update"][-1] > 0.0
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert max_abs_diff(loaded.reconstruct(x[:8]), model.reconstruct(x[:8])) == 0.0
    for term, opt in model.group_optimizers.items():
        for a, b in zip(opt.variables, loaded.group_optimizers[term].variables, strict=True):
            assert max_abs_diff(a, b) == 0.0
    more = [m.fit(x, batch_size=64, epochs=1, verbose=0).history for m in (model, loaded)]
    assert more[0]["loss"] == pytest.approx(more[1]["loss"], rel=1e-6)
    if not cls.variational:  # ex-post density estimation gives the RAEs their samples
        sampler = tfvae.build_sampler("gmm", model, n_components=3).fit(x)
        samples = np.asarray(sampler.sample(5))
        assert samples.shape == (5, 28, 28, 1) and np.isfinite(samples).all()


def test_vaegan_equilibrium_skips_whole_optimizer_steps(fashion):
    keras.utils.set_random_seed(0)
    # every cross-entropy is below 10 - 0: the discriminator is "winning" on every batch
    model = tfvae.build_model(
        "VAEGAN", input_shape=(28, 28, 1), latent_dim=4, equilibrium=10.0, margin=0.0
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = [v.numpy() for v in model.discriminator.trainable_variables]
    history = model.fit(fashion.x_train[:96], batch_size=32, epochs=1, verbose=0).history
    disc_opt = model.group_optimizers["discriminator_loss"]
    assert history["discriminator_update"] == [0.0] and history["decoder_update"] == [1.0]
    assert int(disc_opt.iterations) == 0 and int(model.optimizer.iterations) == 3
    assert all(
        max_abs_diff(a, b.numpy()) == 0.0
        for a, b in zip(before, model.discriminator.trainable_variables, strict=True)
    )
    assert all(max_abs_diff(v, 0.0) == 0.0 for v in disc_opt.variables[2:])  # Adam slots


def test_vaegan_errors():
    with pytest.raises(ValueError, match="reconstruction_layer=3"):
        tfvae.build_model("VAEGAN", input_shape=(8, 8, 1), latent_dim=2, reconstruction_layer=3)
    with pytest.raises(ValueError, match="'logit'"):
        tfvae.build_model(
            "VAEGAN",
            input_shape=(8, 8, 1),
            latent_dim=2,
            discriminator=tfvae.nn.MLPDiscriminator([8, 8, 1], 8, 1, 1),
        )
    with pytest.raises(tfvae.ConfigError, match="VAEGANConfig.adversarial_loss_scale"):
        tfvae.VAEGANConfig(adversarial_loss_scale=2.0)


def test_vaegan_equilibrium_refuses_multi_replica_strategies(digits):
    from tfvae.training.strategies import in_strategy_scope, make_strategy

    strategy = make_strategy("mirrored")
    model = in_strategy_scope(
        tfvae.build_model("VAEGAN", input_shape=(8, 8, 1), latent_dim=2), strategy
    )
    with strategy.scope():
        model.compile(optimizer="adam")
    with pytest.raises(NotImplementedError, match="use_equilibrium=False"):
        model.fit(digits.x_train[:64], batch_size=32, epochs=1, verbose=0)


def test_vaegan_discriminator_loss_has_larsens_three_terms(fashion):
    """``BCE(D(x), 1) + BCE(D(dec(z_p)), 0) + BCE(D(dec(enc(x))), 0)``, the last one computed
    here by hand from the same posterior noise (step 0's stream)."""
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("VAEGAN", input_shape=(28, 28, 1), latent_dim=4)
    x = tf.constant(fashion.x_train[:16])
    terms = model.compute_loss_terms(x, training=False)
    enc = model.encoder(x, training=False)
    z, _ = model.posterior_sample_and_kl(enc, model.noise_seed())
    recon = model.likelihood.mean(model.decoder(z, training=False)["reconstruction"])
    logit = model.discriminator(recon, training=False)["logit"][:, 0].numpy().astype(np.float64)
    by_hand = np.mean(np.logaddexp(0.0, logit))  # -log(1 - sigmoid(logit))
    assert float(terms["discriminator_reconstruction"]) == pytest.approx(by_hand, rel=1e-5)
    total = terms["discriminator_real"] + terms["discriminator_prior"]
    total += terms["discriminator_reconstruction"]
    assert float(terms["discriminator_loss"]) == pytest.approx(float(total), rel=1e-6)
    a = model.config.adversarial_loss_scale
    expected = (1 - a) * terms["reconstruction"] - a * terms["discriminator_loss"]
    assert float(terms["decoder_loss"]) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("name", ["VAEGAN", "MSSSIM_VAE"])
def test_models_not_trained_as_likelihoods_refuse_nll(name):
    model = tfvae.build_model(name, input_shape=(28, 28, 1), latent_dim=2)
    assert not type(model).likelihood_model
    with pytest.raises(tfvae.ConfigError, match="not trained as a likelihood"):
        model.nll(np.zeros((2, 28, 28, 1), np.float32), n_samples=2)
