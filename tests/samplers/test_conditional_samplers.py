"""Every sampler generates the class it is asked for from a class-conditional model: samples of
class k, classified by a logistic regression trained on the real digits 0-2, are mostly k.
The GMM's per-class mixtures save and reload with identical samples."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import tfvae
from tfvae.hub import load_sampler

SAMPLERS = {"normal": {}, "gmm": {"n_components": 3}, "maf": {}, "iaf": {}, "two_stage": {}}
TRAINED = {"maf": {"epochs": 5}, "iaf": {"epochs": 5}, "two_stage": {"epochs": 5}}


@pytest.fixture(scope="module")
def three_digits(digits):
    keep = digits.y_train < 3
    x, y = digits.x_train[keep], digits.y_train[keep].astype(np.int32)
    judge = LogisticRegression(max_iter=2000).fit(x.reshape(len(x), -1), y)
    return x, y, judge


def _train(name, x, y, epochs, **fields):
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        name,
        input_shape=x.shape[1:],
        latent_dim=4,
        reconstruction_loss="bce",
        condition="class",
        num_classes=3,
        **fields,
    )
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
    return model


def _accuracy(sampler, judge, n=60):
    scores = []
    for k in range(3):
        samples = np.asarray(sampler.sample(n, seed=k, condition=k))
        scores.append(np.mean(judge.predict(samples.reshape(n, -1)) == k))
    return np.array(scores)


@pytest.fixture(scope="module")
def cvae(three_digits):
    x, y, _ = three_digits
    return _train("vae", x, y, epochs=25)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_samplers_of_a_conditional_vae_generate_the_requested_class(name, cvae, three_digits):
    x, y, judge = three_digits
    sampler = tfvae.build_sampler(name, cvae, **SAMPLERS[name], **TRAINED.get(name, {}))
    if sampler.needs_fit:
        sampler.fit(x, condition=y, verbose=0)
    accuracy = _accuracy(sampler, judge)
    assert accuracy.min() > 0.8, (name, accuracy)
    with pytest.raises(tfvae.ConfigError, match="needs the class or attributes"):
        sampler.sample(4)


def test_gmm_fits_one_mixture_per_class_and_reloads(cvae, three_digits, tmp_path):
    x, y, _ = three_digits
    sampler = tfvae.build_sampler("gmm", cvae, n_components=3).fit(x, condition=y)
    assert len(sampler.gmms) == 3
    codes = cvae.embed(x, condition=y)
    for k in range(3):  # each class's mixture sits on that class's codes
        own = sampler.gmms[k].means_.mean(0)
        assert np.linalg.norm(own - codes[y == k].mean(0)) < 0.5 * codes.std(0).sum()
    cvae.save_pretrained(tmp_path, sampler=sampler)
    again = load_sampler(tmp_path, cvae)
    np.testing.assert_allclose(
        again.sample(9, seed=3, condition=[0, 1, 2] * 3),
        sampler.sample(9, seed=3, condition=[0, 1, 2] * 3),
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="one mixture per class"):
        tfvae.build_sampler("gmm", cvae, n_components=3).fit(x)


def test_one_gaussian_per_class_draws_around_each_class_mean_code(cvae, three_digits):
    x, y, _ = three_digits
    warm = tfvae.build_sampler("gmm", cvae, n_components=1).fit(x, condition=y)
    codes = warm.training_codes(x, y)
    labels = np.repeat([0, 1, 2], 3000)
    frozen = tfvae.build_sampler("gmm", cvae, n_components=1, temperature=0.0)
    frozen.set_state(warm.get_state())
    cold = tfvae.build_sampler("gmm", cvae, n_components=1, temperature=0.3)
    cold.set_state(warm.get_state())
    at_mean, draws = frozen.sample_codes(9000, condition=labels), cold.sample_codes(9000, 1, labels)
    for k in range(3):  # float64 moments of the class's own codes
        mine = codes[y == k].astype(np.float64)
        np.testing.assert_allclose(
            at_mean[labels == k], np.tile(mine.mean(0), (3000, 1)), atol=1e-5
        )
        spread = 0.3**2 * np.cov(mine.T, bias=True)
        np.testing.assert_allclose(
            np.cov(draws[labels == k].T), spread, atol=0.12 * np.abs(spread).max()
        )


@pytest.mark.parametrize(
    "model, sampler, fields",
    [
        ("vqvae", "pixelcnn", {"num_embeddings": 16}),
        ("rhvae", "rhvae_manifold", {"metric_capacity": 200, "n_lf": 1}),
        ("svae", "hypersphere_uniform", {}),
        ("vamp", "vamp", {"number_components": 5}),
        ("poincare_vae", "poincare_disk", {}),
    ],
)
def test_geometric_and_discrete_samplers_follow_the_condition(model, sampler, fields, three_digits):
    x, y, judge = three_digits
    trained = _train(model, x, y, epochs=15, **fields)
    extra = {"epochs": 3} if sampler == "pixelcnn" else {}
    if sampler == "rhvae_manifold":
        extra = {"mcmc_steps_nbr": 10}
    s = tfvae.build_sampler(sampler, trained, **extra)
    if s.needs_fit:
        s.fit(x, condition=y, verbose=0)
    if sampler == "rhvae_manifold":  # the chains start at the requested class's codes
        s.fit(x, condition=y)
        assert sorted(s.class_codes) == [0, 1, 2]
    accuracy = _accuracy(s, judge, n=30)
    assert accuracy.min() > 0.6, (model, sampler, accuracy)
