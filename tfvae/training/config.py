"""``TrainerConfig``: everything about a training run except the model."""

from __future__ import annotations

import dataclasses
from typing import Any

from tfvae.config import BaseConfig

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad", "adamax", "nadam", "lion")
SCHEDULES = (
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "piecewise_constant_decay",
    "polynomial_decay",
)


@dataclasses.dataclass
class TrainerConfig(BaseConfig):
    """Settings of :class:`~tfvae.pipelines.TrainingPipeline` and ``tfvae train``.

    Attributes:
        output_dir: run folder: ``model.keras``, ``training_config.json``, ``logs/``
            (TensorBoard), ``checkpoints/``, ``backup/`` (resume state), PNG pictures.
        epochs: number of epochs.
        batch_size: examples per batch (used when the data are arrays).
        learning_rate: initial learning rate.
        optimizer: a Keras optimizer name (``adam``, ``adamw``, ``sgd``, ...).
        optimizer_kwargs: extra arguments of the optimizer (``{"beta_1": 0.9}``).
        scheduler: ``None`` or a Keras schedule name (``cosine_decay``, ...).
        scheduler_kwargs: arguments of the schedule except ``initial_learning_rate``
            (``{"decay_steps": 1000}``).
        seed: seeds weight initialisation (``keras.utils.set_random_seed``) and the data order.
        checkpoint_every: save a resumable checkpoint and ``checkpoints/epoch_NNNN.keras``
            every this many epochs (and at the last epoch).
        write_interval_s: the least time, in seconds, between two checkpoints and between
            two epochs' image grids (the last epoch always writes; image grids also the
            first). A checkpoint of a 17 M-parameter model takes about half a second: on short
            epochs this keeps it from costing a fifth of the training time, and a killed run
            loses at most this long plus an epoch. ``0``: every ``checkpoint_every`` epochs
            and every epoch's grids. Multi-worker runs write on epochs alone (the workers
            agree without a clock).
        keep_checkpoints: how many ``.keras`` checkpoints to keep (the newest).
        image_summaries: write reconstruction / sample grids to TensorBoard (see
            ``write_interval_s``).
        num_images: images per grid.
        deterministic: ``tf.config.experimental.enable_op_determinism()`` (bitwise
            reproducible runs, slower on some ops).
        verbose: Keras ``fit`` verbosity (1 = progress bar, 2 = a line per epoch, 0 = quiet).
        strategy: ``None`` (one device), ``"mirrored"`` (all local GPUs, or the logical CPUs)
            or ``"multi_worker"`` (``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``; the
            chief alone writes checkpoints, logs and the model).
    """

    output_dir: str = "runs/tfvae"
    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    optimizer_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    scheduler: str | None = None
    scheduler_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    seed: int = 0
    checkpoint_every: int = 1
    write_interval_s: float = 30.0
    keep_checkpoints: int = 2
    image_summaries: bool = True
    num_images: int = 16
    deterministic: bool = False
    verbose: int = 1
    strategy: str | None = None

    def validate(self) -> None:
        self.check_positive("epochs", "batch_size", "learning_rate", "checkpoint_every")
        self.check_positive("keep_checkpoints", "num_images")
        self.check_non_negative("write_interval_s")
        self.check("optimizer", self.optimizer.lower() in OPTIMIZERS, f"one of {list(OPTIMIZERS)}")
        self.check(
            "scheduler",
            self.scheduler is None or self.scheduler in SCHEDULES,
            f"None or one of {list(SCHEDULES)}",
        )
        self.check("verbose", self.verbose in (0, 1, 2), "0, 1 or 2")
        self.check(
            "strategy",
            self.strategy in (None, "mirrored", "multi_worker"),
            "None, 'mirrored' or 'multi_worker'",
        )
        self.check("output_dir", bool(self.output_dir), "a non-empty path")
