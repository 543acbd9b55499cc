"""Importance sampling: log-mean-exp, the importance-weighted bounds, the NLL estimator.

For a variational model with posterior ``q(z|x)``, prior ``p(z)`` and likelihood ``p(x|z)``,
the log importance weights of ``K`` samples ``z_k ~ q(z|x)`` are

    log w_k = log p(x|z_k) + log p(z_k) - log q(z_k|x)

and ``log (1/K) sum_k w_k`` is the IWAE bound on ``log p(x)``, tight as ``K -> inf``. The
estimator here is written once against ``posterior.log_prob``, ``prior.log_prob`` and
``likelihood.log_prob`` (through :meth:`BaseAE.importance_terms`), so it holds for any TFP
posterior/prior pair a model plugs in (flows, mixtures, ...).

Protocols (the seed's NLL table): Bernoulli likelihoods on binarised data (dynamic
binarisation in training, one fixed binarisation of the test set); Gaussian likelihoods on
dequantised data. On continuous data a Bernoulli "log-likelihood" is minus the binary
cross-entropy, which is not a normalised density.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.nn.trainable import unpack_inputs


def log_mean_exp(values: tf.Tensor, axis: int = 0) -> tf.Tensor:
    """``log(mean(exp(values), axis))`` computed stably with ``tf.reduce_logsumexp``."""
    n = tf.cast(tf.shape(values)[axis], values.dtype)
    return tf.reduce_logsumexp(values, axis=axis) - tf.math.log(n)


def report_terms(terms: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """``reconstruction`` (mean ``-log p(x|z)``) and ``kl`` (mean ``log q - log p``) over the
    importance samples of :meth:`BaseAE.importance_terms`, for ``fit`` logs."""
    return {
        "reconstruction": -tf.reduce_mean(terms["log_px"]),
        "kl": tf.reduce_mean(terms["log_q"] - terms["log_pz"]),
    }


@dataclasses.dataclass
class NLLEstimate:
    """Importance-sampling estimate of the negative log-likelihood.

    Attributes:
        nll: mean of ``-log p(x)`` over the examples, nats per example.
        stderr: standard error of that mean over examples.
        per_example: ``[N]`` estimates of ``-log p(x_i)``.
        n_samples: importance samples per example.
        bits_per_dim: ``nll / (D log 2)`` for discrete (8-bit) data, whose likelihood is a
            probability mass (``discretized_logistic``); ``None`` for densities, whose nats
            depend on the data's units.
    """

    nll: float
    stderr: float
    per_example: np.ndarray
    n_samples: int
    bits_per_dim: float | None = None

    def __str__(self) -> str:
        bits = "" if self.bits_per_dim is None else f", {self.bits_per_dim:.3f} bits/dim"
        return (
            f"{self.nll:.2f} +- {self.stderr:.2f} nats per example{bits} "
            f"(K={self.n_samples}, N={len(self.per_example)})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "nll": self.nll,
            "stderr": self.stderr,
            "n_examples": len(self.per_example),
            "n_samples": self.n_samples,
            "bits_per_dim": self.bits_per_dim,
        }


def default_chunk_size(batch_size: int, input_shape: tuple[int, ...], n_samples: int) -> int:
    """Importance samples per pass so that a chunk's decoder output stays near 16 M floats."""
    per_sample = max(1, batch_size * int(np.prod(input_shape)))
    return int(max(1, min(n_samples, (1 << 24) // per_sample)))


def estimate_nll(
    model: Any,
    data: Any,
    n_samples: int = 1000,
    batch_size: int = 64,
    chunk_size: int | None = None,
    seed: int = 0,
    condition: Any = None,
) -> NLLEstimate:
    """``-log p(x)`` by importance sampling with ``n_samples`` posterior samples per example.

    The ``K`` samples are drawn in chunks (``[chunk, B, D]`` at a time, each a vectorised,
    traced pass), so memory stays flat as ``K`` grows; their log-weights are combined with
    one log-sum-exp. Sampling is stateless (seeded by ``seed``, the batch and the chunk).

    Args:
        model: a variational tfvae model.
        data: ``[N, *input_shape]`` array or a ``tf.data.Dataset`` of batches.
        n_samples: K.
        batch_size: examples per pass (arrays only).
        chunk_size: samples per pass (default: :func:`default_chunk_size`).
        seed: sampling seed.
        condition: a conditional model's checked conditions ``[N, ...]`` of an array ``data``
            (a dataset's batches carry theirs as ``(x, y)``).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples <= 0:
        raise ValueError(f"nll: n_samples must be a positive int, got {n_samples!r}")
    if isinstance(data, tf.data.Dataset):
        pairs = ((unpack_inputs(b), b[1] if model.conditional else None) for b in data)
    else:
        arr = np.asarray(data, np.float32)
        if arr.shape[1:] != tuple(model.input_shape_):
            raise ValueError(
                f"nll: data examples have shape {arr.shape[1:]}, the model expects "
                f"{tuple(model.input_shape_)}"
            )
        pairs = (
            (arr[i : i + batch_size], None if condition is None else condition[i : i + batch_size])
            for i in range(0, len(arr), batch_size)
        )
    log_weights = model.nll_log_weights_fn()
    estimates = []
    for b, (x, y) in enumerate(pairs):
        x = tf.convert_to_tensor(x, tf.float32)
        chunk = chunk_size or default_chunk_size(int(x.shape[0]), model.input_shape_, n_samples)
        pieces = []
        for c, start in enumerate(range(0, n_samples, chunk)):
            k = min(chunk, n_samples - start)
            pieces.append(
                log_weights(x, y, tf.constant(k), tf.constant([seed, b * 100_003 + c], tf.int32))
            )
        log_w = tf.concat(pieces, axis=0)  # [K, B]
        estimates.append(-(tf.reduce_logsumexp(log_w, axis=0) - math.log(n_samples)).numpy())
    if not estimates:
        raise ValueError("nll: no data")
    per_example = np.concatenate(estimates).astype(np.float64)
    stderr = (
        float(per_example.std(ddof=1) / math.sqrt(len(per_example)))
        if len(per_example) > 1
        else float("nan")
    )
    nll = float(per_example.mean())
    bits = None
    if model.likelihood.discrete:
        bits = nll / (float(np.prod(model.input_shape_)) * math.log(2.0))
    return NLLEstimate(nll, stderr, per_example, n_samples, bits)
