"""Observation models ``p(x|z)`` and the reconstruction terms derived from them.

A decoder's ``reconstruction`` output is the likelihood's *parameter*: logits for
:class:`BernoulliLikelihood`, means (locations) for the others. Learned scales are weights of
the model (:meth:`Likelihood.build`), one per feature. Reconstruction terms
are summed over every data dimension and returned per example (``[B]``); the models average
them over the batch, as Pythae does, so losses and NLLs are comparable with Pythae's.
"""

from __future__ import annotations

import math
from typing import Any

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def _event_ndims(x: tf.Tensor) -> int:
    return len(x.shape) - 1


def extrapolate(m_y: tf.Tensor, m_0: tf.Tensor, weight: float, rescale: float = 0.0) -> tf.Tensor:
    """Classifier-free guidance of means ``m_y, m_0: [B, *event_shape]`` (data units):
    ``g = m_y + w (m_y - m_0)``, and with ``rescale = phi`` in ``(0, 1]`` its spread pulled
    back to the conditional one (Lin et al., 2024, "guidance rescale"):
    ``phi * g * std(m_y) / std(g) + (1 - phi) * g``, each standard deviation taken over one
    example's features. Rescaling keeps strong guidance from saturating an example (every
    pixel pushed to 0 or 1) while keeping its direction."""
    guided = m_y + weight * (m_y - m_0)
    if not rescale:
        return guided
    axes = list(range(1, len(guided.shape)))
    ratio = tf.math.reduce_std(m_y, axis=axes, keepdims=True) / tf.maximum(
        tf.math.reduce_std(guided, axis=axes, keepdims=True), 1e-12
    )
    return rescale * guided * ratio + (1.0 - rescale) * guided


class Likelihood:
    """Interface: ``distribution(params)``, ``reconstruction_loss(x, params)``, ``mean``.

    Class attributes say what a likelihood is, so models, data checks and metrics read them:
    ``unit_interval`` (data must lie in ``[0, 1]``: Bernoulli, 8-bit), ``discrete`` (the data
    are 8-bit values ``k / 255`` and ``log_prob`` is a probability mass, so NLL has a
    bits/dim), ``learned_scale`` (the likelihood owns a learned ``log_scale`` per feature,
    created by :meth:`build` on the model, so it is trained and saved with it).
    """

    name: str = ""
    unit_interval: bool = False
    discrete: bool = False
    learned_scale: bool = False
    #: the decoder also returns ``log_scale`` ``[B, *data_shape]`` (a per-example scale head)
    scale_head: bool = False

    def __init__(self) -> None:
        self.log_scale: Any = None

    def build(self, owner: Any, event_shape: tuple[int, ...]) -> None:
        """Create the likelihood's weights on ``owner`` (a Keras layer: the model), shape
        ``event_shape``; nothing for likelihoods without parameters of their own."""
        if self.learned_scale:
            self.log_scale = owner.add_weight(
                shape=tuple(event_shape),
                initializer="zeros",
                trainable=True,
                name="likelihood_log_scale",
            )

    #: the scale before training, in data units, and its floor (a collapsing scale stops there)
    initial_scale: float = 1.0
    min_scale: float = 1e-3
    #: the weight is the log-scale divided by this gain, so that Adam (whose steps are about
    #: the learning rate, whatever the gradient) moves the log-scale ``gain`` times faster:
    #: from 1 to 0.1 in about 230 steps at learning rate 1e-3, not 2,300
    gain: float = 10.0

    def params_from(self, decoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The parameter tensor the other methods take, from a decoder's outputs: its
        ``reconstruction`` (likelihoods with a scale head stack ``log_scale`` on a last axis)."""
        return decoder_outputs["reconstruction"]

    def scale(self, params: tf.Tensor) -> tf.Tensor:
        """The learned per-feature scale ``initial_scale * exp(gain * w)``, ``event_shape``, in
        ``params``' dtype, floored at ``min_scale``."""
        log_scale = math.log(self.initial_scale) + self.gain * tf.cast(self.log_scale, params.dtype)
        return tf.exp(tf.maximum(log_scale, math.log(self.min_scale)))

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        """``p(x|z)`` with batch shape ``[B]`` and event shape ``data_shape``."""
        raise NotImplementedError

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """``log p(x|z)`` in nats, ``[B]`` (``x``: ``[B, *data_shape]``)."""
        return self.distribution(params).log_prob(x)

    def reconstruction_loss(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """The reconstruction term the models minimise, ``[B]``: ``-log p(x|z)`` (Pythae's
        ``"bce"``/``"mse"`` drop constants, see those classes)."""
        return -self.log_prob(x, params)

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        """``E[x|z]`` in data space, ``[B, *data_shape]``."""
        return params

    def guide(
        self, conditional: tf.Tensor, null: tf.Tensor, weight: float, rescale: float = 0.0
    ) -> tf.Tensor:
        """Classifier-free guidance of weight ``w``: the parameters whose mean is
        ``m_y + w (m_y - m_0)`` (rescaled by ``rescale``, :func:`extrapolate`), from the
        parameters under the condition (``conditional``, mean ``m_y``) and under the null
        condition (``null``, ``m_0``), kept in the data's support; the spread (scales) stays
        the conditional one. Here: locations."""
        return extrapolate(conditional, null, weight, rescale)


class BernoulliLikelihood(Likelihood):
    """Independent Bernoulli pixels; ``params`` are logits. Loss: summed binary cross-entropy
    ``-sum_i [x_i log p_i + (1 - x_i) log(1 - p_i)]`` (valid for x in [0, 1])."""

    name = "bce"
    unit_interval = True

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

    def guide(
        self, conditional: tf.Tensor, null: tf.Tensor, weight: float, rescale: float = 0.0
    ) -> tf.Tensor:
        """Guided probabilities ``p_y + w (p_y - p_0)`` (rescaled by ``rescale``,
        :func:`extrapolate`) in ``[1e-6, 1 - 1e-6]``, as logits. (On the probabilities, not
        the logits: where both are near 0, a background pixel, the logits' difference is
        large and its extrapolation would light the pixel up.)"""
        p_y, p_0 = tf.sigmoid(conditional), tf.sigmoid(null)
        p = tf.clip_by_value(extrapolate(p_y, p_0, weight, rescale), 1e-6, 1.0 - 1e-6)
        return tf.math.log(p) - tf.math.log1p(-p)


class GaussianLikelihood(Likelihood):
    """Independent unit-variance Gaussian pixels; ``params`` are means. Loss: Pythae's
    ``0.5 * sum_i (x_i - mu_i)^2``, i.e. ``-log p(x|z)`` without its constant
    ``(n / 2) log(2 pi)``, which :meth:`log_prob` includes."""

    name = "mse"

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


class LearnedScaleLikelihood(Likelihood):
    """Independent ``family(loc=params, scale=s_i)`` with a learned scale ``s_i`` per feature
    (:meth:`Likelihood.scale`); subclasses name the location-scale ``family``."""

    learned_scale = True
    family: Any = None

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        scale = tf.broadcast_to(self.scale(params), tf.shape(params))
        return tfd.Independent(
            self.family(loc=params, scale=scale), reinterpreted_batch_ndims=_event_ndims(params)
        )


class LearnedGaussianLikelihood(LearnedScaleLikelihood):
    """Independent Gaussians with a learned standard deviation per feature (one shared
    ``sigma_i`` for all examples: the sigma-VAE of Rybkin et al. 2021); ``params`` are means.

    ``-log p(x|z) = sum_i [(x_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi) / 2]``,
    exact (the constant included), so the loss and the NLL are in nats.
    """

    name = "gaussian_learned"
    family = tfd.Normal


class HeteroscedasticGaussianLikelihood(Likelihood):
    """Independent Gaussians whose standard deviation the decoder predicts per example and
    feature (a ``log_scale`` head beside ``reconstruction``): ``sigma = exp(log_scale)``,
    floored at ``1e-3``. ``params`` stack the means and log-scales, ``[B, *data_shape, 2]``.

    ``-log p(x|z) = sum_i [(x_i - mu_i)^2 / (2 sigma_i^2) + log sigma_i + log(2 pi) / 2]``.
    """

    name = "gaussian_heteroscedastic"
    scale_head = True

    def params_from(self, decoder_outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        if "log_scale" not in decoder_outputs:
            raise ValueError(
                "reconstruction_loss='gaussian_heteroscedastic' needs a decoder that also "
                "returns 'log_scale' [B, *input_shape] (tfvae.nn.MLPDecoder(..., "
                "scale_head=True), ConvNDDecoder(..., scale_head=True), or your own)"
            )
        mean = decoder_outputs["reconstruction"]
        log_scale = tf.cast(decoder_outputs["log_scale"], mean.dtype)
        return tf.stack([mean, log_scale], axis=-1)

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        mean, log_scale = params[..., 0], params[..., 1]
        scale = tf.exp(tf.maximum(log_scale, math.log(self.min_scale)))
        return tfd.Independent(
            tfd.Normal(loc=mean, scale=scale), reinterpreted_batch_ndims=_event_ndims(mean)
        )

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        return params[..., 0]

    def guide(
        self, conditional: tf.Tensor, null: tf.Tensor, weight: float, rescale: float = 0.0
    ) -> tf.Tensor:
        mean = extrapolate(conditional[..., 0], null[..., 0], weight, rescale)
        return tf.stack([mean, conditional[..., 1]], axis=-1)


class LaplaceLikelihood(LearnedScaleLikelihood):
    """Independent Laplace distributions with a learned scale ``b_i`` per feature (robust to
    outliers: the loss grows as ``|x - mu|``); ``params`` are locations (medians).

    ``-log p(x|z) = sum_i [|x_i - mu_i| / b_i + log(2 b_i)]``.
    """

    name = "laplace"
    family = tfd.Laplace


class DiscretizedLogisticLikelihood(Likelihood):
    """8-bit data ``x = k / 255`` (``k`` in 0..255) under a logistic distribution discretised
    into 256 bins (Salimans et al. 2017, one component), with a learned scale per feature;
    ``params`` are the means in ``[0, 1]`` units.

    ``P(k) = F((k + 0.5 - m) / s) - F((k - 0.5 - m) / s)`` with ``m = 255 mu``, the edge bins
    taking the tails (``k = 0``: ``F(0.5)``; ``k = 255``: ``1 - F(254.5)``), as
    ``tfd.QuantizedDistribution``. ``log_prob`` is a probability mass, so the NLL in nats
    divided by ``D log 2`` is the standard **bits/dim**.
    """

    name = "discretized_logistic"
    unit_interval = True
    discrete = True
    learned_scale = True
    initial_scale = 8.0 / 255.0  # eight intensity levels
    min_scale = 0.01 / 255.0

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        scale = tf.broadcast_to(255.0 * self.scale(params), tf.shape(params))
        logistic = tfd.Logistic(loc=255.0 * params - 0.5, scale=scale)
        quantized = tfd.QuantizedDistribution(logistic, low=0.0, high=255.0)
        return tfd.Independent(quantized, reinterpreted_batch_ndims=_event_ndims(params))

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        levels = tf.round(tf.clip_by_value(x, 0.0, 1.0) * 255.0)
        return self.distribution(params).log_prob(tf.cast(levels, params.dtype))

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        return tf.clip_by_value(params, 0.0, 1.0)

    def guide(
        self, conditional: tf.Tensor, null: tf.Tensor, weight: float, rescale: float = 0.0
    ) -> tf.Tensor:
        return tf.clip_by_value(extrapolate(conditional, null, weight, rescale), 0.0, 1.0)


class TableLikelihood(Likelihood):
    """Rows of a table as vectors ``[numeric features, one-hot block, one-hot block, ...]``:
    ``numeric`` (any real-valued likelihood) for the first ``num_numeric`` features and a
    one-hot categorical per block, joined by ``tfd.Blockwise``; ``params`` are the numeric
    parameters followed by each block's logits. ``mean`` gives the numeric means and each
    block's probabilities.
    """

    name = "table"

    def __init__(self, numeric: Likelihood, num_numeric: int, sizes: tuple[int, ...]) -> None:
        super().__init__()
        self.numeric = numeric
        self.num_numeric = int(num_numeric)
        self.sizes = tuple(int(k) for k in sizes)
        self.name = f"table({numeric.name})"

    def build(self, owner: Any, event_shape: tuple[int, ...]) -> None:
        if self.num_numeric:
            self.numeric.build(owner, (self.num_numeric,))

    def _split(self, t: tf.Tensor) -> list[tf.Tensor]:
        sizes = ([self.num_numeric] if self.num_numeric else []) + list(self.sizes)
        return tf.split(t, sizes, axis=-1)

    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        parts = self._split(params)
        parts_dist = []
        if self.num_numeric:
            parts_dist.append(self.numeric.distribution(parts.pop(0)))
        parts_dist += [tfd.OneHotCategorical(logits=p, dtype=params.dtype) for p in parts]
        return tfd.Blockwise(parts_dist)

    def log_prob(self, x: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        xs, ps = self._split(x), self._split(params)
        total = 0.0
        if self.num_numeric:
            total = self.numeric.log_prob(xs.pop(0), ps.pop(0))
        for xb, pb in zip(xs, ps, strict=True):
            total += tf.reduce_sum(xb * tf.nn.log_softmax(pb, axis=-1), axis=-1)
        return total

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        parts = self._split(params)
        out = [self.numeric.mean(parts.pop(0))] if self.num_numeric else []
        out += [tf.nn.softmax(p, axis=-1) for p in parts]
        return tf.concat(out, axis=-1)

    def guide(
        self, conditional: tf.Tensor, null: tf.Tensor, weight: float, rescale: float = 0.0
    ) -> tf.Tensor:
        """The numeric part by its likelihood (``rescale`` applies to it alone); each block's
        probabilities ``p_y + w (p_y - p_0)``, floored at 1e-6, as logits (renormalised by
        the softmax)."""
        ys, nulls = self._split(conditional), self._split(null)
        out = []
        if self.num_numeric:
            out.append(self.numeric.guide(ys.pop(0), nulls.pop(0), weight, rescale))
        for y_block, null_block in zip(ys, nulls, strict=True):
            p_y, p_0 = tf.nn.softmax(y_block, axis=-1), tf.nn.softmax(null_block, axis=-1)
            out.append(tf.math.log(tf.maximum(extrapolate(p_y, p_0, weight), 1e-6)))
        return tf.concat(out, axis=-1)


LIKELIHOODS: dict[str, type[Likelihood]] = {
    "bce": BernoulliLikelihood,
    "mse": GaussianLikelihood,
    "gaussian_learned": LearnedGaussianLikelihood,
    "gaussian_heteroscedastic": HeteroscedasticGaussianLikelihood,
    "laplace": LaplaceLikelihood,
    "discretized_logistic": DiscretizedLogisticLikelihood,
}


def get_likelihood(name: str) -> Likelihood:
    """The likelihood for a config's ``reconstruction_loss``: ``"bce"`` (Bernoulli), ``"mse"``
    (unit-variance Gaussian), ``"gaussian_learned"``, ``"gaussian_heteroscedastic"``,
    ``"laplace"``, ``"discretized_logistic"``
    (8-bit data; NLL in bits/dim)."""
    if name not in LIKELIHOODS:
        raise ValueError(
            f"unknown reconstruction_loss {name!r}; expected one of {list(LIKELIHOODS)}"
        )
    return LIKELIHOODS[name]()


def likelihood_for(config: Any) -> Likelihood:
    """The likelihood of a model config: ``get_likelihood(config.reconstruction_loss)``, as
    the numeric part of a :class:`TableLikelihood` when ``config.categorical_sizes``."""
    likelihood = get_likelihood(config.reconstruction_loss)
    sizes = tuple(getattr(config, "categorical_sizes", ()) or ())
    if not sizes:
        return likelihood
    return TableLikelihood(likelihood, int(config.input_shape[0]) - sum(sizes), sizes)
