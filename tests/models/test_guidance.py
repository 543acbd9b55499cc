"""Classifier-free guidance of class-conditional models (``condition_dropout``, ``guidance``):
the null condition replaces a training example's label at the configured rate (stateless, the
same on resume and across replicas, never outside training); a guided decode is
``m_y + w (m_y - m_0)`` of the decoder's means (probabilities for Bernoulli pixels); the weight reaches every generation path
(``generate``, the samplers, the SavedModel) but never reconstructions; a model trained
without the null condition refuses guidance; and on real digits guidance makes samples more
recognisable to a classifier trained on real images."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfvae
from tests.conftest import assert_exports_match, assert_two_replicas_like_one, max_abs_diff


@pytest.fixture(scope="module")
def three_digits(digits):
    """Digits 0, 1 and 2: 8x8 images in [0, 1] and their labels."""
    keep = digits.y_train < 3
    return digits.x_train[keep], digits.y_train[keep].astype(np.int32)


def _build(**fields):
    return tfvae.build_model(
        "vae",
        input_shape=(8, 8, 1),
        latent_dim=2,
        reconstruction_loss="bce",
        condition="class",
        num_classes=3,
        **fields,
    )


@pytest.fixture(scope="module")
def guided_model(three_digits):
    """A conditional VAE trained with the null condition on 20% of its examples."""
    x, y = three_digits
    keras.utils.set_random_seed(0)
    model = _build(condition_dropout=0.2, guidance=2.0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, y, batch_size=32, epochs=40, verbose=0)
    return model


def test_bad_guidance_settings_are_refused_with_the_reason():
    with pytest.raises(tfvae.ConfigError, match=r"condition_dropout must be a number in \[0, 1\)"):
        _build(condition_dropout=1.0)
    with pytest.raises(tfvae.ConfigError, match="guidance must be a finite number >= 0"):
        _build(condition_dropout=0.1, guidance=-1.0)
    with pytest.raises(tfvae.ConfigError, match="needs a model trained with condition_dropout"):
        _build(guidance=1.0)
    with pytest.raises(tfvae.ConfigError, match="needs condition='class'"):
        tfvae.build_model(
            "vae",
            input_shape=(4,),
            condition="vector",
            condition_shape=(2,),
            condition_dropout=0.1,
        )
    with pytest.raises(tfvae.ConfigError, match="needs condition='class'"):
        tfvae.build_model("vae", input_shape=(4,), condition_dropout=0.1)
    plain = _build()
    with pytest.raises(tfvae.ConfigError, match="needs a model trained with condition_dropout"):
        plain.generate(2, condition=1, guidance=1.0)
    sampler = tfvae.build_sampler("normal", plain).fit(np.zeros((2, 8, 8, 1)), condition=[0, 1])
    with pytest.raises(tfvae.ConfigError, match="needs a model trained with condition_dropout"):
        sampler.sample(2, condition=1, guidance=1.0)
    with pytest.raises(tfvae.ConfigError, match="guidance must be a finite number >= 0"):
        _build(condition_dropout=0.1).decode(np.zeros((1, 2)), 0, guidance=float("nan"))
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(
            tfvae.ConfigError, match=r"guidance_rescale must be a number in \[0, 1\]"
        ):
            _build(condition_dropout=0.1, guidance=1.0, guidance_rescale=bad)
    for bad in (True, "0.5"):  # the config's own type check
        with pytest.raises(tfvae.ConfigError, match="guidance_rescale must be a float"):
            _build(condition_dropout=0.1, guidance=1.0, guidance_rescale=bad)
    with pytest.raises(tfvae.ConfigError, match=r"guidance_rescale must be a number in \[0, 1\]"):
        _build(condition_dropout=0.1).decode(np.zeros((1, 2)), 0, 1.0, guidance_rescale=2.0)


def test_the_null_condition_replaces_labels_at_the_rate_in_training_only(three_digits):
    x, y = three_digits
    model = _build(condition_dropout=0.5)
    model.compile(optimizer="adam")
    labels = np.resize(y, 2000)
    batch = (np.zeros((2000, 8, 8, 1), np.float32), labels)

    def null_rows(training: bool) -> np.ndarray:
        with model.batch_scope(batch, training=training):
            c = model.condition_scope.current.numpy()
        # a row is the label's one-hot or all zeros, nothing else
        assert np.all((c.sum(-1) == 0) | (c.argmax(-1) == labels))
        return c.sum(-1) == 0

    first = null_rows(True)
    assert 0.45 < first.mean() < 0.55, first.mean()
    assert np.array_equal(null_rows(True), first)  # a pure function of the step
    assert not null_rows(False).any()  # evaluation and test steps see every label
    model.optimizer.iterations.assign(1)
    assert not np.array_equal(null_rows(True), first)  # fresh draws each step


def test_two_replicas_train_like_one_device_with_the_null_condition(three_digits):
    x, y = three_digits
    keras.utils.set_random_seed(0)
    ds = tf.data.Dataset.from_tensor_slices((x[:96], y[:96])).batch(32)
    assert_two_replicas_like_one(_build(condition_dropout=0.5), ds)


def test_a_guided_decode_extrapolates_the_decoder_means_away_from_the_null_condition(
    guided_model,
):
    model = guided_model
    z = model.sample_prior(6, seed=1)
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32)
    with model.conditioned(labels):
        logits_y = model.decoder_params(z).numpy()
    with model.condition_scope.active(tf.zeros((6, 3))):
        logits_0 = model.decoder_params(z).numpy()
    p_y, p_0 = 1 / (1 + np.exp(-logits_y)), 1 / (1 + np.exp(-logits_0))
    for w in (0.5, 3.0):
        want = np.clip(p_y + w * (p_y - p_0), 1e-6, 1 - 1e-6)
        assert max_abs_diff(model.decode(z, labels, guidance=w), want) < 1e-5
        # a Bernoulli draw of the guided decode has the guided probabilities
        logits = model.likelihood.guide(logits_y, logits_0, w)
        assert max_abs_diff(model.likelihood.mean(logits), want) < 1e-5
    unguided = p_y
    assert max_abs_diff(model.decode(z, labels, guidance=0.0), unguided) < 1e-6
    # config.guidance (2) is the default of decode, generate and the samplers, not of
    # reconstructions
    assert max_abs_diff(model.decode(z, labels), model.decode(z, labels, guidance=2.0)) == 0
    drawn = model.generate(6, seed=4, condition=labels)
    assert max_abs_diff(drawn, model.decode(model.sample_prior(6, seed=4), labels, 2.0)) == 0
    assert max_abs_diff(drawn, model.generate(6, seed=4, condition=labels, guidance=0)) > 1e-3
    x = model.decode(z, labels, guidance=0.0)
    assert (
        max_abs_diff(
            model.reconstruct(x, labels), model.decode(model.encode(x, labels), labels, 0.0)
        )
        == 0
    )


def test_guidance_rescale_pulls_each_sample_back_to_its_conditional_spread(
    guided_model, three_digits, tmp_path
):
    """``guidance_rescale = phi``: the guided probabilities ``g`` become ``phi g std(p_y) /
    std(g) + (1 - phi) g`` per example (Lin et al., 2024), in every generation path; 0 is
    plain guidance; the config's value is the default and survives save/reload."""
    model = guided_model
    z = model.sample_prior(6, seed=1)
    labels = np.array([0, 1, 2, 0, 1, 2], np.int32)
    with model.conditioned(labels):
        p_y = tf.sigmoid(model.decoder_params(z)).numpy().astype(np.float64)
    with model.condition_scope.active(tf.zeros((6, 3))):
        p_0 = tf.sigmoid(model.decoder_params(z)).numpy().astype(np.float64)
    g = p_y + 3.0 * (p_y - p_0)
    ratio = (p_y.reshape(6, -1).std(1) / g.reshape(6, -1).std(1))[:, None, None, None]
    for phi in (0.5, 1.0):
        want = np.clip(phi * g * ratio + (1 - phi) * g, 1e-6, 1 - 1e-6)
        got = model.decode(z, labels, guidance=3.0, guidance_rescale=phi)
        assert max_abs_diff(got, want) < 1e-5
    plain = model.decode(z, labels, guidance=3.0)
    assert max_abs_diff(model.decode(z, labels, 3.0, guidance_rescale=0.0), plain) == 0
    assert max_abs_diff(model.decode(z, labels, 3.0, guidance_rescale=1.0), plain) > 1e-3
    # the samplers (traced and eager decodes), generate and the pipeline pass it on
    x, y = three_digits
    gmm = tfvae.build_sampler("gmm", model, n_components=2).fit(x, condition=y)
    for n in (300, 20):
        codes = gmm.sample_codes(n, seed=0, condition=np.ones(n, np.int32))
        want = model.decode(codes, np.ones(n, np.int32), 3.0, 0.5)
        got = gmm.sample(n, condition=1, guidance=3.0, guidance_rescale=0.5)
        assert max_abs_diff(got, want) < 1e-5
    drawn = model.generate(6, seed=4, condition=labels, guidance=3.0, guidance_rescale=0.5)
    assert max_abs_diff(drawn, model.decode(model.sample_prior(6, seed=4), labels, 3.0, 0.5)) == 0
    pipeline = tfvae.pipelines.GenerationPipeline(model, gmm)
    assert max_abs_diff(pipeline(20, condition=1, guidance=3.0, guidance_rescale=0.5), got) == 0
    # config.guidance_rescale is the default, saved with the model
    fresh = _build(condition_dropout=0.2, guidance=3.0, guidance_rescale=0.5)
    fresh.generate(2, condition=0)
    fresh.set_weights(model.get_weights())
    assert max_abs_diff(fresh.decode(z, labels), model.decode(z, labels, 3.0, 0.5)) < 1e-6
    fresh.save(tmp_path / "r.keras")
    again = keras.saving.load_model(tmp_path / "r.keras", safe_mode=True)
    assert again.config.guidance_rescale == 0.5
    assert max_abs_diff(again.decode(z, labels), fresh.decode(z, labels)) == 0


def test_samplers_pipelines_and_exports_generate_with_the_guidance(
    guided_model, three_digits, tmp_path
):
    model = guided_model
    x, y = three_digits
    gmm = tfvae.build_sampler("gmm", model, n_components=2).fit(x, condition=y)
    # 300 > one batch: the traced decode; one batch: the eager one
    for n in (300, 20):
        codes = gmm.sample_codes(n, seed=0, condition=np.ones(n, np.int32))
        want = model.decode(codes, np.ones(n, np.int32), guidance=0.5)
        got = gmm.sample(n, condition=1, guidance=0.5)
        assert max_abs_diff(got, want) < 1e-5
    default = gmm.sample(20, condition=1)  # the model's config.guidance
    assert max_abs_diff(default, model.decode(codes, np.ones(20, np.int32), 2.0)) < 1e-5
    pipeline = tfvae.pipelines.GenerationPipeline(model, gmm)
    assert (
        max_abs_diff(pipeline(20, condition=1, guidance=0.5), gmm.sample(20, 0, 256, False, 1, 0.5))
        == 0
    )
    noisy = gmm.sample(20, condition=1, noise=True, guidance=0.5)
    assert set(np.unique(noisy)) <= {0.0, 1.0}
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert (again.config.condition_dropout, again.config.guidance) == (0.2, 2.0)
    labels = np.array([0, 1, 2, 2], np.int32)
    assert (
        max_abs_diff(again.generate(4, condition=labels), model.generate(4, condition=labels)) == 0
    )
    # the SavedModel's decode and sample signatures are the guided ones (config.guidance)
    assert_exports_match(model, x[:4], tmp_path / "saved", condition=labels)


def test_guidance_makes_samples_more_recognisable_on_real_digits(guided_model, three_digits):
    """A classifier trained on the real digits 0-2 is surer of the requested class on guided
    prior samples than on unguided ones (the mechanism behind the README's Fashion-MNIST
    table; on three digit classes both are labelled right, so this compares the classifier's
    log-probability of the requested class)."""
    from sklearn.linear_model import LogisticRegression

    x, y = three_digits
    classifier = LogisticRegression(max_iter=2000).fit(x.reshape(len(x), -1), y)
    labels = np.repeat(np.arange(3, dtype=np.int32), 300)
    scores = {}
    for w in (0.0, 1.0, 3.0):
        samples = np.asarray(guided_model.generate(900, seed=2, condition=labels, guidance=w))
        log_p = classifier.predict_log_proba(samples.reshape(900, -1))
        scores[w] = float(np.mean(log_p[np.arange(900), labels]))
    assert scores[0.0] < scores[1.0] < scores[3.0], scores
