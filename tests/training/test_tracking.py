"""Experiment tracking callbacks against the real libraries, offline (skipped where absent)."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import zipfile
from pathlib import Path

import keras
import pytest

import tfvae
from tfvae.training import CometCallback, MLFlowCallback, WandbCallback

TRACKERS = {"mlflow", "wandb", "comet_ml"}


def _needs(module: str):
    return pytest.mark.skipif(
        importlib.util.find_spec(module) is None,
        reason=f'{module} is not installed (pip install "tfvae[tracking]")',
    )


def _fit(digits, tmp_path, callback) -> keras.callbacks.History:
    keras.utils.set_random_seed(0)
    model = tfvae.build_model("vae", input_shape=(8, 8, 1), latent_dim=2)
    config = tfvae.TrainerConfig(
        output_dir=str(tmp_path / "run"), epochs=2, verbose=0, image_summaries=False
    )
    callback.extra_config = config.to_dict()
    return tfvae.TrainingPipeline(model, config)(
        digits.x_train[:256], digits.x_val[:64], callbacks=[callback]
    )


def test_no_module_of_tfvae_imports_a_tracking_library_at_import_time():
    """The libraries are optional: only module-level imports would make ``import tfvae`` need
    them (the callbacks import theirs when created)."""
    found = []
    for path in Path(tfvae.__file__).parent.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                )
                found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in TRACKERS]
    assert found == []


def test_missing_library_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "comet_ml", None)
    with pytest.raises(ImportError, match="pip install comet_ml"):
        CometCallback(offline_directory="x")


@_needs("mlflow")
def test_mlflow_logs_params_every_term_samples_and_model(digits, tmp_path, monkeypatch):
    import mlflow

    # A local file store (MLflow 3 keeps it behind this switch; a sqlite store needs SQLAlchemy).
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    history = _fit(
        digits, tmp_path, MLFlowCallback(tracking_uri=uri, experiment_name="t", run_name="tiny")
    )
    client = mlflow.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("t").experiment_id])
    assert run.data.params["model"] == "VAE"
    assert run.data.params["model.latent_dim"] == "2"
    assert run.data.params["training.epochs"] == "2"
    for term in ("loss", "reconstruction", "kl", "val_loss", "val_kl"):
        logged = client.get_metric_history(run.info.run_id, term)
        assert [m.step for m in logged] == [1, 2], term
        assert logged[-1].value == pytest.approx(history.history[term][-1], rel=1e-6)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "samples")}
    assert artifacts == {"samples/samples_epoch_0001.png", "samples/samples_epoch_0002.png"}
    model_file = client.download_artifacts(run.info.run_id, "model/model.keras", str(tmp_path))
    assert type(tfvae.AutoModel.load(model_file)) is tfvae.VAE
    assert mlflow.active_run() is None


@_needs("wandb")
def test_wandb_offline_writes_a_run(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    _fit(digits, tmp_path, WandbCallback(project="t", mode="offline", dir=str(tmp_path)))
    (run_dir,) = (tmp_path / "wandb").glob("offline-run-*")
    (log,) = run_dir.glob("run-*.wandb")  # the offline run's record, synced later
    record = log.read_bytes()
    for logged in (b"val_kl", b"reconstruction", b"model.latent_dim", b"model.keras"):
        assert logged in record, logged
    assert len(list((run_dir / "files" / "media" / "images").glob("samples_*.png"))) == 2


@_needs("comet_ml")
def test_comet_offline_writes_an_archive(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("COMET_DISABLE_AUTO_LOGGING", "1")
    _fit(digits, tmp_path, CometCallback(project_name="t", offline_directory=str(tmp_path / "c")))
    (archive,) = (tmp_path / "c").glob("*.zip")
    with zipfile.ZipFile(archive) as zf:
        messages = zf.read("messages.json").decode()
        uploads = [n for n in zf.namelist() if n.startswith("tmp")]
    for logged in ("val_kl", "reconstruction", "model.latent_dim", "model.keras", "samples"):
        assert logged in messages, logged
    assert len(uploads) >= 3, "two sample grids and the model travel in the archive"
    assert os.path.getsize(archive) > 100_000
