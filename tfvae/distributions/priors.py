"""Priors over the latent space."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


def standard_normal(latent_dim: int, dtype: tf.DType = tf.float32) -> tfd.Distribution:
    """``p(z) = N(0, I_D)`` as a ``tfd.MultivariateNormalDiag`` with event shape ``[D]``."""
    return tfd.MultivariateNormalDiag(
        loc=tf.zeros([latent_dim], dtype), scale_diag=tf.ones([latent_dim], dtype)
    )
