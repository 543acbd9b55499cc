"""Experiment tracking callbacks: MLflow, Weights & Biases, Comet (optional extras).

Each callback logs the model's config (and the training config when given) as parameters,
every loss term of every epoch (training and validation) as metrics, a grid of samples from
the prior every ``samples_every`` epochs (image models) and the final ``model.keras``. The
tracking libraries are imported when a callback is created, never by ``import tfvae``::

    pip install "tfvae[tracking]"   # or only the one you use: mlflow, wandb, comet_ml

    callback = MLFlowCallback(tracking_uri="sqlite:///mlflow.db", experiment_name="fashion")
    tfvae.TrainingPipeline(model, config)(data, callbacks=[callback])
"""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfvae.models.base.model import BaseAE
from tfvae.plots import save_image_grid


def _require(module: str, package: str, owner: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{owner} needs the `{package}` package: pip install {package} "
            f'(or pip install "tfvae[tracking]")'
        ) from err


def flat_params(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c": [1, 2]}`` -> ``{"a.b": 1, "c": "[1, 2]"}`` (scalars kept)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_params(value, f"{name}."))
        elif value is None or isinstance(value, bool | int | float | str):
            out[name] = value
        else:
            out[name] = str(value)
    return out


class TrackingCallback(keras.callbacks.Callback):
    """Shared logic of the tracking callbacks; subclasses connect one tracking service.

    Args:
        config: extra parameters to log (e.g. ``TrainerConfig.to_dict()``), under ``training.``.
        samples_every: log a sample grid every this many epochs (0: never).
        num_samples: images per grid.
        log_model: log the final ``model.keras`` when training ends.
    """

    def __init__(
        self,
        config: dict[str, Any] | Any = None,
        samples_every: int = 1,
        num_samples: int = 16,
        log_model: bool = True,
    ) -> None:
        super().__init__()
        self.extra_config = (
            config if config is None or isinstance(config, dict) else config.to_dict()
        )
        self.samples_every = samples_every
        self.num_samples = num_samples
        self.log_model = log_model
        self._tmp = tempfile.TemporaryDirectory(prefix="tfvae_tracking_")

    # -- what subclasses implement -------------------------------------------------------
    def start(self, params: dict[str, Any]) -> None:
        raise NotImplementedError

    def log_metrics(self, metrics: dict[str, float], epoch: int) -> None:
        raise NotImplementedError

    def log_image(self, path: Path, epoch: int) -> None:
        raise NotImplementedError

    def log_model_file(self, path: Path) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    # -- Keras hooks ---------------------------------------------------------------------
    def run_params(self) -> dict[str, Any]:
        """The parameters logged at the start: model class, model config, ``config``."""
        model = self.model
        params = {"model": type(model).__name__}
        if isinstance(model, BaseAE):  # tracking also follows plain Keras models
            params.update(flat_params(model.config.to_dict(), "model."))
        if self.extra_config:
            params.update(flat_params(self.extra_config, "training."))
        return params

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.start(self.run_params())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        metrics = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in (logs or {}).items()}
        self.log_metrics(metrics, epoch + 1)
        if (
            self.samples_every
            and (epoch + 1) % self.samples_every == 0
            and isinstance(self.model, BaseAE)
            and len(self.model.input_shape_) == 3
        ):
            images = np.asarray(self.model.generate(self.num_samples, seed=0))
            path = save_image_grid(
                images, Path(self._tmp.name) / f"samples_epoch_{epoch + 1:04d}.png"
            )
            self.log_image(path, epoch + 1)

    def on_train_end(self, logs: dict | None = None) -> None:
        try:
            if self.log_model:
                path = Path(self._tmp.name) / "model.keras"
                self.model.save(path)
                self.log_model_file(path)
        finally:
            self.finish()


class MLFlowCallback(TrackingCallback):
    """Logs to MLflow (``pip install mlflow`` or ``mlflow-skinny``), as Pythae's
    ``MLFlowCallback``.

    Args:
        tracking_uri: e.g. ``"file:./mlruns"`` or a server URL (default: MLflow's own).
        experiment_name: created when missing.
        run_name: the run's name.
        **kwargs: see :class:`TrackingCallback`.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment_name: str = "tfvae",
        run_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mlflow = _require("mlflow", "mlflow", "MLFlowCallback")
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.run_name = run_name
        self.run: Any = None

    def start(self, params: dict[str, Any]) -> None:
        if self.tracking_uri:
            self.mlflow.set_tracking_uri(self.tracking_uri)
        self.mlflow.set_experiment(self.experiment_name)
        self.run = self.mlflow.start_run(run_name=self.run_name)
        self.mlflow.log_params(params)

    def log_metrics(self, metrics: dict[str, float], epoch: int) -> None:
        self.mlflow.log_metrics(metrics, step=epoch)

    def log_image(self, path: Path, epoch: int) -> None:
        self.mlflow.log_artifact(str(path), artifact_path="samples")

    def log_model_file(self, path: Path) -> None:
        self.mlflow.log_artifact(str(path), artifact_path="model")

    def finish(self) -> None:
        if self.run is not None:
            self.mlflow.end_run()
            self.run = None


class WandbCallback(TrackingCallback):
    """Logs to Weights & Biases (``pip install wandb``), as Pythae's ``WandbCallback``.

    Args:
        project, entity, run_name: the W&B run's place and name.
        mode: ``"online"``, ``"offline"`` (files only, sync later) or ``"disabled"``.
        dir: where W&B writes its files.
        **kwargs: see :class:`TrackingCallback`.
    """

    def __init__(
        self,
        project: str = "tfvae",
        entity: str | None = None,
        run_name: str | None = None,
        mode: str | None = None,
        dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.wandb = _require("wandb", "wandb", "WandbCallback")
        self.init_args = {
            "project": project,
            "entity": entity,
            "name": run_name,
            "mode": mode,
            "dir": dir,
        }
        self.run: Any = None

    def start(self, params: dict[str, Any]) -> None:
        self.run = self.wandb.init(config=params, **self.init_args)

    def log_metrics(self, metrics: dict[str, float], epoch: int) -> None:
        self.run.log({**metrics, "epoch": epoch}, step=epoch)

    def log_image(self, path: Path, epoch: int) -> None:
        self.run.log({"samples": self.wandb.Image(str(path))}, step=epoch)

    def log_model_file(self, path: Path) -> None:
        artifact = self.wandb.Artifact(f"{type(self.model).__name__.lower()}-model", type="model")
        artifact.add_file(str(path))
        self.run.log_artifact(artifact)

    def finish(self) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None


class CometCallback(TrackingCallback):
    """Logs to Comet (``pip install comet_ml``), as Pythae's ``CometCallback``.

    Args:
        api_key, project_name, workspace: the Comet experiment's place (online mode).
        offline_directory: write an offline experiment archive there instead of uploading.
        **kwargs: see :class:`TrackingCallback`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        project_name: str = "tfvae",
        workspace: str | None = None,
        offline_directory: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.comet = _require("comet_ml", "comet_ml", "CometCallback")
        self.api_key = api_key
        self.project_name = project_name
        self.workspace = workspace
        self.offline_directory = offline_directory
        self.experiment: Any = None

    def start(self, params: dict[str, Any]) -> None:
        place = {"project_name": self.project_name, "workspace": self.workspace}
        if self.offline_directory is not None:
            self.experiment = self.comet.OfflineExperiment(
                offline_directory=self.offline_directory, **place
            )
        else:
            self.experiment = self.comet.Experiment(api_key=self.api_key, **place)
        self.experiment.log_parameters(params)

    def log_metrics(self, metrics: dict[str, float], epoch: int) -> None:
        self.experiment.log_metrics(metrics, epoch=epoch, step=epoch)

    def log_image(self, path: Path, epoch: int) -> None:
        self.experiment.log_image(str(path), name="samples", step=epoch)

    def log_model_file(self, path: Path) -> None:
        self.experiment.log_model(type(self.model).__name__, str(path))

    def finish(self) -> None:
        if self.experiment is not None:
            self.experiment.end()
            self.experiment = None
