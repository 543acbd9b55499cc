"""The model benchmark: every model trained with the same networks, data, seed and budget,
then compared on speed, reconstruction, likelihood, sample quality (and disentanglement on
data with known factors)::

    result = tfvae.workflows.benchmark(BenchmarkConfig(models=["vae", "iwae", "rae_l2"]))
    print(result.markdown())

``tfvae benchmark`` and ``tools/benchmark.py`` run it from the command line.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfvae.config import BaseConfig
from tfvae.data import load
from tfvae.metrics import ClassifierFeatures, evaluate_disentanglement, fid
from tfvae.models import build_model, get_model_class, list_models
from tfvae.nn.optimizers import FusedAdam
from tfvae.safety import safe_output, write_json
from tfvae.samplers import build_sampler
from tfvae.workflows.tables import write_table


@dataclasses.dataclass
class BenchmarkConfig(BaseConfig):
    """Settings of :func:`benchmark`.

    Attributes:
        models: registered model names (``[]``: every registered model).
        data: a dataset name or path for :func:`tfvae.data.load` (``"shapes"`` adds the
            disentanglement scores).
        epochs: training epochs of every model.
        limit: training images (``None``: all).
        latent_dim, net, width: the shared networks (``tfvae.nn.benchmark_networks``).
        batch_size, learning_rate, seed: the shared training (Adam).
        n_eval: test images for reconstruction error and FID, and generated samples.
        nll_examples, nll_samples: test images and importance samples (K) of the NLL.
        model_fields: extra config fields per model, ``{"BetaVAE": {"beta": 4.0}}``.
        sampler_fields: extra sampler fields per sampler name, ``{"pixelcnn": {"epochs": 5}}``.
    """

    models: list[str] = dataclasses.field(default_factory=lambda: ["VAE", "IWAE", "RAE_L2"])
    data: str = "fashion_mnist"
    epochs: int = 5
    limit: int | None = 10000
    latent_dim: int = 16
    net: str = "conv"
    width: int | None = 16
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0
    n_eval: int = 1000
    nll_examples: int = 500
    nll_samples: int = 100
    model_fields: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    sampler_fields: dict[str, dict[str, Any]] = dataclasses.field(
        default_factory=lambda: {
            "pixelcnn": {"epochs": 5},
            "rhvae_manifold": {"mcmc_steps_nbr": 20},
            "two_stage": {"epochs": 20},
        }
    )

    def validate(self) -> None:
        self.check_positive(
            "epochs",
            "latent_dim",
            "batch_size",
            "learning_rate",
            "n_eval",
            "nll_examples",
            "nll_samples",
        )
        self.check("net", self.net in ("mlp", "conv", "resnet"), "'mlp', 'conv' or 'resnet'")


def default_sampler(model: Any) -> str:
    """The sampler a benchmark uses for ``model``: its own when it has one (VAMP, VQ-VAE,
    RHVAE, the sphere, the Poincare ball), a GMM on the codes for deterministic autoencoders,
    else the prior."""
    geometry = model.latent_geometry
    if geometry == "sphere":
        return "hypersphere_uniform"
    if geometry == "poincare":
        return "poincare_disk"
    if model.riemannian_metric:
        return "rhvae_manifold"
    if model.mixture_prior:
        return "vamp"
    if model.discrete_codes:
        return "pixelcnn" if len(model.code_shape) == 3 else "gmm"
    return "normal" if model.variational else "gmm"


@dataclasses.dataclass
class BenchmarkResult:
    """Rows of :func:`benchmark` (one dict per model) and the sample grids."""

    rows: list[dict[str, Any]]
    config: BenchmarkConfig
    grids: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    COLUMNS = (
        "model",
        "sampler",
        "train s",
        "samples/s",
        "recon MSE",
        "NLL",
        "NLL stderr",
        "FID samples",
        "FID recon",
        "MIG",
        "FactorVAE",
        "DCI disentanglement",
    )

    def columns(self) -> list[str]:
        return [c for c in self.COLUMNS if any(r.get(c) is not None for r in self.rows)]

    def markdown(self) -> str:
        cols = self.columns()
        lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for row in self.rows:
            cells = []
            for c in cols:
                v = row.get(c)
                cells.append("-" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)))
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def write(self, out: str | Path) -> None:
        """``benchmark.md``, ``benchmark.csv``, ``benchmark.json``, ``benchmark.png`` and the
        samples drawn (``benchmark_samples.npz``, 16 per model)."""
        cfg = self.config
        caption = (
            f"{cfg.data}, {cfg.limit or 'all'} training images, {cfg.epochs} epochs, "
            f"{cfg.net} networks (width {cfg.width}), latent {cfg.latent_dim}, Adam "
            f"{cfg.learning_rate}, batch {cfg.batch_size}, seed {cfg.seed}; "
            f"{cfg.n_eval} test images / samples, NLL on {cfg.nll_examples} with "
            f"K={cfg.nll_samples}"
        )
        out = write_table(out, "benchmark", caption, self.markdown(), self.rows, self.columns())
        write_json(out / "benchmark.json", {"config": cfg.to_dict(), "rows": self.rows}, out)
        with safe_output(out / "benchmark_samples.npz", out) as tmp:
            np.savez_compressed(tmp, **self.grids)
        self.figure(out / "benchmark.png")

    def figure(self, path: str | Path, per_row: int = 9) -> None:
        """Sample grids (``per_row`` models a row), then one bar chart per metric."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from tfvae.plots import image_grid

        names = [r["model"] for r in self.rows]
        metrics = [c for c in self.columns() if c not in ("model", "sampler", "NLL stderr")]
        cols = min(per_row, len(names))
        grid_rows = -(-len(names) // cols)
        bar_rows = -(-len(metrics) // 2)
        fig = plt.figure(figsize=(1.6 * cols + 1, 1.5 * grid_rows + 2.4 * bar_rows))
        spec = fig.add_gridspec(
            grid_rows + bar_rows, 2 * cols, height_ratios=[1.5] * grid_rows + [2.4] * bar_rows
        )
        for i, name in enumerate(names):
            ax = fig.add_subplot(spec[i // cols, 2 * (i % cols) : 2 * (i % cols) + 2])
            images = self.grids.get(name)
            if images is not None and images.ndim == 4:
                picture = image_grid(images[:16], ncols=4)
                ax.imshow(
                    picture[..., 0] if picture.shape[-1] == 1 else picture,
                    cmap="gray",
                    vmin=0.0,
                    vmax=1.0,
                )
            ax.set_title(name, fontsize=7)
            ax.axis("off")
        for j, metric in enumerate(metrics):
            row, half = grid_rows + j // 2, (j % 2) * cols
            ax = fig.add_subplot(spec[row, half : half + cols])
            values = [np.nan if r.get(metric) is None else r[metric] for r in self.rows]
            ax.bar(range(len(names)), values)
            ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
            ax.set_title(metric, fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=80)
        plt.close(fig)


def _build(name: str, cfg: BenchmarkConfig, input_shape: tuple[int, ...], n_train: int) -> Any:
    cls = get_model_class(name)
    fields = {"reconstruction_loss": "bce", **cfg.model_fields.get(cls.__name__, {})}
    # models that declare benchmark_networks=False (HRQVAE, PoincareVAE) keep theirs
    model = build_model(
        name,
        input_shape=input_shape,
        latent_dim=cfg.latent_dim,
        networks=cfg.net,
        width=cfg.width,
        seed=cfg.seed,
        **fields,
    )
    model.prepare_for_data(n_train)
    return model


def _batched(fn: Any, x: np.ndarray, size: int = 500) -> np.ndarray:
    return np.concatenate([np.asarray(fn(x[i : i + size])) for i in range(0, len(x), size)])


def benchmark(
    config: BenchmarkConfig | dict | None = None,
    data: Any = None,
    out: str | Path | None = None,
    verbose: bool = True,
) -> BenchmarkResult:
    """Train and evaluate every model of ``config`` the same way (see the module doc).

    Args:
        config: :class:`BenchmarkConfig` (or its dict).
        data: a :class:`~tfvae.data.DataSplits` to use instead of loading ``config.data``.
        out: write the table (Markdown, CSV, JSON) and the figure there.
        verbose: print a line per model.
    Returns:
        :class:`BenchmarkResult`. FID uses tfvae's Fashion-MNIST classifier features and is
        reported for 28x28 single-channel images only; NLL for variational models
        trained as likelihoods only (not MSSSIM_VAE or VAEGAN).
    """

    cfg = BenchmarkConfig.coerce(config, "benchmark")
    splits = (
        data
        if data is not None
        else load(cfg.data, batch_size=cfg.batch_size, seed=cfg.seed, limit=cfg.limit)
    )
    names = cfg.models or list_models()
    for name in names:
        get_model_class(name)  # unknown names fail before any training
    test = splits.x_test if splits.x_test is not None else splits.x_val
    test = test[: cfg.n_eval]
    shape = tuple(splits.input_shape)
    fid_ok = shape == (28, 28, 1)
    extractor = ClassifierFeatures() if fid_ok else None
    truth = None
    if cfg.data == "shapes" and data is None:
        from tfvae.data.shapes import Shapes

        truth = Shapes()  # the factors behind "shapes": disentanglement scores
    rows, grids = [], {}
    for name in names:
        keras.utils.set_random_seed(cfg.seed)
        model = _build(name, cfg, shape, len(splits.x_train))
        model.compile(optimizer=FusedAdam(cfg.learning_rate))
        start = time.perf_counter()
        model.fit(splits.train, epochs=cfg.epochs, verbose=0, callbacks=splits.callbacks())
        train_s = time.perf_counter() - start
        sampler_name = default_sampler(model)
        sampler = build_sampler(sampler_name, model, **cfg.sampler_fields.get(sampler_name, {}))
        sampler.fit(splits.x_train[:10000])
        samples = sampler.sample(len(test), seed=cfg.seed)
        recon = _batched(model.reconstruct, test)
        row: dict[str, Any] = {
            "model": type(model).__name__,
            "sampler": sampler_name,
            "train s": round(train_s, 1),
            "samples/s": round(cfg.epochs * len(splits.x_train) / train_s, 1),
            "recon MSE": float(np.mean((recon - test) ** 2)),
        }
        if model.variational and model.likelihood_model:  # "-" for MSSSIM_VAE, VAEGAN
            est = model.nll(test[: cfg.nll_examples], n_samples=cfg.nll_samples, seed=cfg.seed)
            row["NLL"], row["NLL stderr"] = float(est.nll), float(est.stderr)
        if fid_ok:
            row["FID samples"] = fid(test, samples, extractor)
            row["FID recon"] = fid(test, recon, extractor)
        if truth is not None:
            scores = evaluate_disentanglement(
                model, truth, ("mig", "factor_vae", "dci"), seed=cfg.seed, scale=0.2
            )
            row["MIG"] = scores["mig"]["mig"]
            row["FactorVAE"] = scores["factor_vae"]["eval_accuracy"]
            row["DCI disentanglement"] = scores["dci"]["disentanglement"]
        rows.append(row)
        grids[row["model"]] = np.asarray(samples[:16])
        if verbose:
            print(
                " ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                ),
                flush=True,
            )
    result = BenchmarkResult(rows, cfg, grids)
    if out is not None:
        result.write(out)
    return result
