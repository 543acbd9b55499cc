"""``tfvae benchmark``: every model trained and evaluated the same way."""

from __future__ import annotations

from absl import flags

from tfvae.cli.common import (
    Flags,
)


def define(fv: flags.FlagValues) -> None:
    flags.DEFINE_list(
        "models",
        ["VAE", "IWAE", "RAE_L2"],
        "Models (comma-separated); `all` for every registered model.",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "data", "fashion_mnist", "Dataset (shapes adds disentanglement scores).", flag_values=fv
    )
    flags.DEFINE_integer("epochs", 5, "Training epochs of every model.", flag_values=fv)
    flags.DEFINE_integer("limit", 10000, "Training images (0: all).", flag_values=fv)
    flags.DEFINE_integer("latent-dim", 16, "Latent dimension.", flag_values=fv)
    flags.DEFINE_enum("net", "conv", ["mlp", "conv", "resnet"], "Shared networks.", flag_values=fv)
    flags.DEFINE_integer("width", 16, "Network width (conv channels; Pythae: 128).", flag_values=fv)
    flags.DEFINE_integer("batch-size", 64, "Batch size.", flag_values=fv)
    flags.DEFINE_integer("n-eval", 1000, "Test images and samples for MSE and FID.", flag_values=fv)
    flags.DEFINE_integer("nll-examples", 500, "Test images for the NLL.", flag_values=fv)
    flags.DEFINE_integer("n-samples", 100, "Importance samples K of the NLL.", flag_values=fv)
    flags.DEFINE_integer("seed", 0, "Seed of every run.", flag_values=fv)
    flags.DEFINE_string(
        "out", "runs/benchmark", "Folder for benchmark.md/.csv/.json/.png.", flag_values=fv
    )


def run(fv: Flags) -> int:
    from tfvae.workflows import BenchmarkConfig, benchmark

    models = [] if [m.lower() for m in fv.models] == ["all"] else list(fv.models)
    config = BenchmarkConfig(
        models=models,
        data=fv.data,
        epochs=fv.epochs,
        limit=fv.limit or None,
        latent_dim=fv.latent_dim,
        net=fv.net,
        width=fv.width,
        batch_size=fv.batch_size,
        n_eval=fv.n_eval,
        nll_examples=fv.nll_examples,
        nll_samples=fv.n_samples,
        seed=fv.seed,
    )
    result = benchmark(config, out=fv.out)
    print(result.markdown())
    print(f"wrote {fv.out}/benchmark.md, .csv, .json and benchmark.png")
    return 0
