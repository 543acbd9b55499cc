"""Training: ``TrainerConfig``, optimizers by name, callbacks (resume, snapshots, NaN guard,
TensorBoard image grids), MLflow / W&B / Comet tracking."""

from tfvae.training.callbacks import (
    ImageSummaries,
    ModelSnapshot,
    NaNGuard,
    NonFiniteLossError,
    ResumeCheckpoint,
    WriteCadence,
)
from tfvae.training.config import TrainerConfig
from tfvae.training.optimizers import FusedAdam, build_optimizer
from tfvae.training.strategies import STRATEGIES, in_strategy_scope, is_chief, make_strategy
from tfvae.training.tracking import (
    CometCallback,
    MLFlowCallback,
    TrackingCallback,
    WandbCallback,
)

__all__ = [
    "ImageSummaries",
    "ModelSnapshot",
    "NaNGuard",
    "NonFiniteLossError",
    "ResumeCheckpoint",
    "WriteCadence",
    "TrainerConfig",
    "FusedAdam",
    "build_optimizer",
    "STRATEGIES",
    "in_strategy_scope",
    "is_chief",
    "make_strategy",
    "CometCallback",
    "MLFlowCallback",
    "TrackingCallback",
    "WandbCallback",
]
