"""VAMPSampler: codes from a VAMP model's learned mixture prior."""

from __future__ import annotations

from typing import Any

from tfvae.samplers.base import register_sampler
from tfvae.samplers.normal import NormalSampler


@register_sampler("vamp")
class VAMPSampler(NormalSampler):
    """Samples ``z ~ (1/C) sum_c q(z|u_c)``, the VampPrior of a :class:`~tfvae.VAMP` model,
    and decodes them (Pythae's ``VAMPSampler``); for a class-conditional VAMP,
    ``sample(n, condition=k)`` draws from class k's pseudo-inputs' mixture.

    Example:
        >>> images = VAMPSampler(vamp_model).sample(64)
    """

    def __init__(self, model: Any, config: Any = None) -> None:
        if not model.mixture_prior:
            raise TypeError(
                f"VAMPSampler needs a VAMP model (with pseudo-inputs), got {type(model).__name__}"
            )
        super().__init__(model, config)
