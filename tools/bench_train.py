"""Training throughput of ``fit()`` (samples/s) for conv models on Fashion-MNIST.

Pythae's 28x28 conv benchmark networks (``--width 128`` is Pythae's size), Bernoulli
likelihood, Adam, the tfvae input pipeline. Prints a Markdown table; the figure the
performance work is measured against. ``--models`` takes several names, e.g. ``vae,vqvae``
(VQVAE quantizes the encoder's flat code; the seed's distributed-training table times
Pythae's VQVAE: 100 epochs of MNIST on one V100 in 235 s).

    python tools/bench_train.py                       # VAE, batch 64 and 128, 2 threads
    python tools/bench_train.py --models vae,iwae,vqvae --batch_sizes 64 --steps 50 --jit
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
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import tfvae

    rows = []
    for name in args.models.split(","):
        for batch_size in (int(b) for b in args.batch_sizes.split(",")):
            rows.append(_measure(tfvae, keras, name, batch_size, args))
    print(f"\nfit() throughput, conv nets width {args.width}, {args.threads} threads, "
          f"jit={args.jit}, TF {tf.__version__}\n")  # fmt: skip
    print("| model | batch | width | samples/s | ms/step | loss |")
    print("|---|---|---|---|---|---|")
    for model, bs, width, sps, ms, loss in rows:
        print(f"| {model} | {bs} | {width} | {sps:.1f} | {ms:.1f} | {loss:.2f} |")


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
    return (cls.__name__, batch_size, args.width, args.steps * batch_size / seconds,
            seconds / args.steps * 1000, history.history["loss"][-1])  # fmt: skip


if __name__ == "__main__":
    main()
