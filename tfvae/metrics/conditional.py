"""Metrics of conditional generation: does a sample of class k look like class k?"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tfvae.metrics.features import ClassifierFeatures
from tfvae.metrics.fid import fid
from tfvae.samplers.base import BaseSampler


@dataclass
class ClassAccuracy:
    """Per-class accuracy of generated samples under a classifier.

    Attributes:
        per_class: ``{class: fraction of its samples the classifier labels with it}``.
        confusion: ``[C, C]`` counts, row = requested class, column = predicted class.
    """

    per_class: dict[int, float]
    confusion: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.per_class.values())))

    @property
    def worst(self) -> float:
        return float(min(self.per_class.values()))

    def __str__(self) -> str:
        cells = ", ".join(f"{k}: {v:.0%}" for k, v in self.per_class.items())
        return f"class accuracy {self.mean:.1%} (worst {self.worst:.1%}; {cells})"


def _generator(
    source: Any,
    guidance: float | None = None,
    consistent: bool = False,
    guidance_rescale: float | None = None,
) -> Callable[[int, int, Any], np.ndarray]:
    """``(n, seed, condition) -> samples`` of a conditional model or of a sampler of one, at
    the guidance weight ``guidance`` and rescale ``guidance_rescale`` (defaults: the
    model's), consistent or not (``sample``)."""
    draw = source.sample if isinstance(source, BaseSampler) else source.generate
    return lambda n, seed, c: np.asarray(
        draw(
            n,
            seed=seed,
            condition=c,
            guidance=guidance,
            consistent=consistent,
            guidance_rescale=guidance_rescale,
        )
    )


def class_samples(
    source: Any,
    classes: Sequence[int] | None = None,
    n_per_class: int = 100,
    seed: int = 0,
    guidance: float | None = None,
    consistent: bool = False,
    guidance_rescale: float | None = None,
) -> dict[int, np.ndarray]:
    """``n_per_class`` samples of each requested class, ``{k: [n_per_class, *event_shape]}``,
    class k drawn with seed ``seed + k``: what :func:`class_accuracy` and
    :func:`per_class_fid` score, so one draw (``samples=``) can serve both.

    Args:
        source: a class-conditional model (``generate(n, condition=k)``) or a sampler of one
            (``sample(n, condition=k)``).
        classes: the classes to request (default: all ``num_classes``).
        guidance: the classifier-free guidance weight of the samples (default: the model's
            ``config.guidance``); ``guidance_rescale``: its rescale (default: the model's).
        consistent: consistent samples (``sample(..., consistent=True)``: the ones the model
            itself classifies as their class).
    """
    model = getattr(source, "model", source)
    if classes is None:
        classes = range(int(model.config.num_classes))
    generate = _generator(source, guidance, consistent, guidance_rescale)
    return {int(k): generate(n_per_class, seed + int(k), int(k)) for k in classes}


def class_accuracy(
    source: Any,
    classes: Sequence[int] | None = None,
    n_per_class: int = 100,
    classifier: Any = None,
    seed: int = 0,
    guidance: float | None = None,
    consistent: bool = False,
    guidance_rescale: float | None = None,
    samples: dict[int, np.ndarray] | None = None,
) -> ClassAccuracy:
    """Generate ``n_per_class`` samples of each requested class and classify them.

    Args:
        source, classes, n_per_class, seed, guidance, consistent, guidance_rescale: what
            to draw, as in :func:`class_samples`.
        classifier: ``images -> labels [N]`` (an object with ``predict`` or a callable);
            default: the shipped Fashion-MNIST classifier (28x28x1 images).
        samples: ``class_samples(...)`` already drawn (then nothing is drawn; ``classes``
            defaults to its keys).
    """
    model = getattr(source, "model", source)
    n_classes = int(model.config.num_classes)
    if samples is None:
        samples = class_samples(
            source, classes, n_per_class, seed, guidance, consistent, guidance_rescale
        )
    classes = sorted(samples) if classes is None else [int(k) for k in classes]
    classifier = classifier if classifier is not None else ClassifierFeatures()
    predict = classifier.predict if hasattr(classifier, "predict") else classifier
    confusion = np.zeros((n_classes, n_classes), np.int64)
    per_class = {}
    for k in classes:
        labels = np.asarray(predict(samples[k])).astype(int)
        confusion[k] += np.bincount(labels, minlength=n_classes)[:n_classes]
        per_class[k] = float(np.mean(labels == k))
    return ClassAccuracy(per_class, confusion)


def per_class_fid(
    source: Any,
    real: np.ndarray,
    labels: np.ndarray,
    n_per_class: int = 500,
    extractor: Any = None,
    seed: int = 0,
    guidance: float | None = None,
    consistent: bool = False,
    guidance_rescale: float | None = None,
    samples: dict[int, np.ndarray] | None = None,
) -> dict[str, float]:
    """FID of each class's samples against the real images of that class, and overall (all
    classes' samples, in the real data's class proportions, against all real images).

    Args:
        real: ``[N, H, W, C]`` images in [0, 1]; ``labels``: their classes ``[N]``.
        n_per_class, seed, guidance, consistent, guidance_rescale: what to draw of each
            class in ``labels``, as in :func:`class_samples`.
        samples: ``class_samples(...)`` already drawn, one entry per class in ``labels``
            with ``n_per_class`` rows (then nothing is drawn).
    Returns:
        ``{"0": ..., "1": ..., ..., "overall": ...}``.
    """
    labels = np.asarray(labels).astype(int)
    classes = [int(k) for k in np.unique(labels)]
    if samples is None:
        samples = class_samples(
            source, classes, n_per_class, seed, guidance, consistent, guidance_rescale
        )
    out, pooled = {}, []
    for k in classes:
        out[str(k)] = fid(real[labels == k], samples[k], extractor)
        share = int(round(n_per_class * np.mean(labels == k) * len(classes)))
        pooled.append(samples[k][: max(1, share)])
    out["overall"] = fid(real, np.concatenate(pooled), extractor)
    return out
