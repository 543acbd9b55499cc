"""Evaluation and sampling speed against Pythae: ``nll()`` and the GMM and MAF samplers.

Both libraries get the same conv VAE for 28x28 images (Pythae's benchmark architecture,
``pythae.models.nn.benchmarks.mnist``, at ``--width`` channels in its first layer: 128 is
Pythae's own, a 17 M-parameter net; the PyTorch side is that architecture written at any width
on Pythae's ``BaseEncoder`` / ``BaseDecoder``, the networks a Pythae user brings), trained for
``--train_epochs`` on the same binarised Fashion-MNIST images (each library its own copy; the
timings do not depend on the weights), then timed on what a user calls:

- ``nll``: the test NLL by importance sampling, K=``--k`` over ``--test`` test images
  (tfvae's ``model.nll(x, n_samples=K)``; Pythae's ``model.get_nll(x, n_samples=K)`` under
  ``torch.no_grad()``, with its default ``batch_size=100``);
- ``gmm_fit`` / ``gmm_sample``: a 10-component full-covariance mixture fitted to the codes of
  ``--codes`` training images (both libraries fit scikit-learn's ``GaussianMixture``, here
  both at ``max_iter=100``), then ``--samples`` images decoded from it;
- ``maf_fit`` / ``maf_sample``: a MAF (2 MADE blocks of 3 hidden layers of 128, the defaults of
  both) trained on the same codes for ``--flow_epochs`` epochs at batch 64, Adam 1e-3
  (Pythae: its ``BaseTrainer``, as ``MAFSampler.fit`` runs it), then ``--samples`` images.

Each round times tfvae in this process and Pythae in a child process (PyTorch's OpenMP threads
slow TensorFlow down in the same process), alternately; the table shows each library's median
over the rounds (round 1 of tfvae includes its tracing: it is what a user's first call costs)
and the ratio Pythae seconds / tfvae seconds. Needs ``pip install torch==2.13.0 pythae``.

    python tools/bench_eval.py --out docs/speed/eval.md      # the README's table
    python tools/bench_eval.py --test 50 --k 100 --codes 1000 --samples 1000 --rounds 1
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

MEASURES = ("nll", "gmm_fit", "gmm_sample", "maf_fit", "maf_sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=16, help="first conv layer (Pythae: 128)")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--train", type=int, default=2000, help="images for the brief training")
    parser.add_argument("--train_epochs", type=int, default=1)
    parser.add_argument("--test", type=int, default=1000, help="test images for the NLL")
    parser.add_argument("--k", type=int, default=1000, help="importance samples per image")
    parser.add_argument("--codes", type=int, default=10000, help="training images the samplers fit")
    parser.add_argument("--samples", type=int, default=10000, help="images each sampler draws")
    parser.add_argument("--flow_epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the table (markdown) here too")
    parser.add_argument("--pythae_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pythae_worker:
        return _pythae_worker(json.loads(args.pythae_worker))
    if not (importlib.util.find_spec("torch") and importlib.util.find_spec("pythae")):
        raise SystemExit("Pythae is not installed: pip install torch==2.13.0 pythae")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    import tfvae

    data = tfvae.data.load("fashion_mnist", limit=max(args.codes, args.train))
    x_train = tfvae.data.binarize(data.x_train[: max(args.codes, args.train)], seed=0)
    x_test = tfvae.data.binarize(data.x_test[: args.test], seed=0)
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        "vae",
        input_shape=(28, 28, 1),
        networks="conv",
        width=args.width,
        latent_dim=args.latent_dim,
        reconstruction_loss="bce",
        seed=0,
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x_train[: args.train], epochs=args.train_epochs, batch_size=64, verbose=0)

    with tempfile.TemporaryDirectory() as tmp:
        np.savez(os.path.join(tmp, "data.npz"), x_train=x_train, x_test=x_test)
        spec = {**vars(args), "data": os.path.join(tmp, "data.npz")}
        ours: dict[str, list[float]] = {m: [] for m in MEASURES}
        theirs: dict[str, list[float]] = {m: [] for m in MEASURES}
        params = {"tfvae": int(model.count_params())}
        for r in range(args.rounds):
            for key, value in _tfvae_round(tfvae, model, x_train, x_test, args).items():
                ours[key].append(value)
            child = _run_child(spec)
            params["pythae"] = child.pop("params")
            for key, value in child.items():
                theirs[key].append(value)
            print(f"round {r + 1}: tfvae {_fmt(ours, r)} | Pythae {_fmt(theirs, r)}", flush=True)
    table = _table(ours, theirs, params, args)
    print("\n" + table)
    if args.out:
        from tfvae.safety import safe_write

        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        safe_write(args.out, table + "\n")


def _fmt(times: dict[str, list[float]], r: int) -> str:
    return ", ".join(f"{m} {times[m][r]:.1f} s" for m in MEASURES)


def _tfvae_round(tfvae, model, x_train, x_test, args) -> dict[str, float]:  # noqa: ANN001
    out = {}
    start = time.perf_counter()
    model.nll(x_test, n_samples=args.k, seed=0)
    out["nll"] = time.perf_counter() - start
    codes_from = x_train[: args.codes]
    for kind, fields in (
        ("gmm", {"n_components": 10, "max_iter": 100}),
        (
            "maf",
            {"epochs": args.flow_epochs, "batch_size": 64, "learning_rate": 1e-3},
        ),
    ):
        sampler = tfvae.samplers.build_sampler(kind, model, **fields)
        start = time.perf_counter()
        sampler.fit(codes_from)
        out[f"{kind}_fit"] = time.perf_counter() - start
        start = time.perf_counter()
        got = np.asarray(sampler.sample(args.samples, seed=0))
        out[f"{kind}_sample"] = time.perf_counter() - start
        assert got.shape == (args.samples, 28, 28, 1), got.shape
    return out


def _run_child(spec: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--pythae_worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit("the Pythae worker failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(ours: dict, theirs: dict, params: dict, args) -> str:  # noqa: ANN001
    lines = [
        f"VAE on Pythae's 28x28 conv architecture at width {args.width} (tfvae "
        f"{params['tfvae']:,} parameters, Pythae {params['pythae']:,}: Keras counts the batch "
        f"norms' moving statistics, PyTorch does not), latent "
        f"{args.latent_dim}, binarised Fashion-MNIST; nll: K={args.k} over {args.test} test "
        f"images; samplers fitted to the codes of {args.codes} training images, "
        f"{args.samples} images drawn; MAF {args.flow_epochs} epochs at batch 64; "
        f"{args.threads} threads; median of {args.rounds} rounds (seconds).",
        "",
        "| measure | tfvae s | Pythae s | ratio (Pythae / tfvae) |",
        "|---|---|---|---|",
    ]
    for m in MEASURES:
        a, b = float(np.median(ours[m])), float(np.median(theirs[m]))
        lines.append(f"| {m} | {a:.1f} | {b:.1f} | **{b / a:.2f}** |")
    return "\n".join(lines)


def _pythae_worker(spec: dict) -> None:
    import pythae.models
    import torch
    from pythae.samplers import (
        GaussianMixtureSampler,
        GaussianMixtureSamplerConfig,
        MAFSampler,
        MAFSamplerConfig,
    )
    from pythae.trainers import BaseTrainerConfig

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    with np.load(spec["data"]) as arrays:
        x_train, x_test = (
            torch.from_numpy(arrays[k]).permute(0, 3, 1, 2).contiguous()
            for k in ("x_train", "x_test")
        )
    cfg = pythae.models.VAEConfig(
        input_dim=(1, 28, 28), latent_dim=spec["latent_dim"], reconstruction_loss="bce"
    )
    net = pythae.models.VAE(
        cfg,
        encoder=_pythae_encoder(cfg, spec["width"]),
        decoder=_pythae_decoder(cfg, spec["width"]),
    )
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    train = x_train[: spec["train"]]
    rng = np.random.default_rng(0)
    for epoch in range(spec["train_epochs"]):
        net.train()
        order = torch.from_numpy(rng.permutation(len(train)))
        for start in range(0, len(train), 64):
            optimizer.zero_grad()
            net({"data": train[order[start : start + 64]]}, epoch=epoch)["loss"].backward()
            optimizer.step()
    net.eval()
    out = {"params": int(sum(p.numel() for p in net.parameters()))}
    start = time.perf_counter()
    with torch.no_grad():
        net.get_nll(x_test, n_samples=spec["k"])
    out["nll"] = time.perf_counter() - start
    codes_from = x_train[: spec["codes"]]
    with tempfile.TemporaryDirectory() as tmp:
        for kind, sampler in (
            ("gmm", GaussianMixtureSampler(net, GaussianMixtureSamplerConfig(n_components=10))),
            ("maf", MAFSampler(net, MAFSamplerConfig())),
        ):
            start = time.perf_counter()
            if kind == "maf":
                training = BaseTrainerConfig(
                    output_dir=tmp,
                    num_epochs=spec["flow_epochs"],
                    per_device_train_batch_size=64,
                    learning_rate=1e-3,
                )
                sampler.fit(codes_from, training_config=training)
            else:
                sampler.fit(codes_from)
            out[f"{kind}_fit"] = time.perf_counter() - start
            start = time.perf_counter()
            got = sampler.sample(num_samples=spec["samples"], return_gen=True)
            out[f"{kind}_sample"] = time.perf_counter() - start
            assert tuple(got.shape) == (spec["samples"], 1, 28, 28), got.shape
    print(json.dumps(out))


def _pythae_encoder(cfg, width: int):  # noqa: ANN001, ANN202
    """Pythae's ``Encoder_Conv_VAE_MNIST`` with ``width`` channels first (Pythae's: 128)."""
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseEncoder
    from torch import nn

    class Encoder(BaseEncoder):
        def __init__(self) -> None:
            BaseEncoder.__init__(self)
            chans = [1, width, 2 * width, 4 * width, 8 * width]
            self.layers = nn.Sequential(
                *(
                    nn.Sequential(nn.Conv2d(a, b, 4, 2, padding=1), nn.BatchNorm2d(b), nn.ReLU())
                    for a, b in zip(chans[:-1], chans[1:], strict=True)
                )
            )
            self.embedding = nn.Linear(8 * width, cfg.latent_dim)
            self.log_var = nn.Linear(8 * width, cfg.latent_dim)

        def forward(self, x):  # noqa: ANN001, ANN202
            h = self.layers(x).reshape(x.shape[0], -1)
            return ModelOutput(embedding=self.embedding(h), log_covariance=self.log_var(h))

    return Encoder()


def _pythae_decoder(cfg, width: int):  # noqa: ANN001, ANN202
    """Pythae's ``Decoder_Conv_AE_MNIST`` with ``8 * width`` channels at 4x4 (Pythae's: 1024)."""
    from pythae.models.base.base_utils import ModelOutput
    from pythae.models.nn import BaseDecoder
    from torch import nn

    class Decoder(BaseDecoder):
        def __init__(self) -> None:
            BaseDecoder.__init__(self)
            self.fc = nn.Linear(cfg.latent_dim, 8 * width * 16)
            self.layers = nn.Sequential(
                nn.ConvTranspose2d(8 * width, 4 * width, 3, 2, padding=1),
                nn.BatchNorm2d(4 * width),
                nn.ReLU(),
                nn.ConvTranspose2d(4 * width, 2 * width, 3, 2, padding=1, output_padding=1),
                nn.BatchNorm2d(2 * width),
                nn.ReLU(),
                nn.ConvTranspose2d(2 * width, 1, 3, 2, padding=1, output_padding=1),
                nn.Sigmoid(),
            )

        def forward(self, z):  # noqa: ANN001, ANN202
            h = self.fc(z).reshape(z.shape[0], 8 * width, 4, 4)
            return ModelOutput(reconstruction=self.layers(h))

    return Decoder()


if __name__ == "__main__":
    main()
