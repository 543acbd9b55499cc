"""``GenerationPipeline``: sample from a trained model and write arrays and pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tfvae.models.base.condition import as_condition
from tfvae.plots import save_image_grid
from tfvae.safety import safe_output
from tfvae.samplers import BaseSampler, NormalSampler


class GenerationPipeline:
    """``GenerationPipeline(model, sampler)(n, output_dir)``: generate ``n`` examples.

    Args:
        model: a trained tfvae model.
        sampler: a fitted sampler (default: :class:`~tfvae.samplers.NormalSampler`).
    """

    def __init__(self, model: Any, sampler: BaseSampler | None = None) -> None:
        self.model = model
        self.sampler = sampler if sampler is not None else NormalSampler(model)

    def __call__(
        self,
        num_samples: int,
        output_dir: str | Path | None = None,
        seed: int = 0,
        batch_size: int = 256,
        grid_size: int = 100,
        condition: Any = None,
        guidance: float | None = None,
        consistent: bool = False,
        guidance_rescale: float | None = None,
    ) -> np.ndarray:
        """Generate ``[num_samples, *input_shape]`` in data space; with ``output_dir``, also
        write ``samples.npz`` (key ``samples``, and ``conditions`` for a conditional model)
        and ``samples.png`` (the first ``grid_size``).

        Args:
            condition: a conditional model's class (one label or ``[num_samples]``) or
                attributes to generate.
            guidance: the classifier-free guidance weight (default: the model's
                ``config.guidance``; ``BaseAE.guided_params``).
            guidance_rescale: its rescale ``phi`` in ``[0, 1]`` (default: the model's
                ``config.guidance_rescale``).
            consistent: class-conditional models: only samples the model itself classifies
                as their class (``sampler.sample(..., consistent=True)``).
        """
        samples = self.sampler.sample(
            num_samples,
            seed=seed,
            batch_size=batch_size,
            condition=condition,
            guidance=guidance,
            consistent=consistent,
            guidance_rescale=guidance_rescale,
        )
        if output_dir is not None:
            out = Path(output_dir)
            out.mkdir(parents=True, exist_ok=True)
            arrays = {"samples": samples}
            if condition is not None:
                arrays["conditions"] = as_condition(self.model.config, condition, num_samples)
            with safe_output(out / "samples.npz", out) as tmp, open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
            if samples.ndim == 4:
                save_image_grid(samples[:grid_size], out / "samples.png")
        return samples
