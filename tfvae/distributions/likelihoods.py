"""Observation models ``p(x|z)`` and the reconstruction terms derived from them.

A decoder's ``reconstruction`` output is the likelihood's *parameter*: logits for
:class:`BernoulliLikelihood`, means for :class:`GaussianLikelihood`. Reconstruction terms
are summed over every data dimension and returned per example (``[B]``); the models average
them over the batch, as Pythae does, so losses and NLLs are comparable with Pythae's.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def _event_ndims(x: tf.Tensor) -> int:
    return len(x.shape) - 1


class Likelihood:
    """Interface: ``distribution(params)``, ``reconstruction_loss(x, params)``, ``mean``."""

    name: str = ""
    #: the decoder activation that produces this likelihood's parameters
    decoder_activation: str = ""

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        """``p(x|z)`` with batch shape ``[B]`` and event shape ``data_shape``."""
        raise NotImplementedError

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """``log p(x|z)`` in nats, ``[B]`` (``x``: ``[B, *data_shape]``)."""
        return self.distribution(params).log_prob(x)

    def reconstruction_loss(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """Pythae's reconstruction term, ``[B]``."""
        raise NotImplementedError

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        """``E[x|z]`` in data space, ``[B, *data_shape]``."""
        raise NotImplementedError


class BernoulliLikelihood(Likelihood):
    """Independent Bernoulli pixels; ``params`` are logits. Loss: summed binary cross-entropy
    ``-sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)]`` (valid for x in [0, 1])."""

    name = "bce"
    decoder_activation = "linear"

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        return tfd.Independent(
            tfd.Bernoulli(logits=params, dtype=params.dtype),
            reinterpreted_batch_ndims=_event_ndims(params),
        )

    def reconstruction_loss(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=params)
        return tf.reduce_sum(tf.reshape(ce, [tf.shape(ce)[0], -1]), axis=-1)

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        return -self.reconstruction_loss(x, params)

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        return tf.sigmoid(params)


class GaussianLikelihood(Likelihood):
    """Independent unit-variance Gaussian pixels; ``params`` are means. Loss: Pythae's
    ``0.5 * sum_i (x_i - mu_i)^2``, i.e. ``-log p(x|z)`` without its constant
    ``(n / 2) log(2 pi)``, which :meth:`log_prob` includes."""

    name = "mse"
    decoder_activation = "sigmoid"

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        return tfd.Independent(
            tfd.Normal(loc=params, scale=tf.ones_like(params)),
            reinterpreted_batch_ndims=_event_ndims(params),
        )

    def reconstruction_loss(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        sq = tf.square(x - params)
        return 0.5 * tf.reduce_sum(tf.reshape(sq, [tf.shape(sq)[0], -1]), axis=-1)

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        n = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), x.dtype)
        return -self.reconstruction_loss(x, params) - 0.5 * n * math.log(2 * math.pi)

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        return params


LIKELIHOODS: dict[str, type[Likelihood]] = {"bce": BernoulliLikelihood, "mse": GaussianLikelihood}


def get_likelihood(name: str) -> Likelihood:
    """The likelihood for a config's ``reconstruction_loss`` (``"bce"`` or ``"mse"``)."""
    if name not in LIKELIHOODS:
        raise ValueError(
            f"unknown reconstruction_loss {name!r}; expected one of {list(LIKELIHOODS)}"
        )
    return LIKELIHOODS[name]()
