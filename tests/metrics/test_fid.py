"""Frechet distance and precision/recall against references; the shipped feature classifier."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from tfvae.metrics import (
    ClassifierFeatures,
    feature_statistics,
    fid,
    frechet_distance,
    precision_recall,
    precision_recall_features,
)


def _reference(mu1, s1, mu2, s2):
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2.0 * covmean))


def test_frechet_distance_matches_scipy_on_random_gaussians():
    rng = np.random.default_rng(0)
    for dim in (1, 5, 32):
        a, b = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim))
        s1, s2 = a @ a.T + 0.1 * np.eye(dim), b @ b.T + 0.1 * np.eye(dim)
        mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
        got = frechet_distance(mu1, s1, mu2, s2)
        assert got == pytest.approx(_reference(mu1, s1, mu2, s2), rel=1e-7)
        assert frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-7 * np.trace(s1))
    # 1-D closed form: (m1 - m2)^2 + (sd1 - sd2)^2
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    with pytest.raises(ValueError, match="shapes do not match"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_fid_of_a_set_with_itself_is_zero_and_grows_with_a_shift():
    rng = np.random.default_rng(1)
    images = rng.random((200, 4, 4, 1)).astype("float32")

    def flatten(x):
        return x.reshape(len(x), -1)

    assert fid(images, images, extractor=flatten) == pytest.approx(0.0, abs=1e-9)
    near = fid(images[:100], images[100:], extractor=flatten)
    far = fid(images, np.clip(images + 0.3, 0, 1), extractor=flatten)
    assert 0 < near < far
    mu, cov = feature_statistics(flatten(images))
    assert mu.shape == (16,) and cov.shape == (16, 16)


def test_precision_recall_of_a_set_with_itself_is_one_and_drops_when_shifted():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(400, 8))
    same = precision_recall_features(real, real, k=3)
    assert same == {"precision": 1.0, "recall": 1.0}
    shifted = precision_recall_features(real, real + 3.0, k=3)
    assert shifted["precision"] < 0.2 and shifted["recall"] < 0.2
    # a generator covering half the data: precise, but recalls only part of it
    half = real[real[:, 0] > 0]
    partial = precision_recall_features(real, half, k=3)
    assert partial["precision"] == 1.0 and partial["recall"] < 0.8
    with pytest.raises(ValueError, match="more than k"):
        precision_recall_features(real[:3], real[:3], k=3)


def test_the_shipped_classifier_separates_real_from_noise(fashion):
    extractor = ClassifierFeatures()
    feats = extractor(fashion.x_test[:10])
    assert feats.shape == (10, 128) and np.isfinite(feats).all()
    real_a, real_b = fashion.x_test[:250], fashion.x_test[250:500]
    noise = np.random.default_rng(0).random((250, 28, 28, 1)).astype("float32")
    assert fid(real_a, real_b, extractor) < 0.2 * fid(real_a, noise, extractor)
    assert precision_recall(real_a, noise, extractor)["recall"] < 0.05
    one_class = real_b[fashion.y_test[250:500] == 7]  # a "generator" of sneakers only
    pr = precision_recall(real_a, one_class, extractor)
    assert pr["precision"] > 0.7 and pr["recall"] < 0.3  # precise but not diverse
    with pytest.raises(ValueError, match="takes images"):
        extractor(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(FileNotFoundError, match="train_fid_classifier"):
        ClassifierFeatures("missing/model.keras")
