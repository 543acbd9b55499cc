"""Training throughput on 1 and N replicas (MirroredStrategy) and the scaling efficiency.

On a GPU machine the replicas are the GPUs; without GPUs the CPU is split into N logical
devices (which share the same cores, so the figure there measures overhead, not speed-up).

    python tools/bench_scaling.py                 # conv VAE, width 32, batch 128, 2 replicas
    python tools/bench_scaling.py --replicas 4 --width 128 --batch_size 256
"""

from __future__ import annotations

import argparse
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="vae")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--batch_size", type=int, default=128, help="global batch")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()] * args.replicas,
        )
    import keras

    import tfvae

    kind = "GPU" if gpus else "CPU"
    devices = [d.name for d in tf.config.list_logical_devices(kind)][: args.replicas]
    n = args.batch_size * (args.steps + args.warmup)
    data = tfvae.data.load(
        "fashion_mnist", batch_size=args.batch_size, limit=n, validation_split=0.0
    )
    rows = []
    for replicas in (1, args.replicas):
        strategy = tf.distribute.MirroredStrategy(devices[:replicas])
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = tfvae.build_model(
                args.model,
                input_shape=(28, 28, 1),
                latent_dim=16,
                networks="conv",
                width=args.width,
                reconstruction_loss="bce",
            )
            model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(data.train.take(args.warmup), epochs=1, verbose=0)
        timed = data.train.skip(args.warmup).take(args.steps).cache()
        for _ in timed:
            pass
        start = time.perf_counter()
        model.fit(timed, epochs=1, verbose=0)
        seconds = time.perf_counter() - start
        rows.append((replicas, args.steps * args.batch_size / seconds))
    base = rows[0][1]
    print(
        f"\nMirroredStrategy scaling on {kind} ({', '.join(devices)}), {args.model}, conv width "
        f"{args.width}, global batch {args.batch_size}, TF {tf.__version__}\n"
    )
    print("| replicas | samples/s | speed-up | efficiency |")
    print("|---|---|---|---|")
    for replicas, sps in rows:
        print(f"| {replicas} | {sps:.1f} | {sps / base:.2f}x | {sps / base / replicas:.0%} |")


if __name__ == "__main__":
    main()
