from __future__ import annotations

import keras
import numpy as np

import tfvae
from tfvae.samplers import TwoStageVAESampler


def test_two_stage_sampler_fits_the_codes_and_generates(fashion, tmp_path):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae", input_shape=(28, 28, 1), latent_dim=4, reconstruction_loss="bce"
    )
    model.compile(optimizer="adam")
    model.fit(fashion.train, epochs=2, verbose=0)
    sampler = TwoStageVAESampler(model, {"epochs": 15, "second_layers_dim": 64}).fit(
        fashion.x_train
    )
    h = sampler.history.history
    assert h["loss"][-1] < h["loss"][0]
    assert h["gamma"][-1] != h["gamma"][0] and h["gamma"][-1] > 0, "gamma is learned"
    samples = sampler.sample(10, seed=0)
    assert samples.shape == (10, 28, 28, 1) and 0 <= samples.min() and samples.max() <= 1
    codes = sampler.sample_codes(2000, seed=1)
    real = model.embed(fashion.x_train)
    # second-stage codes follow the aggregate posterior's scale better than N(0, I) does
    gap_two_stage = np.abs(codes.std(0) - real.std(0)).mean()
    gap_prior = np.abs(1.0 - real.std(0)).mean()
    assert gap_two_stage < gap_prior
    assert isinstance(tfvae.build_sampler("two_stage", model, epochs=1), TwoStageVAESampler)
    # saved with the model (the second stage's weights, gamma included) and restored exactly
    folder = model.save_pretrained(tmp_path / "shared", sampler=sampler)
    restored = tfvae.hub.load_sampler(folder, model)
    assert float(restored.second_stage.log_gamma) == float(sampler.second_stage.log_gamma)
    np.testing.assert_allclose(
        restored.sample_codes(50, seed=3), sampler.sample_codes(50, seed=3), atol=1e-6
    )
