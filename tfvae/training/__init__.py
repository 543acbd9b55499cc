"""Training: ``TrainerConfig``, optimizers by name, callbacks (resume, snapshots, NaN guard,
TensorBoard image grids)."""

from tfvae.training.callbacks import (
    ImageSummaries,
    ModelSnapshot,
    NaNGuard,
    NonFiniteLossError,
    ResumeCheckpoint,
)
from tfvae.training.config import TrainerConfig
from tfvae.training.optimizers import build_optimizer

__all__ = [
    "ImageSummaries", "ModelSnapshot", "NaNGuard", "NonFiniteLossError", "ResumeCheckpoint",
    "TrainerConfig", "build_optimizer",
]  # fmt: skip
