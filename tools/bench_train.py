"""Training throughput of ``fit()`` (samples/s) for conv models on Fashion-MNIST.

Pythae's 28x28 conv benchmark networks (``--width 128`` is Pythae's size), Bernoulli
likelihood, Adam, the tfvae input pipeline. Prints a Markdown table; the figure the
performance work is measured against. ``--models`` takes several names, e.g. ``vae,vqvae``
(VQVAE quantizes the encoder's flat code; the seed's distributed-training table times
Pythae's VQVAE: 100 epochs of MNIST on one V100 in 235 s).

    python tools/bench_train.py                       # VAE, batch 64 and 128, 2 threads
    python tools/bench_train.py --models vae,iwae,vqvae --batch_sizes 64 --steps 50 --jit

Besides samples/s it prints the training FLOPs per sample (forward + backward of the
convolution and dense layers, 3x the forward multiply-adds x 2), the roofline fraction
(achieved FLOP/s over a float32 2048x2048 matmul's FLOP/s on the same threads), the peak RSS
of the process, and Pythae's samples/s on the same networks when ``torch`` and ``pythae`` are
installed (``pip install torch pythae``; "not installed" otherwise) with the ratio. ``--nll``
adds the peak RSS of ``model.nll`` at K=100 and K=5000 (chunked importance samples).
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vae", help="comma-separated model names")
    parser.add_argument("--batch_sizes", default="64,128")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per batch size")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps (tracing)")
    parser.add_argument("--width", type=int, default=128, help="conv width (Pythae: 128)")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="TF intra/inter-op threads")
    parser.add_argument("--jit", action="store_true", help="compile train_step with XLA")
    parser.add_argument("--nll", action="store_true", help="also measure nll() memory")
    args = parser.parse_args()

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
            rows.append(_measure(tfvae, keras, name, batch_size, args))
    print(f"\nfit() throughput, conv nets width {args.width}, {args.threads} threads, "
          f"jit={args.jit}, TF {tf.__version__}; float32 matmul peak {peak / 1e9:.0f} GFLOP/s\n")  # fmt: skip
    print(
        "| model | batch | samples/s | ms/step | GFLOP/sample | roofline | Pythae samples/s "
        "| ratio | peak RSS MB | loss |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for model, bs, sps, ms, flops, loss, rss in rows:
        theirs = _pythae_samples_per_s(model, bs, args)
        ratio = f"{sps / theirs:.2f}" if isinstance(theirs, float) else "-"
        theirs = f"{theirs:.1f}" if isinstance(theirs, float) else theirs
        print(f"| {model} | {bs} | {sps:.1f} | {ms:.1f} | {flops / 1e9:.2f} | "
              f"{sps * flops / peak:.1%} | {theirs} | {ratio} | {rss:.0f} | {loss:.2f} |")  # fmt: skip


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


def _pythae_samples_per_s(model: str, batch_size: int, args) -> float | str:  # noqa: ANN001
    """Pythae's fit throughput on its own conv benchmark nets, or why it was not measured."""
    try:
        import torch
        from pythae.models import VAE, VAEConfig
        from pythae.models.nn.benchmarks.mnist import Decoder_Conv_AE_MNIST, Encoder_Conv_VAE_MNIST
    except ImportError:
        return "not installed"
    if model != "VAE" or args.width != 128:
        return "VAE, width 128 only"
    torch.set_num_threads(args.threads)
    cfg = VAEConfig(input_dim=(1, 28, 28), latent_dim=args.latent_dim, reconstruction_loss="bce")
    net = VAE(cfg, encoder=Encoder_Conv_VAE_MNIST(cfg), decoder=Decoder_Conv_AE_MNIST(cfg))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(batch_size, 1, 28, 28).round()
    for i in range(args.warmup + args.steps):
        if i == args.warmup:
            start = time.perf_counter()
        opt.zero_grad()
        net({"data": x})["loss"].backward()
        opt.step()
    return args.steps * batch_size / (time.perf_counter() - start)


def _nll_memory(tfvae, keras, args) -> None:  # noqa: ANN001
    """Peak RSS growth of model.nll at K=100 then K=5000: chunking keeps memory flat."""
    data = tfvae.data.load("fashion_mnist", limit=256, validation_split=0.0)
    model = tfvae.build_model("vae", input_shape=(28, 28, 1), latent_dim=args.latent_dim,
                              reconstruction_loss="bce")  # fmt: skip
    for k in (100, 5000):
        before = _peak_rss_mb()
        start = time.perf_counter()
        est = model.nll(data.x_test[:64], n_samples=k, chunk_size=100)
        print(
            f"nll K={k}: {est.nll:.1f} nats, {time.perf_counter() - start:.1f} s, "
            f"peak RSS {_peak_rss_mb():.0f} MB (+{_peak_rss_mb() - before:.0f})"
        )


def _measure(tfvae, keras, name: str, batch_size: int, args) -> tuple:  # noqa: ANN001
    """One row: (model, batch, width, samples/s, ms/step, final loss)."""
    keras.utils.set_random_seed(0)
    n = batch_size * (args.steps + args.warmup)
    data = tfvae.data.load("fashion_mnist", batch_size=batch_size, limit=n, validation_split=0.0)
    cls = tfvae.get_model_class(name)
    encoder, decoder = tfvae.nn.benchmark_networks(
        "conv", (28, 28, 1), args.latent_dim, variational=cls.variational,
        output_activation="linear", width=args.width,
    )  # fmt: skip
    model = cls(
        cls.config_class(input_shape=(28, 28, 1), latent_dim=args.latent_dim,
                         reconstruction_loss="bce"),
        encoder=encoder, decoder=decoder,
    )  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=args.jit)
    model.fit(data.train.take(args.warmup), epochs=1, verbose=0)
    timed = data.train.skip(args.warmup).take(args.steps).cache()
    for _ in timed:  # materialise the batches so the timing is the training step
        pass
    start = time.perf_counter()
    history = model.fit(timed, epochs=1, verbose=0)
    seconds = time.perf_counter() - start
    return (cls.__name__, batch_size, args.steps * batch_size / seconds,
            seconds / args.steps * 1000, _train_flops_per_sample(model),
            history.history["loss"][-1], _peak_rss_mb())  # fmt: skip


if __name__ == "__main__":
    main()
