"""NormalSampler: codes from the model's prior."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tfvae.errors import ConfigError
from tfvae.samplers.base import BaseSampler, BaseSamplerConfig, register_sampler


@dataclasses.dataclass
class NormalSamplerConfig(BaseSamplerConfig):
    """Config of :class:`NormalSampler`.

    Attributes:
        temperature: a hierarchical model's ancestral draw at this temperature (every
            group's prior scale times T; NVAE and VDVAE sample at 0.6-0.9); other models'
            priors are drawn as they are (only 1.0).
    """

    temperature: float = 1.0

    def validate(self) -> None:
        self.check_non_negative("temperature")


@register_sampler("normal")
class NormalSampler(BaseSampler):
    """Samples ``z ~ p(z)`` (the model's prior: N(0, I) for the VAE, the ancestral draw of a
    hierarchical model) and decodes them.

    Example:
        >>> images = NormalSampler(model).sample(64)   # [64, H, W, C]
        >>> colder = NormalSampler(nvae, {"temperature": 0.7}).sample(64)
    """

    config_class = NormalSamplerConfig
    conditional_codes = True  # the prior of the condition (a conditional VAMP's per class)

    def __init__(self, model: Any, config: Any = None) -> None:
        super().__init__(model, config)
        if self.config.temperature != 1.0 and not model.hierarchical:
            raise ConfigError(
                f"NormalSampler.temperature={self.config.temperature} needs a hierarchical "
                f"model (LadderVAE, NVAE); {type(model).__name__}'s prior is drawn as it is"
            )

    def sample_codes(self, n: int, seed: int = 0, condition: Any = None) -> np.ndarray:
        """``n`` prior codes ``[n, D]``, under ``condition`` (checked labels ``[n]``) for
        priors that read it (the others draw the same codes for every class)."""
        if self.model.hierarchical:
            codes = self.model.sample_prior(n, seed=seed, temperature=self.config.temperature)
        else:
            codes = self.model.sample_prior(n, seed=seed, condition=condition)
        return np.asarray(codes)

    def log_prob(self, codes: Any) -> np.ndarray:
        return np.asarray(self.model.prior_log_prob(codes))
