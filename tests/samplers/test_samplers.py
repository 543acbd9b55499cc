from __future__ import annotations

import keras
import numpy as np
import pytest

import tfvae
from tfvae.samplers import GaussianMixtureSampler, NormalSampler


@pytest.fixture(scope="module")
def trained_vae(fashion):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae", input_shape=(28, 28, 1), latent_dim=6, reconstruction_loss="bce"
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    model.fit(fashion.train, epochs=4, verbose=0, callbacks=fashion.callbacks())
    return model


def test_gmm_samples_have_the_shape_and_range_of_the_data(trained_vae, fashion):
    sampler = GaussianMixtureSampler(trained_vae, {"n_components": 5}).fit(fashion.train)
    samples = sampler.sample(20, seed=1)
    assert samples.shape == (20, 28, 28, 1) and samples.dtype == np.float32
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    np.testing.assert_array_equal(samples, sampler.sample(20, seed=1))
    assert not np.array_equal(samples, sampler.sample(20, seed=2))


def test_gmm_beats_the_prior_in_held_out_latent_log_likelihood(trained_vae, fashion):
    gmm = GaussianMixtureSampler(trained_vae, {"n_components": 10}).fit(fashion.x_train)
    normal = NormalSampler(trained_vae)
    held_out = trained_vae.embed(fashion.x_test)
    assert gmm.log_prob(held_out).mean() > normal.log_prob(held_out).mean() + 1.0


def test_gmm_codes_follow_the_fitted_mixture(trained_vae, fashion):
    sampler = GaussianMixtureSampler(trained_vae, {"n_components": 3, "covariance_type": "diag"})
    sampler.fit(fashion.x_train)
    codes = sampler.sample_codes(20000, seed=0)
    expected_mean = (sampler.gmm.weights_[:, None] * sampler.gmm.means_).sum(0)
    np.testing.assert_allclose(codes.mean(0), expected_mean, atol=0.05)


def test_gmm_temperature_scales_each_draw_around_its_components_mean(trained_vae, fashion):
    warm = GaussianMixtureSampler(trained_vae, {"n_components": 1}).fit(fashion.x_train)
    cold = GaussianMixtureSampler(trained_vae, {"n_components": 1, "temperature": 0.5})
    cold.set_state(warm.get_state())
    mean, cov = warm.gmm.means_[0], warm.gmm.covariances_[0]
    a, b = warm.sample_codes(4000, seed=3), cold.sample_codes(4000, seed=3)
    np.testing.assert_allclose(b - mean, 0.5 * (a - mean), atol=1e-6)  # the same draws, halved
    np.testing.assert_allclose(np.cov(b.T), 0.25 * cov, atol=0.1 * 0.25 * np.abs(cov).max())
    frozen = GaussianMixtureSampler(trained_vae, {"n_components": 1, "temperature": 0.0})
    frozen.set_state(warm.get_state())
    np.testing.assert_allclose(frozen.sample_codes(5, seed=0), np.tile(mean, (5, 1)), atol=1e-6)
    with pytest.raises(tfvae.ConfigError, match="temperature"):
        GaussianMixtureSampler(trained_vae, {"temperature": -1.0})


def test_sampler_errors_and_registry(trained_vae):
    with pytest.raises(RuntimeError, match="must be fitted first"):
        GaussianMixtureSampler(trained_vae).sample(4)
    with pytest.raises(ValueError, match="n must be a positive int"):
        NormalSampler(trained_vae).sample(0)
    assert {"GaussianMixtureSampler", "NormalSampler"} <= set(tfvae.list_samplers())
    assert isinstance(
        tfvae.build_sampler("gmm", trained_vae, n_components=2), GaussianMixtureSampler
    )
    with pytest.raises(ValueError, match=r"available samplers: gmm \(GaussianMixtureSampler\)"):
        tfvae.build_sampler("gaussian", trained_vae)
    with pytest.raises(ValueError, match="cannot fit n_components=10"):
        GaussianMixtureSampler(trained_vae).fit(np.zeros((5, 28, 28, 1), np.float32))


def test_generation_pipeline_writes_arrays_and_a_grid(trained_vae, tmp_path):
    samples = tfvae.GenerationPipeline(trained_vae)(12, output_dir=tmp_path, seed=0)
    assert samples.shape == (12, 28, 28, 1)
    with np.load(tmp_path / "samples.npz") as saved:
        np.testing.assert_array_equal(saved["samples"], samples)
    assert (tmp_path / "samples.png").is_file()


def test_samples_decode_as_one_traced_graph_and_match_the_eager_decoder(trained_vae):
    sampler = NormalSampler(trained_vae)
    samples = sampler.sample(300, seed=3, batch_size=128)  # batches of 128, 128 and 44
    codes = np.asarray(sampler.sample_codes(300, seed=3), np.float32)
    np.testing.assert_allclose(samples, trained_vae.decode(codes), atol=1e-6)
    sampler.sample(70, seed=4, batch_size=32)  # other sizes: no new trace once relaxed
    assert trained_vae.decode_fn().experimental_get_tracing_count() == 2


def test_trained_samplers_run_several_steps_per_call_with_the_same_updates(trained_vae, fashion):
    x = fashion.x_train[:256]  # 8 steps an epoch: calls of 3, 3 and 2 steps
    fits = [
        tfvae.build_sampler(
            "maf", trained_vae, epochs=2, batch_size=32, steps_per_execution=steps
        ).fit(x)
        for steps in (1, 3)
    ]
    np.testing.assert_allclose(fits[0].sample(8, seed=0), fits[1].sample(8, seed=0), atol=1e-5)
    np.testing.assert_allclose(
        fits[0].history.history["loss"], fits[1].history.history["loss"], rtol=1e-5
    )
    with pytest.raises(tfvae.ConfigError, match="steps_per_execution"):
        tfvae.build_sampler("maf", trained_vae, steps_per_execution=0)
