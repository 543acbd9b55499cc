"""Optimizers and learning-rate schedules by name (``TrainerConfig.optimizer``/``scheduler``)."""

from __future__ import annotations

import keras

from tfvae.config import ConfigError
from tfvae.nn.optimizers import FusedAdam
from tfvae.training.config import TrainerConfig

__all__ = ["FusedAdam", "build_optimizer"]

_SCHEDULE_CLASSES = {
    "cosine_decay": "CosineDecay",
    "exponential_decay": "ExponentialDecay",
    "inverse_time_decay": "InverseTimeDecay",
    "piecewise_constant_decay": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay",
}


def build_optimizer(config: TrainerConfig) -> keras.optimizers.Optimizer:
    """The Keras optimizer of ``config`` (with its schedule, if any)."""
    lr: float | keras.optimizers.schedules.LearningRateSchedule = config.learning_rate
    if config.scheduler is not None:
        cls = getattr(keras.optimizers.schedules, _SCHEDULE_CLASSES[config.scheduler])
        kwargs = dict(config.scheduler_kwargs)
        if config.scheduler != "piecewise_constant_decay":
            kwargs.setdefault("initial_learning_rate", config.learning_rate)
        try:
            lr = cls(**kwargs)
        except TypeError as err:
            raise ConfigError(f"TrainerConfig.scheduler_kwargs: {err}") from err
    if config.optimizer.lower() == "adam":
        try:
            return FusedAdam(learning_rate=lr, **config.optimizer_kwargs)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"TrainerConfig.optimizer_kwargs: {err}") from err
    try:
        return keras.optimizers.get(
            {
                "class_name": config.optimizer.lower(),
                "config": {"learning_rate": lr, **config.optimizer_kwargs},
            }
        )
    except (TypeError, ValueError) as err:
        raise ConfigError(f"TrainerConfig.optimizer_kwargs: {err}") from err
