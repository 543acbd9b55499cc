"""Training callbacks: resumable checkpoints, ``.keras`` snapshots, NaN guard, image grids."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from tfvae.errors import NonFiniteLossError
from tfvae.plots import example_picture, image_grid, interpolation_strip, latent_traversals
from tfvae.safety import check_output_dir, safe_output

__all__ = ["ImageSummaries", "ModelSnapshot", "NaNGuard", "ResumeCheckpoint", "WriteCadence"]


class WriteCadence:
    """When an epoch's outputs are written: every ``every`` epochs, but not sooner than
    ``interval_s`` seconds after the previous write (or the start of training), and always at
    the last of ``epochs`` (and, with ``first``, at the first epoch).

    A checkpoint of the 17 M weights and Adam moments of Pythae's conv VAE takes about 0.5 s
    here, an image summary 0.3 s: a fifth of a 1,000-image epoch, nothing on a 60,000-image one.
    The interval bounds what they cost on short epochs and what a killed run loses (at most
    ``interval_s`` seconds of training plus an epoch); ``interval_s=0`` writes at every
    ``every``-th epoch. One cadence may be shared by several callbacks (the pipeline's
    checkpoint and snapshot): an epoch's answer is decided once, so they write on the same
    epochs.
    """

    def __init__(
        self,
        every: int = 1,
        interval_s: float = 0.0,
        epochs: int | None = None,
        first: bool = False,
    ) -> None:
        self.every = every
        self.interval_s = interval_s
        self.epochs = epochs
        self.first = first
        self.start()

    def start(self) -> None:
        """Training starts: the interval counts from now."""
        self.last = time.monotonic()
        self.decided: tuple[int, bool] | None = None  # (epoch, its answer)

    def due(self, epoch: int) -> bool:
        """Whether epoch ``epoch`` (0-based, just ended) writes; a write restarts the clock.
        Asked again for the same epoch, it gives the same answer."""
        if self.decided is not None and self.decided[0] == epoch:
            return self.decided[1]
        now = time.monotonic()
        final = self.epochs is not None and epoch + 1 >= self.epochs
        first = self.first and epoch == 0
        due = final or first or not ((epoch + 1) % self.every or now - self.last < self.interval_s)
        if due:
            self.last = now
        self.decided = (epoch, due)
        return due


def latest_snapshot(directory: str | Path) -> Path | None:
    """The newest ``epoch_NNNN.keras`` snapshot in ``directory``, or ``None``."""
    found = sorted(Path(directory).glob("epoch_*.keras"))
    return found[-1] if found else None


class ResumeCheckpoint(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that writes atomically, on a :class:`WriteCadence` (every ``every``
    epochs, ``interval_s`` seconds apart at least, and at the last epoch; or ``cadence``,
    shared with a :class:`ModelSnapshot`).

    Model weights, optimizer state and the epoch counter go to ``backup_dir``; a run
    restarted with the same ``backup_dir`` continues from the last saved epoch. Files are
    written to temporary names then renamed, so a process killed mid-save leaves the previous
    checkpoint valid. The backup is deleted when training completes. With ``write=False``
    (non-chief workers) it only restores.
    """

    def __init__(
        self,
        backup_dir: str | Path,
        every: int = 1,
        epochs: int | None = None,
        write: bool = True,
        interval_s: float = 0.0,
        cadence: WriteCadence | None = None,
    ) -> None:
        super().__init__(str(backup_dir), save_freq="epoch", double_checkpoint=False)
        self.cadence = cadence or WriteCadence(every, interval_s, epochs)
        self.write = write

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        self.cadence.start()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        if self.cadence.due(epoch):
            self._save_model()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.write:
            super().on_train_end(logs)

    def _save_model(self) -> None:
        if not self.write:
            return
        check_output_dir(self.backup_dir)
        # temporary names in the folder, renamed into place: never written through a link
        with safe_output(self._weights_path, self.backup_dir) as tmp_weights:
            self.model.save_weights(tmp_weights)
        with safe_output(self._training_metadata_path, self.backup_dir) as tmp_meta:
            tmp_meta.write_text(json.dumps({"epoch": self._current_epoch, "batch": 0}))


class ModelSnapshot(keras.callbacks.Callback):
    """Saves ``checkpoints/epoch_NNNN.keras`` on a :class:`WriteCadence` (every ``every``
    epochs, ``interval_s`` seconds apart at least, and at the last of ``epochs``; or
    ``cadence``, shared with a :class:`ResumeCheckpoint`), keeping the newest ``keep``.

    Each snapshot is a complete model that ``tfvae.AutoModel.load`` reloads. Written to a
    temporary file then renamed (a killed run never leaves a half-written snapshot).
    """

    def __init__(
        self,
        directory: str | Path,
        every: int = 1,
        keep: int = 2,
        interval_s: float = 0.0,
        epochs: int | None = None,
        cadence: WriteCadence | None = None,
    ) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.cadence = cadence or WriteCadence(every, interval_s, epochs)
        self.keep = keep

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.cadence.start()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.cadence.due(epoch):
            return
        check_output_dir(self.directory)
        path = self.directory / f"epoch_{epoch + 1:04d}.keras"
        with safe_output(path, self.directory) as tmp:
            self.model.save(tmp)
        for old in sorted(self.directory.glob("epoch_*.keras"))[: -self.keep]:
            old.unlink()

    def latest(self) -> Path | None:
        return latest_snapshot(self.directory)


class NaNGuard(keras.callbacks.Callback):
    """Stops training with :class:`NonFiniteLossError` at the first NaN/Inf loss.

    The error names the epoch, the batch and the loss terms; checkpoints written before it
    stay valid (the backup is not deleted, so the run can be resumed after a fix).
    """

    def __init__(self, checkpoint_dir: str | Path | None = None) -> None:
        super().__init__()
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None or math.isfinite(float(np.asarray(loss).reshape(-1)[0])):
            return
        terms = ", ".join(f"{k}={float(np.asarray(v).reshape(-1)[0]):.4g}" for k, v in logs.items())
        where = ""
        if self.checkpoint_dir is not None:
            found = latest_snapshot(self.checkpoint_dir)
            where = (
                f"; last good checkpoint: {found}" if found else "; no checkpoint was written yet"
            )
        raise NonFiniteLossError(
            f"non-finite loss at epoch {self.epoch + 1}, batch {batch + 1} ({terms}); training "
            f"stopped{where}. Lower the learning rate or check the data."
        )


class ImageSummaries(keras.callbacks.Callback):
    """Writes image grids to TensorBoard: reconstructions of fixed examples (top half
    originals, bottom half reconstructions), decoded prior samples (fixed seed),
    interpolations between pairs of the examples and latent traversals of the first one; at
    the first and last epochs and in between every epoch that comes ``interval_s`` seconds or
    more after the previous grids (:class:`WriteCadence`; 0: every epoch).

    Args:
        log_dir: TensorBoard folder (an ``images`` run is written under it).
        examples: ``[n, H, W, C]`` images in [0, 1]; sequences ``[n, T, C]`` are drawn as line
            plots and volumes ``[n, D, H, W, C]`` as orthogonal mid-slices (reconstructions
            and samples only).
        num_samples: prior samples per grid.
        conditions: a conditional model's conditions of ``examples`` (labels ``[n]`` or
            attributes ``[n, K]``); a class-conditional model's samples are drawn one row per
            class.
        interval_s: the least seconds between two epochs' grids.
        epochs: the run's epochs (its last always writes).
    """

    def __init__(
        self,
        log_dir: str | Path,
        examples: np.ndarray,
        num_samples: int = 16,
        conditions: np.ndarray | None = None,
        interval_s: float = 0.0,
        epochs: int | None = None,
    ) -> None:
        super().__init__()
        self.cadence = WriteCadence(1, interval_s, epochs, first=True)
        self.log_dir = str(Path(log_dir) / "images")
        self.examples = np.asarray(examples, np.float32)
        self.num_samples = num_samples
        self.conditions = conditions
        self.writer: tf.summary.SummaryWriter | None = None

    def _samples(self, n: int) -> tuple[np.ndarray, int | None]:
        """``n`` prior samples (a class-conditional model: 4 per class, a row each) and the
        grid's columns."""
        model = self.model
        if model.conditional and model.config.condition == "class":
            labels = np.repeat(np.arange(int(model.config.num_classes)), 4)
            return np.asarray(model.generate(len(labels), seed=0, condition=labels)), 4
        condition = None
        if model.conditional:
            condition = np.resize(self.conditions, (n, *np.shape(self.conditions)[1:]))
        return np.asarray(model.generate(n, seed=0, condition=condition)), None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.writer = tf.summary.create_file_writer(self.log_dir)
        self.cadence.start()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.cadence.due(epoch):
            return
        if self.examples.ndim in (3, 5):  # sequences: line plots; volumes: mid-slices
            shown = self.examples[:4]
            cond = None if self.conditions is None else self.conditions[:4]
            recon = np.asarray(self.model.reconstruct(shown, cond))
            samples, _ = self._samples(4)
            with self.writer.as_default(step=epoch):
                tf.summary.image("reconstructions", example_picture(shown, recon)[None])
                tf.summary.image("prior_samples", example_picture(samples)[None])
            self.writer.flush()
            return
        if self.examples.ndim != 4:
            return
        cond = self.conditions
        recon = np.asarray(self.model.reconstruct(self.examples, cond))
        samples, ncols = self._samples(self.num_samples)
        pairs = np.concatenate([self.examples, recon])
        half = len(self.examples) // 2
        with self.writer.as_default(step=epoch):
            tf.summary.image("reconstructions", image_grid(pairs, ncols=len(self.examples))[None])
            tf.summary.image("prior_samples", image_grid(samples, ncols=ncols)[None])
            if half:
                strip = interpolation_strip(
                    self.model,
                    self.examples[:half],
                    self.examples[half : 2 * half],
                    condition=None if cond is None else cond[:half],
                )
                tf.summary.image("interpolations", strip[None])
            first = None if cond is None else cond[0]
            tf.summary.image(
                "latent_traversals",
                latent_traversals(self.model, self.examples[0], condition=first)[None],
            )
        self.writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.writer is not None:
            self.writer.close()
