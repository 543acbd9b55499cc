"""Class-consistent generation: a class-conditional model classifies its own samples.

A model of ``p(x | y)`` is also a classifier by Bayes' rule: with a uniform class prior,
``p(y = k | x) ∝ p(x | y = k)``, each term estimated by importance sampling as ``nll`` does.
:func:`consistent_draws` keeps the samples of class k that the model itself assigns to k and
redraws the others: rejection sampling towards the class's unambiguous examples, as a lower
temperature or guidance is, but judged by the model's own likelihood (no external classifier).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tfvae.errors import ConfigError, InconsistentSamplesError

#: seed stride between redraw rounds (a prime, so rounds never reuse a seed of another)
_ROUND_STRIDE = 7919


def check_classifier(model: Any) -> None:
    """Refuse a model that cannot classify by its own likelihood: it must be conditional on
    ``condition="class"``, variational and trained as a likelihood (``nll`` works)."""
    name = type(model).__name__
    if model.config.condition != "class":
        raise ConfigError(
            f"{name}: consistent sampling and classify() need a class-conditional model "
            f"(condition='class'), got condition={model.config.condition!r}"
        )
    if not (model.variational and model.likelihood_model):
        raise ConfigError(
            f"{name} has no likelihood p(x | y) to classify with (it is not variational or "
            "its decoder is not trained as a likelihood); sample with consistent=False"
        )


def class_log_likelihoods(
    model: Any, x: Any, n_samples: int = 10, batch_size: int = 64, seed: int = 0
) -> np.ndarray:
    """``log p(x | y = k)`` for every class k, ``[N, num_classes]`` in nats, for examples
    ``x: [N, *input_shape]`` in data units (``K = n_samples`` importance samples each)."""
    check_classifier(model)
    x = np.asarray(x, np.float32)
    columns = []
    for k in range(int(model.config.num_classes)):
        estimate = model.nll(
            x,
            n_samples=n_samples,
            batch_size=batch_size,
            seed=seed,
            condition=np.full(len(x), k, np.int32),
        )
        columns.append(-np.asarray(estimate.per_example, np.float64))
    return np.stack(columns, axis=1)


def consistent_draws(
    model: Any,
    draw: Callable[[np.ndarray, int], Any],
    labels: np.ndarray,
    seed: int = 0,
    n_samples: int = 10,
    max_rounds: int = 20,
) -> np.ndarray:
    """Samples of the requested classes that the model classifies as their class.

    Args:
        model: a class-conditional variational model (:func:`check_classifier`).
        draw: ``(labels [m] int32, seed) -> [m, *input_shape]``: unfiltered samples of the
            given classes (a sampler's or the prior's draws).
        labels: ``[n]`` int32, the class of each requested sample.
        seed: the first round's seed (its accepted samples are ``draw(labels, seed)``'s);
            round r redraws the rejected rows with ``seed + 7919 r``.
        n_samples: importance samples per class likelihood (:func:`class_log_likelihoods`).
        max_rounds: draws per row at most.

    Returns:
        ``[n, *input_shape]``: row i is a draw of class ``labels[i]`` that the model assigns
        to ``labels[i]`` (``argmax_k log p(x | k)``).

    Raises:
        InconsistentSamplesError: rows still rejected after ``max_rounds`` draws; names the
            classes and their acceptance rates.
    """
    check_classifier(model)
    labels = np.asarray(labels, np.int32).reshape(-1)
    n_classes = int(model.config.num_classes)
    tried = np.zeros(n_classes, np.int64)
    kept = np.zeros(n_classes, np.int64)
    pending = np.arange(len(labels))
    out: np.ndarray | None = None
    for r in range(max_rounds):
        round_seed = seed + _ROUND_STRIDE * r
        x = np.asarray(draw(labels[pending], round_seed))
        if out is None:
            out = np.empty((len(labels), *x.shape[1:]), x.dtype)
        assigned = class_log_likelihoods(model, x, n_samples, seed=round_seed).argmax(axis=1)
        ok = assigned == labels[pending]
        out[pending[ok]] = x[ok]
        np.add.at(tried, labels[pending], 1)
        np.add.at(kept, labels[pending][ok], 1)
        pending = pending[~ok]
        if not len(pending):
            return out
    missing = sorted(set(labels[pending].tolist()))
    rates = ", ".join(f"class {k}: {kept[k]}/{tried[k]} kept" for k in missing)
    raise InconsistentSamplesError(
        f"{type(model).__name__}: after {max_rounds} draws, {len(pending)} requested samples "
        f"were still classified as another class by the model itself ({rates}); the model "
        "does not separate these classes: train it longer, raise the guidance, or sample "
        "with consistent=False"
    )
