"""The benchmark at tiny size: one row per model with the metrics its family allows."""

from __future__ import annotations

import json

import pytest

import tfvae
from tfvae.workflows import BenchmarkConfig, benchmark, default_sampler


def test_tiny_benchmark_writes_table_csv_and_figure(fashion, tmp_path):
    config = BenchmarkConfig(
        models=["vae", "ae"],
        epochs=1,
        n_eval=64,
        nll_examples=16,
        nll_samples=4,
        width=4,
        latent_dim=4,
    )
    small = tfvae.data.load((fashion.x_train[:256], fashion.y_train[:256]), batch_size=64)
    small.x_test, small.y_test = fashion.x_test[:64], fashion.y_test[:64]
    result = benchmark(config, data=small, out=tmp_path, verbose=False)
    vae, ae = result.rows
    assert (vae["model"], vae["sampler"], ae["sampler"]) == ("VAE", "normal", "gmm")
    assert vae["NLL"] > 0 and "NLL" not in ae  # likelihoods only for variational models
    for row in result.rows:
        assert row["train s"] > 0 and row["samples/s"] > 0 and 0 < row["recon MSE"] < 1
        assert row["FID samples"] > 0 and row["FID recon"] > 0
    table = (tmp_path / "benchmark.md").read_text()
    assert "| model | sampler | train s |" in table and "| AE | gmm |" in table
    assert json.loads((tmp_path / "benchmark.json").read_text())["config"]["epochs"] == 1
    assert (tmp_path / "benchmark.png").stat().st_size > 10_000
    assert (tmp_path / "benchmark.csv").read_text().count("\n") == 3


def test_each_family_gets_its_own_sampler_and_unknown_models_fail_first():
    shape = {"input_shape": (28, 28, 1), "latent_dim": 3}
    expected = {
        "svae": "hypersphere_uniform",
        "poincarevae": "poincare_disk",
        "vamp": "vamp",
        "rhvae": "rhvae_manifold",
        "rae_l2": "gmm",
        "iwae": "normal",
    }
    for name, sampler in expected.items():
        assert default_sampler(tfvae.build_model(name, **shape)) == sampler, name
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        benchmark(BenchmarkConfig(models=["vae", "nope"]), data=object(), verbose=False)


def test_cli_benchmark_is_wired_and_checks_its_flags(capsys):
    from tfvae import cli

    assert cli.main(["tfvae", "benchmark", "--help"]) == 0
    assert "--n-eval" in capsys.readouterr().out
    assert cli.main(["tfvae", "benchmark", "--net", "transformer"]) == 2
