"""Variational posteriors."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def diagonal_gaussian(mean: tf.Tensor, log_var: tf.Tensor) -> tfd.Distribution:
    """``q(z|x) = N(mean, diag(exp(log_var)))`` as a ``tfd.MultivariateNormalDiag``.

    Args:
        mean: ``[..., D]``.
        log_var: ``[..., D]`` log of the diagonal covariance.
    Returns:
        distribution with batch shape ``[...]`` and event shape ``[D]``; ``sample`` is
        reparameterised.
    """
    return tfd.MultivariateNormalDiag(loc=mean, scale_diag=tf.exp(0.5 * log_var))
