"""The CLI, run in-process (one TensorFlow import for the whole suite)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from PIL import Image

import tfvae
from tfvae import cli


@pytest.mark.parametrize(
    "command", ["train", "generate", "evaluate", "export", "models", "samplers"]
)
def test_help_of_each_command(command, capsys):
    assert cli.main(["tfvae", command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"usage: tfvae {command}" in out
    if command in ("train", "generate"):
        assert "--model" in out and "--out" in out


def test_top_level_usage_and_unknown_command(capsys):
    assert cli.main(["tfvae", "--help"]) == 0
    assert "commands:" in capsys.readouterr().out
    assert cli.main(["tfvae", "fly"]) == 2
    assert "unknown command 'fly'" in capsys.readouterr().err


def test_wrong_model_name_lists_the_valid_ones(capsys):
    assert cli.main(["tfvae", "train", "--model", "vea", "--data", "digits"]) == 2
    assert "available models: " + ", ".join(tfvae.list_models()) in capsys.readouterr().err


def test_bad_flags_are_usage_errors(capsys):
    assert cli.main(["tfvae", "train", "--epochs", "many"]) == 2
    assert "--epochs" in capsys.readouterr().err
    assert cli.main(["tfvae", "train", "--model", "vae", "--set", "novalue"]) == 2
    assert "key=value" in capsys.readouterr().err
    assert (
        cli.main(["tfvae", "train", "--model", "vae", "--data", "digits", "--set", "betaa=2"]) == 2
    )
    assert "'betaa'" in capsys.readouterr().err


def test_models_table(capsys):
    assert cli.main(["tfvae", "models"]) == 0
    out = capsys.readouterr().out
    for name in ("AE", "VAE", "BetaVAE", "beta"):
        assert name in out


def test_train_then_generate(tmp_path, capsys):
    run = tmp_path / "run"
    code = cli.main(
        [
            "tfvae",
            "train",
            "--model",
            "betavae",
            "--data",
            "digits",
            "--epochs",
            "2",
            "--latent_dim",
            "3",
            "--set",
            "beta=2",
            "--set",
            "reconstruction_loss=bce",
            "--verbose",
            "0",
            "--out",
            str(run),
        ]
    )
    assert code == 0, capsys.readouterr().err
    for name in (
        "model.keras",
        "run_info.json",
        "latent_scatter.png",
        "interpolations.png",
        "traversals.png",
        "reconstructions.png",
        "samples.png",
    ):
        assert (run / name).is_file(), name
    assert json.loads((run / "run_info.json").read_text())["model"] == "BetaVAE"
    out = tmp_path / "gmm.png"
    code = cli.main(
        [
            "tfvae",
            "generate",
            "--model",
            str(run),
            "--sampler",
            "gmm",
            "--n",
            "9",
            "--set",
            "n_components=3",
            "--out",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert Image.open(out).size[0] > 0
    with np.load(tmp_path / "gmm.npz") as saved:
        assert saved["samples"].shape == (9, 8, 8, 1)
    result = tmp_path / "nll.json"
    code = cli.main(
        [
            "tfvae",
            "evaluate",
            "--model",
            str(run),
            "--n-samples",
            "20",
            "--limit",
            "30",
            "--binarize",
            "--out",
            str(result),
        ]
    )
    assert code == 0, capsys.readouterr().err
    nll = json.loads(result.read_text())
    assert nll["model"] == "BetaVAE" and nll["n_samples"] == 20 and nll["n_examples"] == 30
    assert 0 < nll["nll"] < 64 * np.log(2) and nll["stderr"] > 0
    assert cli.main(["tfvae", "evaluate", "--model", str(run), "--metric", "mig"]) == 2
    assert "known factors" in capsys.readouterr().err
    assert cli.main(["tfvae", "export", "--model", str(run), "--format", "saved_model"]) == 0
    assert (run / "export" / "saved_model" / "saved_model.pb").is_file()
    assert cli.main(["tfvae", "export", "--model", str(run), "--format", "saved_model"]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert cli.main(["tfvae", "export", "--model", str(run), "--format", "tflite"]) == 0
    assert sorted(p.name for p in (run / "export" / "tflite").iterdir()) == [
        "decoder.tflite",
        "encoder.tflite",
        "sampler.tflite",
    ]
    assert cli.main(["tfvae", "generate", "--model", str(tmp_path / "nope")]) == 1
    assert "saved model not found" in capsys.readouterr().err


def test_train_on_shapes_then_disentanglement_metric(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TFVAE_DATA_DIR", str(tmp_path / "data"))
    import tfvae.data.loading as loading
    from tfvae.data.shapes import load_shapes

    monkeypatch.setattr(loading, "load_shapes", lambda seed=0: load_shapes(300, 50, seed))
    run = tmp_path / "tc"
    code = cli.main(
        [
            "tfvae",
            "train",
            "--model",
            "betatcvae",
            "--data",
            "shapes",
            "--epochs",
            "1",
            "--latent_dim",
            "4",
            "--net",
            "conv",
            "--width",
            "4",
            "--set",
            "beta=3",
            "--set",
            "reconstruction_loss=bce",
            "--verbose",
            "0",
            "--out",
            str(run),
        ]
    )
    assert code == 0, capsys.readouterr().err
    code = cli.main(
        ["tfvae", "evaluate", "--model", str(run), "--metric", "mig", "--scale", "0.02"]
    )
    assert code == 0, capsys.readouterr().err
    result = json.loads((run / "eval_mig.json").read_text())
    assert result["model"] == "BetaTCVAE" and 0.0 <= result["mig"] <= 1.0
    assert len(result["per_factor"]) == 5


def test_evaluate_fid_of_gmm_samples(tmp_path, capsys):
    run = tmp_path / "rae"
    code = cli.main(
        [
            "tfvae",
            "train",
            "--model",
            "rae_l2",
            "--data",
            "fashion_mnist",
            "--limit",
            "300",
            "--epochs",
            "1",
            "--latent_dim",
            "4",
            "--verbose",
            "0",
            "--out",
            str(run),
        ]
    )
    if code != 0 and "Fashion-MNIST" in capsys.readouterr().err:
        pytest.skip("Fashion-MNIST is not installed here")
    assert code == 0
    code = cli.main(
        [
            "tfvae",
            "evaluate",
            "--model",
            str(run),
            "--metric",
            "fid",
            "--sampler",
            "gmm",
            "--set",
            "n_components=2",
            "--n",
            "60",
        ]
    )
    assert code == 0, capsys.readouterr().err
    result = json.loads((run / "eval_fid.json").read_text())
    assert result["n_samples"] == result["n_real"] == 60 and result["sampler"] == "gmm"
    assert result["fid_samples"] > 0 and result["fid_reconstructions"] > 0
    assert 0.0 <= result["precision"] <= 1.0 and 0.0 <= result["recall"] <= 1.0


def test_conditional_train_generate_and_class_accuracy_with_guidance(tmp_path, capsys):
    """``--condition class`` with the null condition (``--set condition_dropout=...``), then
    ``generate --condition K,K --guidance W`` and ``evaluate --metric class_accuracy``."""
    run = tmp_path / "cvae"
    code = cli.main(
        [
            "tfvae",
            "train",
            "--model",
            "vae",
            "--data",
            "fashion_mnist",
            "--limit",
            "300",
            "--epochs",
            "1",
            "--latent-dim",
            "4",
            "--condition",
            "class",
            "--set",
            "condition_dropout=0.2",
            "--set",
            "guidance=1",
            "--verbose",
            "0",
            "--out",
            str(run),
        ]
    )
    if code != 0 and "Fashion-MNIST" in capsys.readouterr().err:
        pytest.skip("Fashion-MNIST is not installed here")
    assert code == 0
    assert (run / "samples_by_class.png").is_file()  # one row per class, in the run folder
    out = tmp_path / "s.npz"
    args = ["tfvae", "generate", "--model", str(run), "--condition", "0,7", "--n", "3"]
    assert cli.main([*args, "--guidance", "2", "--out", str(out)]) == 0
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    assert (model.config.condition_dropout, model.config.guidance) == (0.2, 1.0)
    guided = np.load(out)["samples"]
    assert guided.shape == (6, 28, 28, 1)
    assert cli.main([*args, "--guidance", "0", "--out", str(out)]) == 0
    assert np.abs(np.load(out)["samples"] - guided).max() > 1e-4  # the weight reached them
    rescaled = [*args, "--guidance", "2", "--guidance-rescale", "1", "--out", str(out)]
    assert cli.main(rescaled) == 0
    assert np.abs(np.load(out)["samples"] - guided).max() > 1e-4  # so did the rescale
    capsys.readouterr()
    assert cli.main([*args, "--guidance-rescale", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "guidance_rescale must be a number in [0, 1]" in err and "Traceback" not in err
    assert cli.main([*args, "--guidance", "-1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "guidance must be a finite number >= 0" in err and "Traceback" not in err
    # the model's own classifier keeps or redraws each row; a model this weak (one epoch on
    # 300 images) may not separate the classes, which must end in one line, not a traceback
    out.unlink()
    code = cli.main([*args, "--consistent", "--out", str(out)])
    err = capsys.readouterr().err
    if code == 0:
        assert np.load(out)["samples"].shape == (6, 28, 28, 1)
    else:
        assert code == 2 and "still classified as another class" in err, err
        assert "Traceback" not in err and not out.exists()
    code = cli.main(
        ["tfvae", "evaluate", "--model", str(run), "--metric", "class_accuracy", "--n", "20"]
    )
    assert code == 0, capsys.readouterr().err
    result = json.loads((run / "eval_class_accuracy.json").read_text())
    assert result["guidance"] == 1.0 and result["n_per_class"] == 2
    assert result["consistent"] is False and result["guidance_rescale"] == 0.0
    assert set(result["per_class"]) == {str(k) for k in range(10)}
    assert all(0.0 <= v <= 1.0 for v in result["per_class"].values())


def test_flags_are_kebab_case_and_old_spellings_still_work(capsys):
    assert cli.main(["tfvae", "train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--batch-size" in out and "[old spelling: --batch_size]" in out
    # the old spelling parses (and says it is deprecated) before the usage error it reaches
    assert cli.main(["tfvae", "train", "--batch_size", "8"]) == 2
    err = capsys.readouterr().err
    assert "--batch_size is deprecated; use --batch-size" in err
    assert "--model is required" in err


def test_train_and_generate_a_table_and_volumes(tmp_path, capsys):
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "height": rng.normal(170.0, 10.0, 80),
            "weight": rng.normal(70.0, 12.0, 80),
            "colour": rng.choice(["red", "blue"], 80),
            "y": rng.choice(["a", "b"], 80),
        }
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "table_run"
    base = ["--epochs", "2", "--latent-dim", "2", "--verbose", "0"]
    code = cli.main(
        ["tfvae", "train", "--model", "vae", "--data", str(tmp_path / "t.csv"), "--label-column"]
        + ["y", "--categorical", "colour", "--reconstruction-loss", "gaussian_learned"]
        + base
        + ["--out", str(run)]
    )
    assert code == 0, capsys.readouterr().err
    assert (run / "samples.csv").is_file() and (run / "samples.png").is_file()
    assert (run / "latent_scatter.png").is_file()
    out = tmp_path / "rows.csv"
    assert cli.main(["tfvae", "generate", "--model", str(run), "--n", "7", "--out", str(out)]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["height", "weight", "colour"] and len(rows) == 7
    assert set(rows["colour"]) <= {"red", "blue"} and 100 < rows["height"].mean() < 250
    capsys.readouterr()
    vols = tmp_path / "vol_run"
    code = cli.main(
        ["tfvae", "train", "--model", "vae", "--data", "volumes", "--net", "conv", "--width", "4"]
        + ["--limit", "32", "--batch-size", "16", "--set", "reconstruction_loss=bce"]
        + base
        + ["--epochs", "1", "--out", str(vols)]
    )
    assert code == 0, capsys.readouterr().err
    nii = tmp_path / "gen" / "s.nii.gz"
    assert cli.main(["tfvae", "generate", "--model", str(vols), "--n", "2", "--out", str(nii)]) == 0
    assert tfvae.data.read_nifti(tmp_path / "gen" / "s_001.nii.gz").shape == (32, 32, 32, 1)
    assert cli.main(["tfvae", "generate", "--model", str(vols), "--n", "2", "--out", str(out)]) == 2
    assert "tables hold vectors" in capsys.readouterr().err
