"""Class accuracy and per-class FID of conditional samples: each class k is drawn once with
seed ``seed + k`` (``class_samples``), and one draw can serve both metrics unchanged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from tfvae.metrics import class_accuracy, class_samples, per_class_fid
from tfvae.metrics.fid import fid


class _Source:
    """A stand-in conditional model: class k's samples are 4x4 images of brightness k/3 plus
    noise, except every other sample of class 2, which looks like class 1."""

    def __init__(self) -> None:
        self.config = SimpleNamespace(num_classes=3)
        self.calls: list[tuple[int, int, int]] = []

    def generate(self, n, seed, condition, guidance, consistent, guidance_rescale):
        self.calls.append((n, seed, condition))
        level = np.full(n, condition / 3)
        if condition == 2:
            level[::2] = 1 / 3
        noise = 0.02 * np.random.default_rng(seed).standard_normal((n, 4, 4, 1))
        return level[:, None, None, None] + noise


def _brightness_class(images):
    return np.round(np.asarray(images).mean(axis=(1, 2, 3)) * 3)


def _flatten(images):
    return np.asarray(images).reshape(len(images), -1)


def test_class_samples_draw_each_class_once_with_its_own_seed():
    source = _Source()
    samples = class_samples(source, n_per_class=6, seed=5)
    assert source.calls == [(6, 5, 0), (6, 6, 1), (6, 7, 2)]
    assert sorted(samples) == [0, 1, 2] and samples[1].shape == (6, 4, 4, 1)
    assert list(class_samples(_Source(), classes=[2], n_per_class=2)) == [2]


def test_one_draw_serves_class_accuracy_and_per_class_fid():
    source = _Source()
    score = class_accuracy(source, n_per_class=10, seed=5, classifier=_brightness_class)
    assert score.per_class == {0: 1.0, 1: 1.0, 2: 0.5}
    assert score.confusion[2].tolist() == [0, 5, 5]
    samples = class_samples(source, n_per_class=10, seed=5)
    calls = len(source.calls)
    again = class_accuracy(source, classifier=_brightness_class, samples=samples)
    assert again.per_class == score.per_class and len(source.calls) == calls  # nothing drawn

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 40)
    real = labels[:, None, None, None] / 3 + 0.02 * rng.standard_normal((120, 4, 4, 1))
    drawn = per_class_fid(source, real, labels, n_per_class=10, extractor=_flatten, seed=5)
    given = per_class_fid(None, real, labels, n_per_class=10, extractor=_flatten, samples=samples)
    assert given == drawn
    for k in range(3):
        assert drawn[str(k)] == pytest.approx(fid(real[labels == k], samples[k], _flatten))
    pooled = np.concatenate([samples[k] for k in range(3)])  # balanced labels: all of each
    assert drawn["overall"] == pytest.approx(fid(real, pooled, _flatten))
    assert drawn["2"] > 10 * drawn["1"]  # half of class 2's samples are class 1's
