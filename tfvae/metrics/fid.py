"""Sample quality: the Frechet distance between feature distributions (FID, Heusel et al.,
2017) and precision / recall of generative models on k-NN manifolds (Kynkaanniemi et al.,
2019), both on the features of a pluggable extractor (:mod:`tfvae.metrics.features`)."""

from __future__ import annotations

from typing import Any

import numpy as np


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean [F], covariance [F, F])`` of ``features [N, F]``, float64 (N >= 2)."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need features [N >= 2, F], got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))`` between two Gaussians, float64.

    ``Tr (S1 S2)^(1/2)`` is computed as the sum of square roots of the eigenvalues of the
    symmetric ``S1^(1/2) S2 S1^(1/2)`` (same spectrum), which stays real and stable where a
    general matrix square root returns complex noise for near-singular covariances.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(
            f"frechet_distance: shapes do not match: means {mu1.shape} {mu2.shape}, "
            f"covariances {s1.shape} {s2.shape}"
        )
    vals, vecs = np.linalg.eigh((s1 + s1.T) / 2.0)
    root1 = (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T
    middle = root1 @ s2 @ root1
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2.0), 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt)


def _features(images: Any, extractor: Any) -> np.ndarray:
    if extractor is None:
        from tfvae.metrics.features import default_extractor

        extractor = default_extractor()
    return np.asarray(extractor(np.asarray(images, np.float32)), np.float64)


def fid(real: Any, generated: Any, extractor: Any = None) -> float:
    """FID between two image sets ``[N, H, W, C]`` in [0, 1] on ``extractor``'s features
    (default: the shipped Fashion-MNIST classifier). Lower is better; 0 for identical sets.
    Use the same numbers of images when comparing models (the estimate is biased in N)."""
    f_real, f_gen = _features(real, extractor), _features(generated, extractor)
    return frechet_distance(*feature_statistics(f_real), *feature_statistics(f_gen))


def _kth_neighbour_radii(features: np.ndarray, k: int, chunk: int = 1024) -> np.ndarray:
    """Distance of each point to its k-th nearest other point, ``[N]``."""
    radii = np.empty(len(features))
    for i in range(0, len(features), chunk):
        d = _distances(features[i : i + chunk], features)
        radii[i : i + chunk] = np.sort(d, axis=1)[:, k]  # column 0 is the point itself
    return radii


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d2 = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(d2, 0.0, None))


def _coverage(
    points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int = 1024
) -> float:
    """Fraction of ``points`` inside at least one ball (``centres``, ``radii``)."""
    inside = 0
    for i in range(0, len(points), chunk):
        d = _distances(points[i : i + chunk], centres)
        inside += int(np.sum(np.any(d <= radii[None, :], axis=1)))
    return inside / len(points)


def precision_recall_features(
    real: np.ndarray, generated: np.ndarray, k: int = 3
) -> dict[str, float]:
    """Kynkaanniemi et al.'s improved precision and recall from features ``[N, F]``:
    precision is the fraction of generated points inside the real manifold (the union of balls
    around real points reaching their k-th nearest real neighbour), recall the fraction of real
    points inside the generated manifold."""
    real, generated = np.asarray(real, np.float64), np.asarray(generated, np.float64)
    if min(len(real), len(generated)) <= k:
        raise ValueError(f"precision/recall needs more than k={k} points in each set")
    real_radii = _kth_neighbour_radii(real, k)
    gen_radii = _kth_neighbour_radii(generated, k)
    return {
        "precision": _coverage(generated, real, real_radii),
        "recall": _coverage(real, generated, gen_radii),
    }


def precision_recall(
    real: Any, generated: Any, extractor: Any = None, k: int = 3
) -> dict[str, float]:
    """:func:`precision_recall_features` on ``extractor``'s features of two image sets."""
    return precision_recall_features(_features(real, extractor), _features(generated, extractor), k)
