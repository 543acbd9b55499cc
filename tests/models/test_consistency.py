"""Class-consistent generation (``consistent=True``): a class-conditional model is a Bayes
classifier of its own likelihoods (``classify``: ``argmax_k log p(x | y = k)``), and
consistent sampling keeps the samples it assigns to their requested class and redraws the
others (``tfvae.models.base.consistency``)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfvae
from tfvae.models.base import consistency


def _trained_cvae(x, y, latent_dim, learning_rate, batch_size, epochs):
    """A class-conditional MLP VAE (Bernoulli pixels) fitted on images ``x`` with labels
    ``y`` in 0..max(y)."""
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=x.shape[1:],
        latent_dim=latent_dim,
        reconstruction_loss="bce",
        condition="class",
        num_classes=int(y.max()) + 1,
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    model.fit(x, y.astype(np.int32), batch_size=batch_size, epochs=epochs, verbose=0)
    return model


@pytest.fixture(scope="module")
def digit_model(digits):
    """A conditional VAE on all ten 8x8 digit classes."""
    return _trained_cvae(digits.x_train, digits.y_train, 2, 3e-3, 32, 5)


def test_a_conditional_model_classifies_real_digits_by_its_own_likelihoods(digit_model, digits):
    """Column k of ``class_log_likelihoods`` is ``-nll(x, condition=k)`` per example, and its
    argmax labels held-out digits far above chance (10%): the likelihood knows the class."""
    x, y = digits.x_test[:200], digits.y_test[:200].astype(int)
    scores = digit_model.class_log_likelihoods(x, n_samples=8, seed=3)
    assert scores.shape == (200, 10)
    nll_of_3 = digit_model.nll(x, n_samples=8, seed=3, condition=np.full(200, 3)).per_example
    np.testing.assert_allclose(scores[:, 3], -nll_of_3, rtol=1e-6)
    accuracy = np.mean(digit_model.classify(x, n_samples=8, seed=3) == y)
    assert accuracy > 0.8, accuracy


def _fake_model(num_classes: int = 3):
    """A model stand-in whose own classifier reads the class off the first pixel."""
    config = tfvae.build_model(
        "vae", input_shape=(2,), condition="class", num_classes=num_classes
    ).config
    return type("Fake", (), {"config": config, "variational": True, "likelihood_model": True})()


def test_consistent_draws_keep_accepted_rows_and_redraw_only_the_others(monkeypatch):
    """Round 0 is ``draw(labels, seed)``; a rejected row is redrawn with ``seed + 7919 r``
    until the model assigns it to its class; accepted rows are never redrawn."""
    monkeypatch.setattr(
        consistency,
        "class_log_likelihoods",
        lambda model, x, *a, **k: np.eye(3)[np.asarray(x)[:, 0].astype(int)],
    )
    calls = []

    def draw(labels, seed):  # class = label on even seeds; on round 0, row 1 comes out as 0
        calls.append((labels.tolist(), seed))
        out = np.stack([labels, np.full(len(labels), seed)], axis=1).astype(np.float32)
        if seed == 5:
            out[1, 0] = 0
        if seed == 5 + 7919:
            out[:, 0] = (labels + 1) % 3  # round 1: still wrong
        return out

    out = consistency.consistent_draws(_fake_model(), draw, np.array([2, 1, 0]), seed=5)
    assert calls == [([2, 1, 0], 5), ([1], 5 + 7919), ([1], 5 + 2 * 7919)]
    np.testing.assert_array_equal(out, [[2, 5], [1, 5 + 2 * 7919], [0, 5]])


def test_a_class_the_model_never_assigns_raises_with_its_acceptance(monkeypatch):
    monkeypatch.setattr(
        consistency,
        "class_log_likelihoods",
        lambda model, x, *a, **k: np.eye(3)[np.zeros(len(x), int)],  # always class 0
    )

    def draw(labels, seed):
        return np.zeros((len(labels), 2), np.float32)

    with pytest.raises(tfvae.InconsistentSamplesError, match="class 2: 0/4 kept") as err:
        consistency.consistent_draws(_fake_model(), draw, np.array([0, 2]), max_rounds=4)
    assert "class 0" not in str(err.value)


def test_models_that_cannot_classify_themselves_refuse_consistent_sampling():
    plain = tfvae.build_model("vae", input_shape=(4,))
    with pytest.raises(tfvae.ConfigError, match="class-conditional model"):
        plain.generate(2, consistent=True)
    attributes = tfvae.build_model(
        "vae", input_shape=(4,), condition="vector", condition_shape=(2,)
    )
    with pytest.raises(tfvae.ConfigError, match="class-conditional model"):
        attributes.generate(2, condition=[0.0, 1.0], consistent=True)
    autoencoder = tfvae.build_model("ae", input_shape=(4,), condition="class", num_classes=2)
    with pytest.raises(tfvae.ConfigError, match="no likelihood"):
        autoencoder.generate(2, condition=1, consistent=True)
    vae = tfvae.build_model("vae", input_shape=(4,), condition="class", num_classes=2)
    with pytest.raises(tfvae.ConfigError, match="needs condition="):
        vae.generate(2, consistent=True)
    with pytest.raises(tfvae.DataError, match=r"labels must lie in \[0, 2\)"):
        vae.generate(2, condition=5, consistent=True)


def test_consistent_samples_of_confusable_garments_are_more_recognisable():
    """T-shirts, pullovers, coats and shirts (the classes the shipped classifier confuses):
    consistent samples are labelled with their class by that classifier more often than
    unfiltered ones, and the samples accepted in the first round are the unfiltered ones."""
    try:
        data = tfvae.data.load("fashion_mnist", limit=6000, validation_split=0.0, labels=True)
    except FileNotFoundError as err:
        pytest.skip(f"Fashion-MNIST is not installed here ({err})")
    garments = np.array([0, 2, 4, 6])
    keep = np.isin(data.y_train, garments)
    x, y = data.x_train[keep], np.searchsorted(garments, data.y_train[keep])
    model = _trained_cvae(x, y, 8, 1e-3, 64, 10)
    labels = np.repeat(np.arange(4, dtype=np.int32), 200)
    plain = np.asarray(model.generate(800, seed=1, condition=labels))
    kept = np.asarray(model.generate(800, seed=1, condition=labels, consistent=True))
    first_round = model.classify(plain, seed=1) == labels
    assert 0 < first_round.sum() < 800
    np.testing.assert_array_equal(kept[first_round], plain[first_round])
    classifier = tfvae.metrics.ClassifierFeatures()
    recognised = {
        name: np.mean(classifier.predict(images) == garments[labels])
        for name, images in (("plain", plain), ("consistent", kept))
    }
    assert recognised["consistent"] > recognised["plain"] + 0.04, recognised
