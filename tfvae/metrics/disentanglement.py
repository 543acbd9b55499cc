"""Disentanglement metrics on datasets with known factors, following the protocols of
disentanglement_lib (Locatello et al., 2019): the beta-VAE score (Higgins et al., 2017), the
FactorVAE score (Kim & Mnih, 2018), the mutual information gap (MIG, Chen et al., 2018) and
DCI disentanglement / completeness / informativeness (Eastwood & Williams, 2018).

Every metric takes a ``representation`` (a tfvae model, whose :meth:`encode` gives the
posterior means, or any callable ``observations [n, ...] -> codes [n, D]``) and a
:class:`~tfvae.data.shapes.GroundTruthData` (e.g. :class:`~tfvae.data.shapes.Shapes`), and
returns a dict of floats. Defaults are disentanglement_lib's sample sizes; smaller ones give
noisier, faster estimates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from tfvae.data.shapes import GroundTruthData

Representation = Callable[[np.ndarray], np.ndarray]


@runtime_checkable
class Encodes(Protocol):
    """What the metrics take besides a callable: a tfvae model, or any object whose
    ``encode(x: [n, *shape]) -> [n, D]`` gives codes (posterior means)."""

    def encode(self, x: Any) -> Any: ...


METRICS = ("beta_vae", "factor_vae", "mig", "dci")


def as_representation(model: Any, batch_size: int = 256) -> Representation:
    """``observations -> codes`` float64 ``[n, D]`` from a model with ``encode`` (posterior
    means, in batches) or a callable."""
    if isinstance(model, Encodes):

        def encode(x: np.ndarray) -> np.ndarray:
            parts = [
                np.asarray(model.encode(x[i : i + batch_size]))
                for i in range(0, len(x), batch_size)
            ]
            return np.concatenate(parts).astype(np.float64)

        return encode
    if callable(model):
        return lambda x: np.asarray(model(x), np.float64)
    raise TypeError(f"expected a model with encode() or a callable, got {type(model).__name__}")


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _codes(rep: Representation, x: np.ndarray) -> np.ndarray:
    codes = np.asarray(rep(x), np.float64)
    if codes.ndim != 2 or len(codes) != len(x):
        raise ValueError(f"the representation must return codes [n, D]; got shape {codes.shape}")
    return codes


def factor_codes(
    model: Any,
    data: GroundTruthData,
    num_points: int,
    seed: int | np.random.Generator = 0,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """``(codes [n, D], factors [n, K])`` of ``num_points`` random observations."""
    rep, rng = as_representation(model), _rng(seed)
    codes, factors = [], []
    for start in range(0, num_points, batch_size):
        f, x = data.sample(min(batch_size, num_points - start), rng)
        codes.append(_codes(rep, x))
        factors.append(f)
    return np.concatenate(codes), np.concatenate(factors)


# -- beta-VAE score -----------------------------------------------------------------------
def _beta_vae_points(
    rep: Representation, data: GroundTruthData, n: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    features, labels = [], []
    for _ in range(n):
        k = int(rng.integers(data.num_factors))
        f1 = data.sample_factors(batch_size, rng)
        f2 = data.sample_factors(batch_size, rng)
        f2[:, k] = f1[:, k]
        z1 = _codes(rep, data.sample_observations_from_factors(f1, rng))
        z2 = _codes(rep, data.sample_observations_from_factors(f2, rng))
        features.append(np.mean(np.abs(z1 - z2), axis=0))
        labels.append(k)
    return np.stack(features), np.asarray(labels)


def beta_vae_score(
    model: Any,
    data: GroundTruthData,
    seed: int | np.random.Generator = 0,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
) -> dict[str, float]:
    """Higgins et al.: accuracy of a linear classifier (scikit-learn's logistic regression)
    predicting which factor two batches of ``batch_size`` observations share from the mean
    absolute difference of their codes. Chance is ``1 / num_factors``.

    Returns:
        ``train_accuracy``, ``eval_accuracy`` in [0, 1].
    """
    from sklearn.linear_model import LogisticRegression

    rep, rng = as_representation(model), _rng(seed)
    x_train, y_train = _beta_vae_points(rep, data, num_train, batch_size, rng)
    x_eval, y_eval = _beta_vae_points(rep, data, num_eval, batch_size, rng)
    classifier = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    return {
        "train_accuracy": float(classifier.score(x_train, y_train)),
        "eval_accuracy": float(classifier.score(x_eval, y_eval)),
    }


# -- FactorVAE score ----------------------------------------------------------------------
def _factor_vae_votes(
    rep: Representation,
    data: GroundTruthData,
    n: int,
    batch_size: int,
    scale: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    votes = np.zeros((data.num_factors, len(scale)), np.int64)
    for _ in range(n):
        k = int(rng.integers(data.num_factors))
        factors = data.sample_factors(batch_size, rng)
        factors[:, k] = factors[0, k]
        codes = _codes(rep, data.sample_observations_from_factors(factors, rng))
        local = np.var(codes, axis=0, ddof=1)
        dim = active[np.argmin(local[active] / scale[active])]
        votes[k, dim] += 1
    return votes


def factor_vae_score(
    model: Any,
    data: GroundTruthData,
    seed: int | np.random.Generator = 0,
    batch_size: int = 64,
    num_train: int = 10000,
    num_eval: int = 5000,
    num_variance_estimate: int = 10000,
) -> dict[str, float]:
    """Kim & Mnih: fix one factor in a batch, normalise each code dimension by its global
    variance, and vote for (fixed factor, dimension of least variance); a majority-vote
    classifier maps dimensions to factors. Dimensions with zero global variance (collapsed)
    are ignored.

    Returns:
        ``train_accuracy``, ``eval_accuracy`` in [0, 1] (0 when no dimension is active),
        ``num_active_dims``.
    """
    rep, rng = as_representation(model), _rng(seed)
    codes, _ = factor_codes(rep, data, num_variance_estimate, rng)
    scale = np.var(codes, axis=0, ddof=1)
    active = np.flatnonzero(scale > 0.0)
    if len(active) == 0:
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0}
    train = _factor_vae_votes(rep, data, num_train, batch_size, scale, active, rng)
    evals = _factor_vae_votes(rep, data, num_eval, batch_size, scale, active, rng)
    classifier = np.argmax(train, axis=0)  # factor voted for by each dimension
    dims = np.arange(train.shape[1])
    return {
        "train_accuracy": float(train[classifier, dims].sum() / train.sum()),
        "eval_accuracy": float(evals[classifier, dims].sum() / evals.sum()),
        "num_active_dims": len(active),
    }


# -- MIG ----------------------------------------------------------------------------------
def discretize(codes: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Each column of ``codes [n, D]`` binned into ``num_bins`` equal-width bins -> ints."""
    out = np.zeros(codes.shape, np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram(codes[:, j], num_bins)[1]
        out[:, j] = np.digitize(codes[:, j], edges[:-1])
    return out


def mutual_info_matrix(codes: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``I(code_i; factor_j)`` in nats, ``[D, K]``, for discrete ``codes [n, D]`` and
    ``factors [n, K]`` (scikit-learn's ``mutual_info_score``)."""
    from sklearn.metrics import mutual_info_score

    return np.array(
        [
            [mutual_info_score(factors[:, j], codes[:, i]) for j in range(factors.shape[1])]
            for i in range(codes.shape[1])
        ]
    )


def mig_from_codes(codes: np.ndarray, factors: np.ndarray, num_bins: int = 20) -> dict[str, Any]:
    """MIG of given ``codes [n, D]`` (continuous, binned) and ``factors [n, K]`` (discrete):
    mean over factors of the gap between the two code dimensions most informative about it,
    divided by the factor's entropy."""
    if codes.shape[1] < 2:
        raise ValueError("MIG needs at least 2 code dimensions")
    from sklearn.metrics import mutual_info_score

    mi = mutual_info_matrix(discretize(codes, num_bins), factors)
    entropy = np.array([mutual_info_score(f, f) for f in factors.T])
    top = np.sort(mi, axis=0)[::-1]
    gaps = (top[0] - top[1]) / np.maximum(entropy, 1e-12)
    return {"mig": float(np.mean(gaps)), "per_factor": [float(g) for g in gaps]}


def mig(
    model: Any,
    data: GroundTruthData,
    seed: int | np.random.Generator = 0,
    num_train: int = 10000,
    num_bins: int = 20,
    batch_size: int = 256,
) -> dict[str, Any]:
    """Chen et al.'s mutual information gap on ``num_train`` random observations (codes binned
    into ``num_bins`` equal-width bins, as disentanglement_lib).

    Returns:
        ``mig`` in [0, 1] and ``per_factor`` gaps.
    """
    codes, factors = factor_codes(model, data, num_train, seed, batch_size)
    return mig_from_codes(codes, factors, num_bins)


# -- DCI ----------------------------------------------------------------------------------
def _entropy(p: np.ndarray, base: int, axis: int) -> np.ndarray:
    p = p / p.sum(axis=axis, keepdims=True)
    return -np.sum(p * np.log(p), axis=axis) / np.log(base)


def dci_from_importance(importance: np.ndarray) -> tuple[float, float]:
    """(disentanglement, completeness) of an importance matrix ``[D codes, K factors]``."""
    importance = np.abs(importance) + 1e-11
    total = importance.sum()
    d, k = importance.shape
    disentanglement = 1.0 - _entropy(importance, max(k, 2), axis=1) if k > 1 else np.ones(d)
    completeness = 1.0 - _entropy(importance, max(d, 2), axis=0) if d > 1 else np.ones(k)
    return (
        float(np.sum(disentanglement * importance.sum(1) / total)),
        float(np.sum(completeness * importance.sum(0) / total)),
    )


def dci(
    model: Any,
    data: GroundTruthData,
    seed: int | np.random.Generator = 0,
    num_train: int = 10000,
    num_test: int = 5000,
    batch_size: int = 256,
    regressor: str = "gbt",
) -> dict[str, float]:
    """Eastwood & Williams: one classifier per factor predicts it from the codes; their feature
    importances form a ``[D, K]`` matrix whose row entropies give disentanglement and column
    entropies completeness; informativeness is their accuracy.

    Args:
        regressor: ``"gbt"`` (scikit-learn's gradient-boosted trees, disentanglement_lib's
            choice) or ``"random_forest"`` (faster).
    Returns:
        ``disentanglement``, ``completeness`` in [0, 1], ``informativeness_train`` and
        ``informativeness_test`` (mean accuracy over factors).
    """
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

    rng = _rng(seed)
    z_train, f_train = factor_codes(model, data, num_train, rng, batch_size)
    z_test, f_test = factor_codes(model, data, num_test, rng, batch_size)
    importance = np.zeros((z_train.shape[1], f_train.shape[1]))
    acc_train, acc_test = [], []
    for j in range(f_train.shape[1]):
        if regressor == "gbt":
            clf = GradientBoostingClassifier(random_state=0)
        elif regressor == "random_forest":
            clf = RandomForestClassifier(
                n_estimators=50, max_depth=8, max_features=None, random_state=0, n_jobs=-1
            )
        else:
            raise ValueError(f"dci: regressor must be 'gbt' or 'random_forest', got {regressor!r}")
        clf.fit(z_train, f_train[:, j])
        importance[:, j] = np.abs(clf.feature_importances_)
        acc_train.append(np.mean(clf.predict(z_train) == f_train[:, j]))
        acc_test.append(np.mean(clf.predict(z_test) == f_test[:, j]))
    disentanglement, completeness = dci_from_importance(importance)
    return {
        "disentanglement": disentanglement,
        "completeness": completeness,
        "informativeness_train": float(np.mean(acc_train)),
        "informativeness_test": float(np.mean(acc_test)),
    }


def evaluate_disentanglement(
    model: Any,
    data: GroundTruthData,
    metrics: tuple[str, ...] = METRICS,
    seed: int = 0,
    scale: float = 1.0,
) -> dict[str, dict[str, Any]]:
    """Several metrics at once; ``scale`` multiplies every sample size (e.g. 0.1 for a quick
    look). Returns ``{metric: result}``."""
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f"unknown disentanglement metrics {unknown}; available: {METRICS}")

    def n(default: int) -> int:
        return max(2, int(round(default * scale)))

    runs = {
        "beta_vae": lambda: beta_vae_score(model, data, seed, num_train=n(10000), num_eval=n(5000)),
        "factor_vae": lambda: factor_vae_score(
            model, data, seed, num_train=n(10000), num_eval=n(5000), num_variance_estimate=n(10000)
        ),
        "mig": lambda: mig(model, data, seed, num_train=n(10000)),
        "dci": lambda: dci(model, data, seed, num_train=n(10000), num_test=n(5000)),
    }
    return {name: runs[name]() for name in metrics}
