"""WAE_MMD and InfoVAE_MMD: the MMD estimator against a float64 NumPy reference, training on
real data, save/reload, generation."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import max_abs_diff
from tfvae.models.base.mmd import mmd


def _numpy_mmd(z, p, choice, bandwidth, scales):
    def k(a, b):
        d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
        c = 2.0 * a.shape[1] * bandwidth**2
        if choice == "rbf":
            return np.exp(-d2 / c)
        return sum(s * c / (s * c + d2) for s in scales)

    n = len(z)
    kzz, kpp, kzp = k(z, z), k(p, p), k(z, p)
    off = lambda m: (m.sum() - np.trace(m)) / (n * (n - 1))  # noqa: E731
    return off(kzz) + off(kpp) - 2 * kzp.sum() / n**2


@pytest.mark.parametrize("choice", ["imq", "rbf"])
def test_mmd_matches_numpy_float64(choice):
    rng = np.random.default_rng(0)
    z, p = rng.normal(size=(20, 4)) + 0.5, rng.normal(size=(20, 4))
    scales = [0.1, 1.0, 10.0]
    got = mmd(tf.constant(z), tf.constant(p), choice, 1.3, scales, 4).numpy()
    np.testing.assert_allclose(got, _numpy_mmd(z, p, choice, 1.3, scales), rtol=1e-12)
    same = rng.normal(size=(400, 4))
    shifted = mmd(
        tf.constant(same + 2.0), tf.constant(rng.normal(size=(400, 4))), choice, 1.0, scales, 4
    )
    close = mmd(tf.constant(same), tf.constant(rng.normal(size=(400, 4))), choice, 1.0, scales, 4)
    assert abs(float(close)) < 0.02 < float(shifted)


@pytest.mark.parametrize(("name", "fields"), [("WAE_MMD", {}), ("InfoVAE_MMD", {"lbd": 10.0})])
def test_trains_saves_reloads_generates(name, fields, fashion, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        name, input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce", **fields
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.train, epochs=3, verbose=0, callbacks=fashion.callbacks()).history
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert "mmd" in history and history["mmd"][-1] < history["mmd"][0]
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    x = fashion.x_test[:8]
    assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0
    samples = (
        tfvae.samplers.GaussianMixtureSampler(loaded, {"n_components": 3})
        .fit(fashion.x_train)
        .sample(4)
    )
    assert samples.shape == (4, 28, 28, 1)


def test_mmd_configs_are_validated():
    with pytest.raises(tfvae.ConfigError, match="WAE_MMD_Config.kernel_choice"):
        tfvae.WAE_MMD_Config(kernel_choice="gaussian")
    with pytest.raises(tfvae.ConfigError, match="InfoVAE_MMD_Config.scales"):
        tfvae.InfoVAE_MMD_Config(scales=[1.0, -2.0])
    with pytest.raises(tfvae.ConfigError, match="WAE_MMD_Config.reg_weight"):
        tfvae.WAE_MMD_Config(reg_weight=-1.0)


def test_infovae_defaults_minimise_the_mmd():
    """Pythae's defaults (alpha 0, lbd 1e-3) weight the MMD by -0.999 (the loss would maximise
    it); tfvae's default is Zhao et al.'s lbd = 1000 and a negative weight is refused."""
    config = tfvae.InfoVAE_MMD_Config()
    assert config.alpha + config.lbd - 1.0 == pytest.approx(999.0)
    with pytest.raises(tfvae.ConfigError, match="InfoVAE_MMD_Config.lbd"):
        tfvae.InfoVAE_MMD_Config(alpha=0.0, lbd=1e-3)
    assert tfvae.InfoVAE_MMD_Config(alpha=0.5, lbd=0.5).lbd == 0.5  # weight 0: allowed
