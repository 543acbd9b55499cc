"""HypersphereUniformSampler: codes uniform on the sphere, for hyperspherical models (SVAE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfvae.samplers.base import BaseSampler, register_sampler


@register_sampler("hypersphere_uniform")
class HypersphereUniformSampler(BaseSampler):
    """Samples ``z`` uniformly on ``S^{D-1}`` (normalised Gaussian draws) and decodes them;
    Pythae's ``HypersphereUniformSampler``. Only for models whose ``latent_geometry`` is
    ``"sphere"``.

    Example:
        >>> images = HypersphereUniformSampler(svae).sample(64)
    """

    requires_geometry = ("sphere", "SVAE")

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        z = np.random.default_rng(seed).standard_normal((n, self.model.latent_dim))
        return z / np.linalg.norm(z, axis=1, keepdims=True)

    def log_prob(self, codes: Any) -> np.ndarray:
        from scipy.special import gammaln

        d = self.model.latent_dim
        log_area = np.log(2.0) + (d / 2) * np.log(np.pi) - gammaln(d / 2)
        return np.full(len(codes), -log_area)
