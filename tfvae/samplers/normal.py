"""NormalSampler: codes from the model's prior."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfvae.samplers.base import BaseSampler, register_sampler


@register_sampler("normal")
class NormalSampler(BaseSampler):
    """Samples ``z ~ p(z)`` (the model's prior, N(0, I) for the VAE) and decodes them.

    Example:
        >>> images = NormalSampler(model).sample(64)   # [64, H, W, C]
    """

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        return np.asarray(self.model.sample_prior(n, seed=seed))

    def log_prob(self, codes: Any) -> np.ndarray:
        return np.asarray(self.model.prior_log_prob(codes))
