"""The configuration every model config extends."""

from __future__ import annotations

import dataclasses
from typing import Literal

from tfvae.config import BaseConfig


@dataclasses.dataclass
class BaseAEConfig(BaseConfig):
    """Fields shared by every model.

    Attributes:
        input_shape: shape of one example, ``(H, W, C)`` for images or ``(D,)`` for vectors.
            Required.
        latent_dim: dimension D of the latent space.
        reconstruction_loss: ``"mse"`` (unit-variance Gaussian, Pythae's default; the decoder
            outputs means) or ``"bce"`` (Bernoulli; the decoder outputs logits).
        seed: seeds the model's sampling noise (stateless, keyed by the training step).
    """

    input_shape: tuple[int, ...] | None = None
    latent_dim: int = 10
    reconstruction_loss: Literal["mse", "bce"] = "mse"
    seed: int = 0

    def validate(self) -> None:
        if self.input_shape is not None:
            self.check(
                "input_shape",
                len(self.input_shape) in (1, 3) and all(d > 0 for d in self.input_shape),
                "a tuple of positive ints, (H, W, C) or (D,)",
            )
        self.check_positive("latent_dim")
