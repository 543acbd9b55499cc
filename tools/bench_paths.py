"""Whole-epoch training speed on the user's paths, against Pythae's own trainer epoch.

``tools/bench_train.py`` times training steps on batches already in memory. This script times
what a user waits for: whole epochs of

- ``fit_numpy``: ``model.fit(x, batch_size=B, shuffle=True)`` on a numpy array;
- ``tfdata``: ``model.fit(tfvae.data.load(...).train)`` (tfvae's seeded, resumable pipeline);
- ``pipeline``: ``tfvae.TrainingPipeline(model, TrainerConfig(...))(x)`` (checkpoints,
  TensorBoard scalars and image grids, as ``tfvae train`` runs it: checkpoints and grids at
  least ``--write_interval`` seconds apart, TrainerConfig's default 30; 0 writes them every
  epoch),

against Pythae 0.1.2's ``BaseTrainer.train_step`` (its DataLoader with ``shuffle=True``, its
Adam, its callbacks: one epoch as its ``TrainingPipeline`` runs it), in a child process.
Same model (Pythae's 28x28 conv nets at ``--width``, Bernoulli likelihood, Adam 1e-3),
same Fashion-MNIST images, same batch size. The contenders alternate epoch by epoch inside
one ``fit`` (a callback runs Pythae's epoch after each tfvae epoch, outside tfvae's timing),
so a slow spell of the machine hits both. The first epoch (tracing, warm-up) and the last
(where the pipeline writes its final checkpoint, snapshot and grids) are reported apart in
seconds; the table gives the median samples/s of the ``--rounds`` epochs between them, the
spread of each of those around it, the ratio of the medians, and the ratio of the two
libraries' total times over those epochs (what a user waits for, the pipeline's periodic
checkpoints included; the per-epoch lines mark the epochs that wrote).

    python tools/bench_paths.py                                    # VAE, every path
    python tools/bench_paths.py --paths fit_numpy --batch_sizes 32,64,100,128,256
    python tools/bench_paths.py --models vae,iwae,vqvae,rhvae --batch_sizes 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

PATHS = ("fit_numpy", "tfdata", "pipeline")
# tfvae name -> (Pythae class, config class, encoder, shared settings)
PYTHAE = {
    "VAE": ("VAE", "VAEConfig", "Encoder_Conv_VAE_MNIST", {}),
    "IWAE": ("IWAE", "IWAEConfig", "Encoder_Conv_VAE_MNIST", {"number_samples": 5}),
    "VQVAE": ("VQVAE", "VQVAEConfig", "Encoder_Conv_AE_MNIST", {}),
    "RHVAE": ("RHVAE", "RHVAEConfig", "Encoder_Conv_VAE_MNIST", {}),
}
MSE_ONLY = {"VQVAE"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae")
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--batch_sizes", default="100")
    parser.add_argument("--images", type=int, default=1600, help="training images per epoch")
    parser.add_argument("--rounds", type=int, default=5, help="timed epochs after the first")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--write_interval",
        type=float,
        default=None,
        help="the pipeline's write_interval_s (default: TrainerConfig's)",
    )
    parser.add_argument("--pythae_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pythae_worker:
        return _pythae_worker(json.loads(args.pythae_worker))

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import tfvae

    data = tfvae.data.load("fashion_mnist", limit=args.images, validation_split=0.0)
    rows = []
    for name in args.models.split(","):
        cls_name = tfvae.get_model_class(name).__name__
        for batch in (int(b) for b in args.batch_sizes.split(",")):
            for path in args.paths.split(","):
                rows.append(_compare(tfvae, cls_name, path, batch, data, args))
    print(
        f"\nWhole epochs of {args.images} Fashion-MNIST images, conv nets width {args.width}, "
        f"{args.threads} threads, TF {tf.__version__}; the first and last epochs apart, the "
        f"median of the {args.rounds} between them, tfvae and Pythae alternating epoch by epoch\n"
    )
    print(
        "| model | path | batch | tfvae samples/s | spread | Pythae samples/s | spread | "
        "ratio | ratio of totals | tfvae first / last epoch s | Pythae first / last epoch s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(v) for v in row) + " |")


def _spread(speeds: list[float]) -> str:
    """The largest deviation of an epoch from the median, as a signed percentage range."""
    med = float(np.median(speeds))
    lo, hi = min(speeds) / med - 1, max(speeds) / med - 1
    return f"{lo:+.0%}..{hi:+.0%}"


def _compare(tfvae, name: str, path: str, batch: int, data, args) -> list:  # noqa: ANN001
    import keras

    x = data.x_train
    pythae = _PythaeChild(name, x, batch, args)
    keras.utils.set_random_seed(0)
    model = tfvae.build_model(
        name,
        input_shape=(28, 28, 1),
        latent_dim=args.latent_dim,
        networks="conv",
        width=args.width,
        reconstruction_loss="mse" if name in MSE_ONLY else "bce",
        **PYTHAE.get(name, (None, None, None, {}))[3],
    )
    ours: list[float] = []
    theirs: list[float] = []
    run_dir: list[str] = []  # the pipeline's output folder, to tell which epochs wrote

    class Alternate(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            ours.append(time.perf_counter() - self.start)  # the pipeline's callbacks ran first
            theirs.append(pythae.epoch(epoch))
            snapshot = f"checkpoints/epoch_{epoch + 1:04d}.keras"
            wrote = bool(run_dir) and os.path.exists(os.path.join(run_dir[0], snapshot))
            print(
                f"{name} {path} batch {batch} epoch {epoch + 1}: tfvae "
                f"{len(x) / ours[-1]:.1f}, Pythae {len(x) / theirs[-1]:.1f} samples/s"
                + (" (tfvae wrote its checkpoint, snapshot and grids)" if wrote else ""),
                flush=True,
            )

    epochs = args.rounds + 2
    if path == "pipeline":
        with tempfile.TemporaryDirectory() as out:
            run_dir.append(out)
            interval = (
                {} if args.write_interval is None else {"write_interval_s": args.write_interval}
            )
            config = tfvae.TrainerConfig(
                output_dir=out,
                epochs=epochs,
                batch_size=batch,
                learning_rate=1e-3,
                verbose=0,
                **interval,
            )
            tfvae.TrainingPipeline(model, config)(x, callbacks=[Alternate()])
    else:
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        if path == "fit_numpy":
            model.fit(
                x, batch_size=batch, epochs=epochs, shuffle=True, verbose=0, callbacks=[Alternate()]
            )
        elif path == "tfdata":
            splits = tfvae.data.load(
                "fashion_mnist", limit=len(x), validation_split=0.0, batch_size=batch
            )
            model.fit(
                splits.train, epochs=epochs, verbose=0, callbacks=[*splits.callbacks(), Alternate()]
            )
        else:
            raise SystemExit(f"unknown path {path!r}; choose from {PATHS}")
    pythae.close()
    mine = [len(x) / s for s in ours[1:-1]]
    yours = [len(x) / s for s in theirs[1:-1]]
    ratio = float(np.median(mine)) / float(np.median(yours))
    # the user's wait over the same epochs, the pipeline's periodic writes included
    totals = sum(theirs[1:-1]) / sum(ours[1:-1])
    return [
        name,
        path,
        batch,
        f"{np.median(mine):.1f}",
        _spread(mine),
        f"{np.median(yours):.1f}",
        _spread(yours),
        f"{ratio:.2f}",
        f"{totals:.2f}",
        f"{ours[0]:.1f} / {ours[-1]:.1f}",
        f"{theirs[0]:.1f} / {theirs[-1]:.1f}",
    ]


class _PythaeChild:
    """Pythae's trainer in a child process (PyTorch's OpenMP threads spin after each op and
    slow TensorFlow down in the same process); ``epoch(k)`` runs its ``train_step(k)`` and
    returns the seconds it took."""

    def __init__(self, name: str, x: np.ndarray, batch: int, args) -> None:  # noqa: ANN001
        import importlib.util

        if not (importlib.util.find_spec("torch") and importlib.util.find_spec("pythae")):
            raise SystemExit("Pythae is not installed: pip install torch==2.13.0 pythae")
        if name not in PYTHAE:
            raise SystemExit(f"no Pythae counterpart set up for {name}; choose from {list(PYTHAE)}")
        self.folder = tempfile.mkdtemp()
        path = os.path.join(self.folder, "x.npy")
        np.save(path, x)
        spec = {
            "name": name,
            "x": path,
            "batch": batch,
            "latent_dim": args.latent_dim,
            "threads": args.threads,
            "out": self.folder,
        }
        self.worker = subprocess.Popen(
            [sys.executable, __file__, "--pythae_worker", json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # Pythae's trainer draws progress bars
            text=True,
        )
        if self.worker.stdout.readline().strip() != "ready":
            raise SystemExit("the Pythae worker failed to start")

    def epoch(self, k: int) -> float:
        self.worker.stdin.write(f"{k}\n")
        self.worker.stdin.flush()
        return float(self.worker.stdout.readline().split()[0])

    def close(self) -> None:
        import shutil

        self.worker.stdin.close()
        self.worker.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _pythae_worker(spec: dict) -> None:
    import pythae.models
    import torch
    from pythae.data.datasets import BaseDataset
    from pythae.models.nn.benchmarks import mnist
    from pythae.trainers import BaseTrainer, BaseTrainerConfig

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    model_name, config_name, encoder_name, settings = PYTHAE[spec["name"]]
    fields = {"input_dim": (1, 28, 28), "latent_dim": spec["latent_dim"], **settings}
    if spec["name"] not in MSE_ONLY:
        fields["reconstruction_loss"] = "bce"
    cfg = getattr(pythae.models, config_name)(**fields)
    net = getattr(pythae.models, model_name)(
        cfg, encoder=getattr(mnist, encoder_name)(cfg), decoder=mnist.Decoder_Conv_AE_MNIST(cfg)
    )
    x = torch.from_numpy(np.load(spec["x"])).permute(0, 3, 1, 2).contiguous()
    trainer = BaseTrainer(
        net,
        BaseDataset(x, torch.zeros(len(x))),
        training_config=BaseTrainerConfig(
            output_dir=spec["out"],
            per_device_train_batch_size=spec["batch"],
            learning_rate=1e-3,
            optimizer_cls="Adam",
            num_epochs=1000,
        ),
    )
    trainer.prepare_training()
    print("ready", flush=True)
    for line in sys.stdin:
        start = time.perf_counter()
        loss = trainer.train_step(int(line))
        print(time.perf_counter() - start, loss, flush=True)


if __name__ == "__main__":
    main()
