"""Conditional generation (``config.condition``) over the registry: every model either refuses
``condition`` with its reason (stated in the README) or trains on ``(x, y)`` with a falling
reconstruction term, saves and reloads with identical conditional outputs, lets the condition
reach its decoder, exports SavedModel signatures that take the condition and give Keras's
outputs, and trains on two replicas like one device on labelled batches. The Fashion-MNIST
class accuracy is measured by ``tools/conditional_table.py`` (README)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import (
    REPLICA_FIELDS,
    SMALL_FIELDS,
    assert_exports_match,
    assert_two_replicas_like_one,
    max_abs_diff,
)

EXTRA = {
    **SMALL_FIELDS,
    "RHVAE": {"metric_capacity": 64, "metric_hidden": 16, "n_lf": 1},
    "HRQVAE": {"num_embeddings": 16},
    "VQVAE": {"num_embeddings": 16},
}


@pytest.fixture(scope="module")
def three_digits(digits):
    """Digits 0, 1 and 2: 8x8 images in [0, 1] and their labels."""
    keep = digits.y_train < 3
    return digits.x_train[keep], digits.y_train[keep].astype(np.int32)


def _build(name, shape, **fields):
    return tfvae.build_model(
        name,
        input_shape=shape,
        latent_dim=3,
        reconstruction_loss="bce",
        condition="class",
        num_classes=3,
        **EXTRA.get(name, {}),
        **fields,
    )


@pytest.mark.parametrize("name", tfvae.list_models())
def test_every_model_trains_on_labels_or_says_why(name, three_digits, tmp_path):
    cls = tfvae.get_model_class(name)
    x, y = three_digits
    if 1 in cls.supported_ranks:  # vectors where a model takes them (fast), else images
        x = x.reshape(len(x), -1)
    if not cls.conditionable:
        with pytest.raises(tfvae.ConfigError, match="cannot be conditioned"):
            _build(name, x.shape[1:])
        return
    keras.utils.set_random_seed(0)
    model = _build(name, x.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(x[:320], y[:320], batch_size=64, epochs=4, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
    # the reconstruction term: InfoVAE_MMD's total swings with its lambda=1000 x MMD estimate
    # (unconditional too); every model's reconstruction falls
    assert history["reconstruction"][-1] < history["reconstruction"][0], history
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    labels = np.array([0, 1, 2, 1])
    assert max_abs_diff(again.reconstruct(x[:4], labels), model.reconstruct(x[:4], labels)) == 0
    assert (
        max_abs_diff(again.generate(4, condition=labels), model.generate(4, condition=labels)) == 0
    )
    z = model.sample_prior(4, seed=1)
    # the condition reaches the decoder: the same codes decode differently per class
    assert max_abs_diff(model.decode(z, 0), model.decode(z, 2)) > 1e-3
    # the SavedModel's signatures take the condition and give Keras's conditional outputs
    assert_exports_match(model, x[:4], tmp_path / "saved", condition=labels.astype(np.int32))
    # labelled batches on two replicas (eagerly, as in tests/models/test_ranks), from the start
    keras.utils.set_random_seed(1)
    fresh = _build(name, x.shape[1:], **REPLICA_FIELDS.get(name, {}))
    ds = tf.data.Dataset.from_tensor_slices((x[:64], y[:64])).batch(32)
    assert_two_replicas_like_one(fresh, ds, eager=True)


def test_readme_names_each_model_that_cannot_be_conditioned():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Conditional generation", 1)[1].split("\n## ", 1)[0]
    for name in tfvae.list_models():
        cls = tfvae.get_model_class(name)
        if not cls.conditionable:
            assert f"`{cls.__name__}`" in section, name


def test_two_replicas_train_like_one_device_on_labelled_batches(three_digits):
    """The traced step (the registry test above runs both sides eagerly)."""
    x, y = three_digits
    keras.utils.set_random_seed(0)
    single = _build("VAE", x.shape[1:])
    ds = tf.data.Dataset.from_tensor_slices((x[:96], y[:96])).batch(32)
    assert_two_replicas_like_one(single, ds)


def test_bad_conditions_are_refused_with_the_reason(three_digits):
    x, y = three_digits
    model = _build("VAE", x.shape[1:])
    model.compile(optimizer="adam")
    with pytest.raises(tfvae.DataError, match=r"train it on \(x, y\) batches"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(tfvae.ConfigError, match="is conditional: pass the condition"):
        model.generate(2)
    with pytest.raises(tfvae.DataError, match=r"labels must lie in \[0, 3\)"):
        model.generate(2, condition=3)
    with pytest.raises(tfvae.DataError, match="2 conditions for 3 examples"):
        model.generate(3, condition=[0, 1])
    with pytest.raises(tfvae.DataError, match="needs the labels"):
        model.nll(x[:4], n_samples=2)
    with pytest.raises(tfvae.ConfigError, match="condition='class' needs num_classes"):
        tfvae.build_model("vae", input_shape=(4,), condition="class")
    plain = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=2)
    with pytest.raises(tfvae.ConfigError, match="built without a condition"):
        plain.generate(2, condition=1)
    with pytest.raises(tfvae.DataError, match="has no labels"):
        tfvae.data.load(x, labels=True)


def test_labelled_pipelines_and_attribute_vectors(three_digits):
    x, y = three_digits
    data = tfvae.data.load((x, y), labels=True, batch_size=32, validation_split=0.2)
    xb, yb = next(iter(data.train))
    assert xb.shape[0] == yb.shape[0] == 32
    # each label travels with its own example through the shuffle
    rows = {tuple(np.round(r, 5).ravel()): int(c) for r, c in zip(x, y, strict=True)}
    assert all(rows[tuple(np.round(r, 5).ravel())] == int(c) for r, c in zip(xb, yb, strict=True))
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae", input_shape=(8, 8, 1), latent_dim=2, condition="vector", condition_shape=(2,)
    )
    model.compile(optimizer="adam")
    attrs = np.stack([y == 1, y == 2], -1).astype(np.float32)
    model.fit(x, attrs, batch_size=32, epochs=1, verbose=0)
    assert model.generate(3, condition=[1.0, 0.0]).shape == (3, 8, 8, 1)
    with pytest.raises(tfvae.DataError, match=r"attribute vectors are \[N, 2\]"):
        model.generate(3, condition=[1.0, 0.0, 0.0])


def test_conditional_nll_is_below_the_unconditional_one_on_the_same_images(three_digits):
    """-log p(x | y) <= -log p(x) + log 3 holds for any pair of models trained alike on three
    classes; a conditional model that used its label gains on it: compared on held-out
    images, paired by example."""
    x, y = three_digits
    x_train, y_train, x_test, y_test = x[:300], y[:300], x[300:], y[300:]
    estimates = {}
    for condition in (None, "class"):
        keras.utils.set_random_seed(0)
        fields = {"condition": "class", "num_classes": 3} if condition else {}
        model = tfvae.build_model(
            "vae", input_shape=(8, 8, 1), latent_dim=2, reconstruction_loss="bce", **fields
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(x_train, y_train if condition else None, batch_size=32, epochs=30, verbose=0)
        estimates[condition] = model.nll(
            x_test, n_samples=64, condition=y_test if condition else None
        )
    gain = estimates[None].per_example - estimates["class"].per_example
    assert gain.mean() > 3 * gain.std(ddof=1) / np.sqrt(len(gain)), (
        estimates[None],
        estimates["class"],
    )


@pytest.mark.parametrize("name", ["VAE", "VQVAE"])
def test_tflite_parts_take_the_condition(name, three_digits, tmp_path):
    """SavedModel signatures with the condition: the registry test above, for every model."""
    from tfvae.export import to_tflite

    x, y = three_digits
    keras.utils.set_random_seed(0)
    model = _build(name, x.shape[1:])
    model.compile(optimizer="adam")
    model.fit(x[:128], y[:128], batch_size=64, epochs=1, verbose=0)
    # TFLite: each converted part is checked against Keras (with conditions) before writing
    assert set(to_tflite(model, tmp_path / "lite", parts=("encoder", "decoder"))) == {
        "encoder",
        "decoder",
    }


def test_conditional_vamp_prior_is_each_classs_pseudo_input_mixture(three_digits):
    """p(z|y) = (1/C) sum_c q(z|u_{y,c}, y) against a float64 reference, the null condition's
    prior is the mixture of all classes, and prior draws of class k come from class k's
    components."""
    from scipy.special import logsumexp

    x, y = three_digits
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vamp",
        input_shape=x.shape[1:],
        latent_dim=3,
        reconstruction_loss="bce",
        condition="class",
        num_classes=3,
        number_components=2,
        condition_dropout=0.2,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x[:256], y[:256], batch_size=64, epochs=2, verbose=0)
    assert model.pseudo_input_images().shape == (6, 8, 8, 1)
    with model.conditioned(np.repeat(np.arange(3), 2)):  # each pseudo-input under its class
        enc = model.run_encoder(model.pseudo_input_images())
    loc = enc["embedding"].numpy().astype(np.float64)
    var = np.exp(enc["log_covariance"].numpy().astype(np.float64))
    z = np.random.default_rng(0).normal(size=(5, 3))
    comp = -0.5 * (((z[:, None] - loc[None]) ** 2 / var).sum(-1) + np.log(2 * np.pi * var).sum(-1))
    for k in range(3):
        with model.conditioned(np.full(5, k)):
            got = model.prior().log_prob(z.astype(np.float32)).numpy()
        want = logsumexp(comp[:, 2 * k : 2 * k + 2], axis=1) - np.log(2)
        np.testing.assert_allclose(got, want, rtol=1e-4)
    with model.condition_scope.active(tf.zeros((5, 3))):  # the null condition: all classes
        got = model.prior().log_prob(z.astype(np.float32)).numpy()
    np.testing.assert_allclose(got, logsumexp(comp, axis=1) - np.log(6), rtol=1e-4)
    np.testing.assert_allclose(
        model.prior_log_prob(z.astype(np.float32)), logsumexp(comp, axis=1) - np.log(6), rtol=1e-4
    )
    for k in range(3):
        codes = np.asarray(model.sample_prior(400, seed=k, condition=k), np.float64)
        log_q = -0.5 * (
            ((codes[:, None] - loc[None]) ** 2 / var).sum(-1) + np.log(2 * np.pi * var).sum(-1)
        )
        # mean log p(z|j) over class k's draws: highest for j = k (KL(p_k || p_j) > 0)
        per_class = [logsumexp(log_q[:, 2 * j : 2 * j + 2], axis=1).mean() for j in range(3)]
        assert int(np.argmax(per_class)) == k, per_class
        sampled = tfvae.build_sampler("vamp", model).sample(3, condition=k)
        assert sampled.shape == (3, 8, 8, 1)
    with pytest.raises(tfvae.ConfigError, match="pseudo-inputs per class"):
        tfvae.build_model("vamp", input_shape=(8, 8, 1), condition="vector", condition_shape=(2,))
    with pytest.raises(tfvae.ConfigError, match="one-hot labels"):
        _build("VAMP", x.shape[1:], condition_embedding_dim=4)
