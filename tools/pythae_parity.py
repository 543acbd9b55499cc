"""Parity of tfvae against Pythae: the same models, networks, data, optimizer and budget.

Trains each model twice per seed, once in tfvae (``model.fit`` on arrays, Keras's Adam) and
once in Pythae 0.1.2 (its own model classes and 28x28 conv benchmark networks, PyTorch's Adam,
a plain loop over the same shuffled batches), on the same fixed binarisation of Fashion-MNIST,
then measures both on the same test images:

- final train loss (mean over the last epoch's steps) and validation loss, each library's own
  objective: Bernoulli for the VAE family, ``||x - x'||^2`` for WAE_MMD, RAE_L2 and VQVAE
  (Pythae's only choice for them); Pythae's VQVAE sums its quantization terms over the batch,
  so its loss scale differs;
- test NLL, ``-log p(x)`` in nats, by importance sampling with K samples from the encoder
  (tfvae's ``model.nll``; Pythae's ``get_nll``, which returns ``log p(x)``: its sign is
  flipped here), for the likelihood models only;
- reconstruction error (sum of squared errors per image, decoder means);
- FID of 1,000 prior samples against the test images, both through tfvae's FID and its shipped
  Fashion-MNIST classifier (tfvae.metrics.fid), for every model but VQVAE (its prior is a
  PixelCNN fitted afterwards in both libraries, not part of training).

Each cell is the mean over ``--seeds`` seeds with the half-range (seed-to-seed spread) after
``±``. Pythae runs in a child process (PyTorch's OpenMP threads slow TensorFlow down in the
same process). Needs ``pip install torch==2.13.0 pythae``.

    python tools/pythae_parity.py --out docs/parity/parity.md       # the README's table
    python tools/pythae_parity.py --models vae,iwae --train 512 --epochs 1 --seeds 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

# tfvae name -> (Pythae model class, config class, encoder of pythae.models.nn.benchmarks.mnist,
# settings both libraries get beyond the shared ones)
MODELS = {
    "VAE": ("VAE", "VAEConfig", "Encoder_Conv_VAE_MNIST", {}),
    "BetaVAE": ("BetaVAE", "BetaVAEConfig", "Encoder_Conv_VAE_MNIST", {"beta": 2.0}),
    "IWAE": ("IWAE", "IWAEConfig", "Encoder_Conv_VAE_MNIST", {"number_samples": 5}),
    "VAMP": ("VAMP", "VAMPConfig", "Encoder_Conv_VAE_MNIST", {"number_components": 50}),
    "VAE_IAF": ("VAE_IAF", "VAE_IAF_Config", "Encoder_Conv_VAE_MNIST", {}),
    "WAE_MMD": ("WAE_MMD", "WAE_MMD_Config", "Encoder_Conv_AE_MNIST", {}),
    "RAE_L2": ("RAE_L2", "RAE_L2_Config", "Encoder_Conv_AE_MNIST", {}),
    "BetaTCVAE": ("BetaTCVAE", "BetaTCVAEConfig", "Encoder_Conv_VAE_MNIST", {}),
    "VQVAE": ("VQVAE", "VQVAEConfig", "Encoder_Conv_AE_MNIST", {}),
}
NO_PRIOR_FID = {"VQVAE"}
# Pythae's AE family (WAE_MMD, RAE_L2, VQVAE) has no likelihood choice: always ||x - x'||^2,
# which is tfvae's "mse" for these models (their mse_scale is 2)
MSE_ONLY = {"WAE_MMD", "RAE_L2", "VQVAE"}
SAMPLES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--train", type=int, default=1000, help="training images")
    parser.add_argument("--val", type=int, default=300, help="validation images")
    parser.add_argument("--test", type=int, default=200, help="test images (NLL, recon, FID)")
    parser.add_argument("--k", type=int, default=50, help="importance samples for the NLL")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="also write the table (and a .json) here")
    parser.add_argument(
        "--runs",
        default=None,
        help="a .jsonl file of finished runs: each run is appended as it ends, and runs "
        "already in it are not repeated (an interrupted table resumes)",
    )
    parser.add_argument("--pythae_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pythae_worker:
        return _pythae_worker(args.pythae_worker)
    names = [_canonical(n) for n in args.models.split(",")]

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import tfvae

    x_train, x_val, x_test, real = load_split(tfvae, args.train, args.val, args.test)
    done = _finished_runs(args.runs)
    results: dict[str, dict[str, list[float]]] = {}
    for name in names:
        for seed in range(args.seeds):
            for library, run in (("tfvae", _run_tfvae), ("pythae", _run_pythae)):
                out = done.get((name, seed, library))
                if out is None:
                    start = time.perf_counter()
                    out = run(tfvae, name, seed, x_train, x_val, x_test, args)
                    samples = out.pop("samples", None)
                    out["fid"] = float("nan")
                    out["nonfinite_samples"] = 0
                    if samples is not None:
                        bad = ~np.isfinite(samples).all(axis=tuple(range(1, samples.ndim)))
                        out["nonfinite_samples"] = int(bad.sum())
                        if not bad.any():
                            out["fid"] = tfvae.metrics.fid(real, np.clip(samples, 0, 1))
                    out["seconds"] = time.perf_counter() - start
                    if args.runs:
                        with open(args.runs, "a") as fh:
                            record = {"model": name, "seed": seed, "library": library, **out}
                            fh.write(json.dumps(record) + "\n")
                for key, value in out.items():
                    results.setdefault(f"{name}/{library}", {}).setdefault(key, []).append(value)
                print(f"{name} seed {seed} {library}: {json.dumps(out)}", flush=True)
    _table(results, names, args)


def _finished_runs(path: str | None) -> dict[tuple[str, int, str], dict]:
    """``{(model, seed, library): measures}`` of the runs recorded in ``path``."""
    if not path or not os.path.exists(path):
        return {}
    done = {}
    with open(path) as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                key = (record.pop("model"), record.pop("seed"), record.pop("library"))
                done[key] = record
    return done


def _canonical(name: str) -> str:
    for known in MODELS:
        if known.lower() == name.lower().replace("-", "_"):
            return known
    raise SystemExit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")


def load_split(tfvae, n_train: int, n_val: int, n_test: int) -> tuple[np.ndarray, ...]:  # noqa: ANN001
    """The table's data: ``(x_train, x_val, x_test, real)``, binarised Fashion-MNIST
    ``[N, 28, 28, 1]`` (one fixed binarisation for train/val, another for test) and ``real``,
    the grey-level test images that FID compares against."""
    data = tfvae.data.load("fashion_mnist", limit=n_train + n_val, validation_split=0.0)
    pool = tfvae.data.binarize(data.x_train, seed=0)
    x_train, x_val = pool[:n_train], pool[n_train : n_train + n_val]
    x_test = tfvae.data.binarize(data.x_test[:n_test], seed=1)
    return x_train, x_val, x_test, data.x_test[:n_test]


def fit_tfvae(tfvae, name, seed, x_train, x_val, args, initialise=None):  # noqa: ANN001, ANN201
    """tfvae's side of a row: the model on Pythae's conv networks, trained with Keras's Adam.
    ``initialise(model, seed)``, when given, resets the built weights before training.
    Returns ``(model, history)``."""
    import keras

    keras.utils.set_random_seed(seed)
    extra = dict(MODELS[name][3])
    if name == "BetaTCVAE":
        extra["dataset_size"] = len(x_train)
    model = tfvae.build_model(
        name,
        input_shape=(28, 28, 1),
        latent_dim=args.latent_dim,
        networks="conv",
        width=128,
        reconstruction_loss="mse" if name in MSE_ONLY else "bce",
        **extra,
    )
    if initialise is not None:
        model(x_train[:2])
        initialise(model, seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = model.fit(
        x_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        shuffle=True,
        validation_data=x_val,
        verbose=0,
    ).history
    return model, history


def _run_tfvae(tfvae, name, seed, x_train, x_val, x_test, args) -> dict:  # noqa: ANN001
    model, history = fit_tfvae(tfvae, name, seed, x_train, x_val, args)
    recon = np.asarray(model.reconstruct(x_test))
    out = {
        "train_loss": float(history["loss"][-1]),
        "val_loss": float(history["val_loss"][-1]),
        "recon": float(np.mean(np.sum((recon - x_test) ** 2, axis=(1, 2, 3)))),
        "nll": float("nan"),
    }
    if model.variational and model.likelihood_model:
        out["nll"] = float(model.nll(x_test, n_samples=args.k, batch_size=50, seed=seed).nll)
    if name not in NO_PRIOR_FID:
        out["samples"] = np.asarray(model.generate(SAMPLES, seed=seed))
    return out


def _run_pythae(tfvae, name, seed, x_train, x_val, x_test, args) -> dict:  # noqa: ANN001
    """Pythae's run in a child process: the arrays and settings go in an ``.npz`` and a JSON
    line, the results come back in another ``.npz``."""
    import importlib.util
    import subprocess

    if not (importlib.util.find_spec("torch") and importlib.util.find_spec("pythae")):
        raise SystemExit("Pythae is not installed: pip install torch==2.13.0 pythae")
    with tempfile.TemporaryDirectory() as folder:
        inputs, outputs = os.path.join(folder, "in.npz"), os.path.join(folder, "out.npz")
        np.savez(inputs, x_train=x_train, x_val=x_val, x_test=x_test)
        spec = {
            "name": name,
            "seed": seed,
            "inputs": inputs,
            "outputs": outputs,
            **{k: getattr(args, k) for k in ("epochs", "k", "latent_dim", "batch_size")},
            "threads": args.threads,
        }
        subprocess.run([sys.executable, __file__, "--pythae_worker", json.dumps(spec)], check=True)
        with np.load(outputs) as got:
            out = {k: float(got[k]) for k in ("train_loss", "val_loss", "recon", "nll")}
            if name not in NO_PRIOR_FID:
                out["samples"] = got["samples"]
    return out


def _pythae_worker(spec_json: str) -> None:
    """Trains Pythae's model on the arrays of ``spec["inputs"]`` and writes its measures."""
    import pythae.models
    import torch
    from pythae.models.nn.benchmarks import mnist

    spec = json.loads(spec_json)
    name = spec["name"]
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    rng = np.random.default_rng(spec["seed"])
    with np.load(spec["inputs"]) as arrays:
        x_train, x_val, x_test = (
            torch.from_numpy(arrays[k]).permute(0, 3, 1, 2).contiguous()
            for k in ("x_train", "x_val", "x_test")
        )
    model_name, config_name, encoder_name, settings = MODELS[name]
    fields = {
        "input_dim": (1, 28, 28),
        "latent_dim": spec["latent_dim"],
        "reconstruction_loss": "bce",
        **settings,
    }
    config_class = getattr(pythae.models, config_name)
    if name in MSE_ONLY:  # no reconstruction_loss field: always the squared error
        fields.pop("reconstruction_loss")
    cfg = config_class(**fields)
    net = getattr(pythae.models, model_name)(
        cfg, encoder=getattr(mnist, encoder_name)(cfg), decoder=mnist.Decoder_Conv_AE_MNIST(cfg)
    )
    if name == "RAE_L2":  # Pythae's CoupledOptimizerTrainer: the decoder's Adam decays weights
        optimizers = [
            torch.optim.Adam(net.encoder.parameters(), lr=1e-3),
            torch.optim.Adam(net.decoder.parameters(), lr=1e-3, weight_decay=cfg.reg_weight),
        ]
    else:
        optimizers = [torch.optim.Adam(net.parameters(), lr=1e-3)]
    n, bs = len(x_train), spec["batch_size"]

    def loss_of(x, epoch) -> torch.Tensor:  # noqa: ANN001
        return net({"data": x}, epoch=epoch, dataset_size=n)["loss"]

    for epoch in range(spec["epochs"]):
        net.train()
        order = torch.from_numpy(rng.permutation(n))
        losses = []
        for start in range(0, n, bs):
            for opt in optimizers:
                opt.zero_grad()
            loss = loss_of(x_train[order[start : start + bs]], epoch)
            loss.backward()
            for opt in optimizers:
                opt.step()
            losses.append(float(loss.detach()))
    net.eval()
    with torch.no_grad():
        val = [float(loss_of(x_val[i : i + bs], spec["epochs"])) for i in range(0, len(x_val), bs)]
        recon = torch.cat(
            [net({"data": x_test[i : i + 100]})["recon_x"] for i in range(0, len(x_test), 100)]
        )
    out = {
        "train_loss": float(np.mean(losses)),
        "val_loss": float(np.mean(val)),
        "recon": float(((recon - x_test) ** 2).sum(dim=(1, 2, 3)).mean()),
        "nll": float("nan"),
    }
    if hasattr(net, "get_nll"):  # returns log p(x): the NLL is its negative
        with torch.no_grad():
            out["nll"] = -float(net.get_nll(x_test, n_samples=spec["k"], batch_size=spec["k"]))
    if name not in NO_PRIOR_FID:
        from pythae import samplers

        sampler = (samplers.VAMPSampler if name == "VAMP" else samplers.NormalSampler)(net)
        with torch.no_grad():
            gen = sampler.sample(num_samples=SAMPLES, batch_size=500, return_gen=True)
        out["samples"] = gen.permute(0, 2, 3, 1).cpu().numpy()
    np.savez(spec["outputs"], **out)


def _table(results: dict, names: list[str], args) -> None:  # noqa: ANN001
    def cell(values: list[float], digits: int) -> str:
        values = [v for v in values if np.isfinite(v)]
        if not values:
            return "-"
        mean, spread = float(np.mean(values)), (max(values) - min(values)) / 2
        return f"{mean:.{digits}f}" + (f" ± {spread:.{digits}f}" if len(values) > 1 else "")

    def fid_cell(r: dict) -> str:
        bad = int(sum(r.get("nonfinite_samples", [])))
        return cell(r["fid"], 1) + (f" ({bad} non-finite samples)" if bad else "")

    header = ["model", "library", "train loss", "val loss", "test NLL (nats)"]
    header += ["recon SSE", "FID (prior)", "seconds"]
    lines = [
        f"Fashion-MNIST (binarised), {args.train} training / {args.val} validation / "
        f"{args.test} test images, {args.epochs} epochs, batch {args.batch_size}, Adam 1e-3, "
        f"Pythae's conv nets (width 128), latent {args.latent_dim}, NLL with K={args.k}, "
        f"FID of {SAMPLES} prior samples; mean ± half-range over {args.seeds} seeds",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for name in names:
        for library in ("tfvae", "pythae"):
            r = results[f"{name}/{library}"]
            lines.append(
                f"| {name} | {library} | {cell(r['train_loss'], 2)} | {cell(r['val_loss'], 2)} "
                f"| {cell(r['nll'], 1)} | {cell(r['recon'], 1)} | {fid_cell(r)} "
                f"| {cell(r['seconds'], 0)} |"
            )
    markdown = "\n".join(lines)
    print("\n" + markdown)
    if args.out:
        from tfvae import safety

        safety.safe_write(args.out, (markdown + "\n").encode())
        safety.safe_write(
            os.path.splitext(args.out)[0] + ".json", json.dumps(results, indent=1).encode()
        )


if __name__ == "__main__":
    main()
