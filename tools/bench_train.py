"""Training throughput of ``fit()`` (samples/s) for conv models on Fashion-MNIST, against Pythae.

Pythae's 28x28 conv benchmark networks (``--width 128`` is Pythae's size), Bernoulli
likelihood, tfvae's Adam (:class:`tfvae.training.FusedAdam`), batches already in memory.
Prints a Markdown table; the figure the performance work is measured against. Each model is
timed in float32 and in bfloat16 (Keras's ``mixed_bfloat16`` policy: the encoder and decoder
compute in bfloat16; weights, the optimizer, the model's own layers and the losses stay
float32).

    python tools/bench_train.py                                # VAE, batch 64 and 256
    python tools/bench_train.py --models vae,iwae,vae_iaf,vqvae,rhvae --batch_sizes 64

With ``torch`` and ``pythae`` installed (``pip install torch==2.13.0 pythae``; "not
installed" otherwise) Pythae 0.1.2 trains the same model (VAE, IWAE with K = 5, VAE_IAF,
VQVAE, RHVAE at their shared defaults) on the same batches with Adam in a child process
(PyTorch's OpenMP threads spin after each op and slow down TensorFlow in the same process);
the contenders take turns for ``--rounds`` rounds of ``--steps`` steps and the table shows
the median samples/s of each, the ratio and both final losses (Pythae's VQVAE uses MSE).
Besides samples/s it prints the training FLOPs per sample (3x the forward FLOPs of one
encoder and decoder pass, counted by TensorFlow's profiler: IWAE's K decodes are not
included), the roofline fraction (achieved FLOP/s over a float32 2048x2048 matmul's FLOP/s on
the same threads) and the peak RSS of the process. ``--nll`` adds the peak RSS of
``model.nll`` at K=100 and K=5000 (chunked importance samples).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae", help="comma-separated model names")
    parser.add_argument("--batch_sizes", default="64,256")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per round")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median reported)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (tracing)")
    parser.add_argument("--width", type=int, default=128, help="conv width (Pythae: 128)")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="TF intra/inter-op threads")
    parser.add_argument("--jit", action="store_true", help="compile train_step with XLA")
    parser.add_argument("--nll", action="store_true", help="also measure nll() memory")
    parser.add_argument(
        "--precisions",
        default="float32,bfloat16",
        help="comma-separated: float32, bfloat16 (Keras's mixed_bfloat16 policy)",
    )
    parser.add_argument("--pythae_worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pythae_worker:
        return _pythae_worker(args.pythae_worker, args)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import tfvae

    if args.nll:  # first, while the peak RSS is still the import's
        _nll_memory(tfvae, keras, args)
    peak = _matmul_flops(tf)
    rows = []
    for name in args.models.split(","):
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            rows.extend(_compare(tfvae, keras, name, batch_size, args))
    print(
        f"\nfit() throughput, conv nets width {args.width}, {args.threads} threads, "
        f"jit={args.jit}, TF {tf.__version__}; float32 matmul peak {peak / 1e9:.0f} GFLOP/s; "
        f"median of {args.rounds} rounds of {args.steps} steps, tfvae and Pythae "
        "interleaved\n"
    )
    print(
        "| model | precision | batch | samples/s | ms/step | GFLOP/sample | roofline "
        "| Pythae samples/s (float32) | ratio | peak RSS MB | loss | Pythae loss |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, precision, bs, sps, flops, loss, theirs, their_loss, rss in rows:
        ratio = f"{sps / theirs:.2f}" if isinstance(theirs, float) else "-"
        theirs = f"{theirs:.1f}" if isinstance(theirs, float) else theirs
        their_loss = f"{their_loss:.2f}" if isinstance(their_loss, float) else "-"
        print(
            f"| {model} | {precision} | {bs} | {sps:.1f} | {1000 * bs / sps:.1f} | "
            f"{flops / 1e9:.2f} | {sps * flops / peak:.1%} | {theirs} | {ratio} | {rss:.0f} | "
            f"{loss:.2f} | {their_loss} |"
        )


_POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}
# Settings both sides share beyond the defaults (the IWAE uses K = 5).
_SETTINGS = {"IWAE": {"number_samples": 5}}
# Pythae's class, config class and MNIST conv encoder for each benchmarked model.
_PYTHAE = {
    "VAE": ("VAE", "VAEConfig", "Encoder_Conv_VAE_MNIST"),
    "IWAE": ("IWAE", "IWAEConfig", "Encoder_Conv_VAE_MNIST"),
    "VAE_IAF": ("VAE_IAF", "VAE_IAF_Config", "Encoder_Conv_VAE_MNIST"),
    "VQVAE": ("VQVAE", "VQVAEConfig", "Encoder_Conv_AE_MNIST"),
    "RHVAE": ("RHVAE", "RHVAEConfig", "Encoder_Conv_VAE_MNIST"),
}


def _compare(tfvae, keras, name: str, batch_size: int, args) -> list[tuple]:  # noqa: ANN001
    """Rows for one model and batch size: each precision and Pythae, timed in alternation
    (round by round) so that a slow spell of the machine hits every contender alike."""
    n = batch_size * (args.steps + args.warmup)
    data = tfvae.data.load("fashion_mnist", batch_size=batch_size, limit=n, validation_split=0.0)
    batches = [x for x in data.train.take(args.steps + args.warmup)]
    contenders = {}
    for precision in args.precisions.split(","):
        keras.mixed_precision.set_global_policy(_POLICIES[precision])
        contenders[precision] = _tfvae_runner(tfvae, keras, name, batches, args)
    keras.mixed_precision.set_global_policy("float32")
    cls_name = tfvae.get_model_class(name).__name__
    pythae = _pythae_runner(cls_name, batches, args)
    if callable(pythae):
        contenders["pythae"] = pythae
    speeds: dict[str, list[float]] = {key: [] for key in contenders}
    losses: dict[str, float] = {}
    for _ in range(args.rounds):
        for key, run in contenders.items():
            seconds, losses[key] = run()
            speeds[key].append(args.steps * batch_size / seconds)
            print(f"{name} batch {batch_size} {key}: {speeds[key][-1]:.1f} samples/s", flush=True)
    if callable(pythae):
        pythae.close()
    median = {key: sorted(v)[len(v) // 2] for key, v in speeds.items()}
    theirs = median.get("pythae", pythae if isinstance(pythae, str) else "-")
    return [
        (
            cls_name,
            precision,
            batch_size,
            median[precision],
            contenders[precision].flops,
            losses[precision],
            theirs,
            losses.get("pythae"),
            _peak_rss_mb(),
        )
        for precision in args.precisions.split(",")
    ]


def _tfvae_runner(tfvae, keras, name: str, batches: list, args):  # noqa: ANN001, ANN202
    """A function timing ``fit`` on ``args.steps`` batches: () -> (seconds, final loss)."""
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    cls = tfvae.get_model_class(name)
    model = tfvae.build_model(
        name,
        input_shape=(28, 28, 1),
        latent_dim=args.latent_dim,
        networks="conv",
        width=args.width,
        reconstruction_loss="bce",
        **_SETTINGS.get(cls.__name__, {}),
    )
    model.compile(optimizer=tfvae.training.FusedAdam(1e-3), jit_compile=args.jit)
    model.fit(tf.data.Dataset.from_tensor_slices(batches[: args.warmup]), epochs=1, verbose=0)
    timed = tf.data.Dataset.from_tensor_slices(batches[args.warmup :]).cache()
    for _ in timed:  # materialise the batches so the timing is the training step
        pass

    def run() -> tuple[float, float]:
        start = time.perf_counter()
        history = model.fit(timed, epochs=1, verbose=0)
        return time.perf_counter() - start, history.history["loss"][-1]

    run.flops = _train_flops_per_sample(model)
    return run


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _matmul_flops(tf) -> float:  # noqa: ANN001
    """FLOP/s of a float32 2048x2048 matmul on the configured threads (the roofline's roof)."""
    a = tf.random.normal((2048, 2048))
    f = tf.function(lambda a: tf.matmul(a, a))
    f(a).numpy()
    start = time.perf_counter()
    for _ in range(10):
        f(a).numpy()
    return 10 * 2 * 2048**3 / (time.perf_counter() - start)


def _train_flops_per_sample(model) -> float:  # noqa: ANN001
    """3x the forward FLOPs of one example through encoder and decoder (backward ~ 2x
    forward), counted by TensorFlow's profiler on the traced graph."""
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    f = tf.function(lambda x: model.decoder(model.encoder(x)["embedding"])["reconstruction"])
    graph = f.get_concrete_function(tf.TensorSpec([1, *model.input_shape_], tf.float32)).graph
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return 3.0 * model_analyzer.profile(graph, options=options).total_float_ops


def _pythae_runner(model: str, batches: list, args):  # noqa: ANN001, ANN202
    """A function timing Pythae's training step (``model`` with its MNIST conv benchmark nets,
    Adam, the same batches) on ``args.steps`` batches, or why it cannot run. ``run.close()``
    ends the child process and removes the saved batches.

    Pythae runs in a child process: PyTorch's OpenMP threads spin after each operation and,
    in the same process, slow down whatever TensorFlow runs next.
    """
    import importlib.util
    import shutil
    import subprocess
    import sys
    import tempfile

    import numpy as np

    if not (importlib.util.find_spec("torch") and importlib.util.find_spec("pythae")):
        return "not installed"
    if model not in _PYTHAE or args.width != 128:
        return f"{', '.join(_PYTHAE)} at width 128 only"
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "batches.npy")
    np.save(path, np.stack([b.numpy() for b in batches]))
    worker = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--pythae_worker",
            path,
            "--threads",
            str(args.threads),
            "--warmup",
            str(args.warmup),
            "--latent_dim",
            str(args.latent_dim),
            "--models",
            model,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def run() -> tuple[float, float]:
        worker.stdin.write("run\n")
        worker.stdin.flush()
        seconds, loss = worker.stdout.readline().split()
        return float(seconds), float(loss)

    def close() -> None:
        worker.stdin.close()  # the worker's loop over stdin ends
        worker.wait()
        shutil.rmtree(folder, ignore_errors=True)

    if worker.stdout.readline().strip() != "ready":
        close()
        return "failed to start"
    run.close = close
    return run


def _pythae_worker(path: str, args) -> None:  # noqa: ANN001
    """The child process of :func:`_pythae_runner`: trains Pythae's ``args.models`` on the
    saved batches (``[steps, B, 28, 28, 1]``), one timed pass per ``run`` line on stdin."""
    import numpy as np
    import pythae.models
    import torch
    from pythae.models.nn.benchmarks import mnist

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model_name, config_name, encoder_name = _PYTHAE[args.models]
    fields = {
        "input_dim": (1, 28, 28),
        "latent_dim": args.latent_dim,
        "reconstruction_loss": "bce",
        **_SETTINGS.get(args.models, {}),
    }
    config_class = getattr(pythae.models, config_name)
    if "reconstruction_loss" not in config_class.__dataclass_fields__:  # VQVAE: always MSE
        fields.pop("reconstruction_loss")
    cfg = config_class(**fields)
    net = getattr(pythae.models, model_name)(
        cfg, encoder=getattr(mnist, encoder_name)(cfg), decoder=mnist.Decoder_Conv_AE_MNIST(cfg)
    )
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xs = [torch.from_numpy(b).permute(0, 3, 1, 2).contiguous() for b in np.load(path)]

    def step(x) -> float:  # noqa: ANN001
        opt.zero_grad()
        loss = net({"data": x})["loss"]
        loss.backward()
        opt.step()
        return float(loss)

    for x in xs[: args.warmup]:
        step(x)
    print("ready", flush=True)
    for _ in sys.stdin:
        start = time.perf_counter()
        losses = [step(x) for x in xs[args.warmup :]]
        print(time.perf_counter() - start, losses[-1], flush=True)


def _nll_memory(tfvae, keras, args) -> None:  # noqa: ANN001
    """Peak RSS growth of model.nll at K=100 then K=5000: chunking keeps memory flat."""
    data = tfvae.data.load("fashion_mnist", limit=256, validation_split=0.0)
    model = tfvae.build_model(
        "vae", input_shape=(28, 28, 1), latent_dim=args.latent_dim, reconstruction_loss="bce"
    )
    for k in (100, 5000):
        before = _peak_rss_mb()
        start = time.perf_counter()
        est = model.nll(data.x_test[:64], n_samples=k, chunk_size=100)
        print(
            f"nll K={k}: {est.nll:.1f} nats, {time.perf_counter() - start:.1f} s, "
            f"peak RSS {_peak_rss_mb():.0f} MB (+{_peak_rss_mb() - before:.0f})"
        )


if __name__ == "__main__":
    main()
