"""``TrainingPipeline``: checks, callbacks, checkpoint/resume and outputs in one call."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfvae.data import DataSplits, EpochCallback, as_examples, kind_of_shape, make_dataset
from tfvae.data.arrays import DataError
from tfvae.models.base.condition import as_condition
from tfvae.plots import example_picture, image_grid, save_png
from tfvae.safety import check_output_dir, safe_output, write_json
from tfvae.training import (
    ImageSummaries,
    ModelSnapshot,
    NaNGuard,
    ResumeCheckpoint,
    TrainerConfig,
    WriteCadence,
    build_optimizer,
)
from tfvae.training.strategies import in_strategy_scope, is_chief, make_strategy


class TrainingPipeline:
    """Train a model with Keras ``fit`` plus everything a real run needs.

    ``TrainingPipeline(model, config)(train_data, eval_data)`` compiles the model with the
    config's optimizer, then fits it with: resumable checkpoints (a killed run restarted with
    the same ``output_dir`` continues from its last checkpoint and ends with the weights of an
    uninterrupted run), ``.keras`` snapshots, a NaN/Inf guard, TensorBoard scalars of every loss
    term and image grids. At the end it writes to ``config.output_dir``: ``model.keras``,
    ``training_config.json``, ``history.json``, ``reconstructions.png``, ``samples.png``.

    It gives the same weights as ``model.compile(optimizer=...); model.fit(data.train,
    epochs=..., callbacks=data.callbacks())`` with the same seed.

    With ``config.strategy`` the model is rebuilt inside the strategy's scope (same config and
    weights), trained there, and its weights copied back into ``model`` at the end; the
    data's global batches are split over the replicas. Under ``"multi_worker"`` only the chief
    writes to ``output_dir``; the other workers write to a temporary folder they delete, and
    all of them restore from the chief's resume checkpoint.

    Args:
        model: a tfvae model (built; for reproducible initial weights call
            ``keras.utils.set_random_seed(config.seed)`` before creating it).
        config: :class:`~tfvae.training.TrainerConfig`.
    """

    def __init__(self, model: keras.Model, config: TrainerConfig | None = None) -> None:
        self.user_model = model
        self.config = config or TrainerConfig()
        self.strategy = make_strategy(self.config.strategy)
        self.model = in_strategy_scope(model, self.strategy)
        self.is_chief = is_chief(self.strategy)
        self.output_dir = Path(self.config.output_dir)
        if not self.is_chief:
            self.output_dir = Path(tempfile.mkdtemp(prefix="tfvae_worker_"))
        self.history: keras.callbacks.History | None = None

    # -- data ----------------------------------------------------------------------------
    def _check_shape(self, shape: tuple, what: str) -> None:
        expected = tuple(self.model.input_shape_)
        if tuple(shape) != expected:
            raise DataError(
                f"{what} examples have shape {tuple(shape)}, but the model expects "
                f"{expected} (config.input_shape)"
            )

    def _as_dataset(self, data: Any, what: str, shuffle: bool) -> tuple[Any, Any, Any]:
        """``(dataset, a few examples, their conditions)`` from an array, an ``(x, y)`` pair
        of arrays (labels or attributes, for conditional models) or a dataset."""
        if data is None:
            return None, None, None
        if isinstance(data, tf.data.Dataset):
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            self._check_shape(tuple(spec.shape[1:]), what)
            return data, None, None
        labels = None
        if isinstance(data, tuple) and len(data) == 2:
            data, labels = data
            labels = as_condition(self.model.config, labels, len(data), f"the {what} labels")
        elif self.model.conditional:
            raise DataError(
                f"{type(self.model).__name__} is conditional: pass the {what} data as "
                "(x, y) with its labels (or attribute vectors)"
            )
        x = as_examples(data, name=what, kind=kind_of_shape(self.model.input_shape_))
        self._check_shape(x.shape[1:], what)
        if shuffle and self.model.preprocessing.needs_fit:
            self.model.adapt(x)
        self.model.check_data(x, f"the {what} data")
        # the shuffle order keyed by (seed, epoch), the epoch set by a callback: exact resume
        self._epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")
        ds = make_dataset(
            x,
            self.config.batch_size,
            shuffle=shuffle,
            seed=self.config.seed,
            epoch=self._epoch,
            labels=labels,
        )
        n = self.config.num_images
        return ds, x[:n], None if labels is None else labels[:n]

    # -- run -----------------------------------------------------------------------------
    def callbacks(
        self, examples: np.ndarray | None, conditions: np.ndarray | None = None
    ) -> list[keras.callbacks.Callback]:
        """The pipeline's callbacks, in order (resume first); ``conditions``: the examples'
        labels for a conditional model's pictures."""
        cfg, out = self.config, self.output_dir
        backup = Path(cfg.output_dir) / "backup"  # shared: every worker restores from it
        # workers must agree on which epochs write without comparing clocks
        interval = 0.0 if cfg.strategy == "multi_worker" else cfg.write_interval_s
        # one decision per epoch: the resume state and the snapshot are written together
        checkpoints = WriteCadence(cfg.checkpoint_every, interval, cfg.epochs)
        callbacks: list[keras.callbacks.Callback] = [
            ResumeCheckpoint(backup, write=self.is_chief, cadence=checkpoints),
            NaNGuard(out / "checkpoints"),
            ModelSnapshot(out / "checkpoints", keep=cfg.keep_checkpoints, cadence=checkpoints),
            keras.callbacks.TensorBoard(log_dir=str(out / "logs"), write_graph=False),
        ]
        if cfg.image_summaries and examples is not None and examples.ndim in (3, 4, 5):
            callbacks.append(
                ImageSummaries(
                    out / "logs",
                    examples,
                    cfg.num_images,
                    conditions=conditions,
                    interval_s=interval,
                    epochs=cfg.epochs,
                )
            )
        return callbacks

    def __call__(
        self,
        train_data: Any,
        eval_data: Any = None,
        callbacks: list[keras.callbacks.Callback] | None = None,
    ) -> keras.callbacks.History:
        """Train on ``train_data`` (:class:`~tfvae.data.DataSplits`, a dataset or an array
        ``[N, *input_shape]``), validating on ``eval_data`` (default: the splits' validation
        set; ``(x, y)`` arrays for a conditional model). Returns the Keras ``History``."""
        cfg = self.config
        if cfg.deterministic:
            tf.config.experimental.enable_op_determinism()
        extra: list[keras.callbacks.Callback] = []
        examples = conditions = None
        if isinstance(train_data, DataSplits):
            splits = train_data
            self._check_shape(splits.input_shape, "training")
            extra += splits.callbacks()
            held_out = splits.x_val is not None
            examples = (splits.x_val if held_out else splits.x_train)[: cfg.num_images]
            if self.model.conditional:
                labels = splits.y_val if held_out else splits.y_train
                if labels is None:
                    raise DataError(
                        f"{type(self.model).__name__} is conditional but {splits.name} has "
                        "no labels"
                    )
                conditions = labels[: cfg.num_images]
            eval_data = splits.validation if eval_data is None else eval_data
            train = splits.train
            num_examples = len(splits.x_train)
            if self.model.preprocessing.needs_fit:
                self.model.adapt(splits.x_train)
            self.model.check_data(splits.x_train, "the training data")
        else:
            train, examples, conditions = self._as_dataset(train_data, "training", shuffle=True)
            num_examples = (
                None
                if isinstance(train_data, tf.data.Dataset)
                else len(train_data[0] if isinstance(train_data, tuple) else train_data)
            )
            if not isinstance(train_data, tf.data.Dataset):
                extra.append(EpochCallback(self._epoch))
        if num_examples is not None:  # BaseAE.prepare_for_data: a no-op unless declared
            self.model.prepare_for_data(num_examples)
        evaluation, _, _ = self._as_dataset(eval_data, "evaluation", shuffle=False)
        self.model.preprocessing.check_fitted()
        # the run folder and the folders Keras callbacks write into hold no symbolic links
        for sub in ("", "logs", "checkpoints"):
            check_output_dir(self.output_dir / sub, self.output_dir)
        check_output_dir(Path(cfg.output_dir) / "backup", cfg.output_dir)
        cfg.to_json(self.output_dir / "training_config.json")
        with self.strategy.scope() if self.strategy else contextlib.nullcontext():
            self.model.compile(optimizer=build_optimizer(cfg))
        self.history = self.model.fit(
            train,
            epochs=cfg.epochs,
            validation_data=evaluation,
            callbacks=self.callbacks(examples, conditions) + extra + list(callbacks or []),
            verbose=cfg.verbose,
        )
        self._write_outputs(examples, conditions)
        if self.model is not self.user_model:
            self.user_model.set_weights(self.model.get_weights())
        if not self.is_chief:
            shutil.rmtree(self.output_dir, ignore_errors=True)
        return self.history

    def _write_outputs(self, examples: np.ndarray | None, conditions: Any = None) -> None:
        out = self.output_dir
        with safe_output(out / "model.keras", out) as tmp:
            self.model.save(tmp)
        history = {k: [float(v) for v in vals] for k, vals in self.history.history.items()}
        write_json(out / "history.json", history, out)
        if examples is not None:
            recon = np.asarray(self.model.reconstruct(examples, conditions))
            example_picture(examples, recon, out / "reconstructions.png")
            count = {1: 512, 2: 8, 3: 64, 4: 4}[examples.ndim - 1]
            condition, per_class = None, None
            by_class = self.model.conditional and self.model.config.condition == "class"
            if by_class:  # one row (images) or block of samples per class
                classes = int(self.model.config.num_classes)
                per_class = max(1, count // classes)
                condition = np.repeat(np.arange(classes), per_class)
                count = len(condition)
            elif self.model.conditional:
                condition = np.resize(conditions, (count, *np.shape(conditions)[1:]))
            samples = np.asarray(self.model.generate(count, seed=0, condition=condition))
            if by_class and examples.ndim == 4:
                save_png(image_grid(samples, ncols=per_class), out / "samples.png", 2)
            elif examples.ndim == 2:  # vectors: histograms of real vs generated features
                example_picture(examples, samples, out / "samples.png")
            else:
                example_picture(samples, None, out / "samples.png")
