"""PoincareDiskSampler: codes from a PoincareVAE's wrapped-normal prior on the ball."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.samplers.base import BaseSampler, register_sampler


@register_sampler("poincare_disk")
class PoincareDiskSampler(BaseSampler):
    """Samples ``z ~ N^W(0, I)`` on the Poincare ball (the model's prior) and decodes them;
    Pythae's ``PoincareDiskSampler``. Only for models whose ``latent_geometry`` is
    ``"poincare"``.

    Example:
        >>> images = PoincareDiskSampler(pvae).sample(64)
    """

    requires_geometry = ("poincare", "PoincareVAE")

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        return np.asarray(self.model.sample_prior(n, seed=seed))

    def log_prob(self, codes: Any) -> np.ndarray:
        return np.asarray(self.model.prior().log_prob(tf.convert_to_tensor(codes, tf.float32)))
