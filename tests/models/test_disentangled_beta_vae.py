from __future__ import annotations

import keras
import numpy as np
import pytest

import tfvae
from tests.conftest import max_abs_diff


def test_capacity_grows_with_saved_steps_and_loss_falls(fashion, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "DisentangledBetaVAE",
        input_shape=(28, 28, 1),
        latent_dim=4,
        reconstruction_loss="bce",
        beta=2.0,
        C=20.0,
        warmup_steps=100,
    )
    assert float(model.capacity()) == 0.0
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(fashion.train, epochs=2, verbose=0).history  # 2 x 57 steps
    assert float(model.training_step.numpy()) == 114.0
    assert float(model.capacity()) == pytest.approx(20.0)
    sizes = np.array([32] * 56 + [8])  # 1,800 images: the epoch mean weights batches by size
    first_epoch = 20.0 * np.minimum(np.arange(57), 100) / 100
    assert history["capacity"][0] == pytest.approx(np.average(first_epoch, weights=sizes), rel=1e-4)
    assert history["reconstruction"][-1] < history["reconstruction"][0]
    x = fashion.x_test[:8]
    terms = model.compute_loss_terms(x)
    kl = model.elbo_parts(x)["kl"].numpy()  # same step, same noise: the same per-example KL
    assert float(terms["kl"]) == pytest.approx(kl.mean(), rel=1e-5)
    assert kl.min() < 20.0 < kl.max(), kl  # so that the per-example gap differs from the mean's
    expected = float(terms["reconstruction"]) + 2.0 * np.abs(kl - 20.0).mean()  # Burgess, Pythae
    assert float(terms["loss"]) == pytest.approx(expected, rel=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = tfvae.AutoModel.load(tmp_path / "m.keras")
    assert float(loaded.training_step.numpy()) == 114.0, "the step counter is saved"
    assert max_abs_diff(loaded.reconstruct(x), model.reconstruct(x)) == 0.0
    with pytest.raises(tfvae.ConfigError, match="DisentangledBetaVAEConfig.warmup_steps"):
        tfvae.DisentangledBetaVAEConfig(warmup_steps=0)
