"""tf.data input pipelines with a shuffle order that is a pure function of (seed, epoch).

The epoch lives in a ``tf.Variable`` read by the pipeline each time a new pass starts, and
:class:`EpochCallback` sets it at the start of every epoch, so a run resumed at epoch ``e``
sees exactly the batches an uninterrupted run sees (a ``shuffle`` buffer's RNG state is not
restored by checkpoints; this is).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf


class EpochCallback(keras.callbacks.Callback):
    """Sets the data pipeline's epoch variable at the start of each epoch."""

    def __init__(self, epoch: tf.Variable) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.assign(epoch)


def make_dataset(
    x: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    epoch: tf.Variable | None = None,
    binarize: bool = False,
    dequantize: bool = False,
    drop_remainder: bool = False,
    labels: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Batches of ``x`` (``[N, ...]`` float32 in ``[0, 1]``) as a ``tf.data.Dataset``.

    Args:
        x: validated examples, see :func:`tfvae.data.arrays.as_images`.
        batch_size: examples per batch.
        shuffle: reshuffle every pass, the order keyed by ``(seed, epoch)``.
        seed: the data seed.
        epoch: int64 variable holding the current epoch; each new pass over the dataset reads
            it and then increments it (so plain ``fit`` reshuffles each epoch), and
            :class:`EpochCallback` sets it exactly at each epoch start.
        binarize: dynamic binarisation, ``x ~ Bernoulli(x)`` drawn anew each epoch.
        dequantize: uniform dequantisation of 8-bit values, ``(255 x + u) / 256``.
        drop_remainder: drop the last incomplete batch.
        labels: ``[N]`` labels (or ``[N, K]`` attributes) to batch with the examples, in the
            same shuffled order: the dataset then yields ``(x, y)``, what conditional models
            train on.
    Returns:
        dataset of ``[batch, ...]`` float32 tensors, or of ``(x, y)`` pairs with ``labels``.
    """
    n = int(x.shape[0])
    if epoch is None:
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_epoch")
    data = tf.constant(x, dtype=tf.float32)
    targets = None if labels is None else tf.constant(np.asarray(labels))
    seed = int(seed)

    def start_pass(_: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        current = epoch.assign_add(1) - 1
        indices = tf.range(n, dtype=tf.int64)
        if shuffle:
            indices = tf.random.experimental.stateless_shuffle(
                indices, seed=tf.stack([tf.constant(seed, tf.int64), current])
            )
        return indices, tf.fill([n], current)

    ds = tf.data.Dataset.range(1).map(start_pass).unbatch()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder).enumerate()

    def gather(step: tf.Tensor, batch: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        indices, epochs = batch
        xb = tf.gather(data, indices)
        noise_seed = tf.stack([tf.constant(seed + 7919, tf.int64), epochs[0] * 1_000_003 + step])
        if dequantize:
            u = tf.random.stateless_uniform(tf.shape(xb), seed=noise_seed)
            xb = (xb * 255.0 + u) / 256.0
        if binarize:
            u = tf.random.stateless_uniform(tf.shape(xb), seed=noise_seed + 1)
            xb = tf.cast(u < xb, tf.float32)
        if targets is not None:
            return xb, tf.gather(targets, indices)
        return xb

    # A fixed, small parallelism with tf.data's autotuner off: each batch is one gather from
    # memory, and the end of an epoch (the iterator's teardown) waits for the autotuner's
    # thread, whose sleep grows with the epoch (8-9 s at batch 100 on the width-128 conv
    # nets, 2 cores; tools/bench_paths.py).
    options = tf.data.Options()
    options.autotune.enabled = False
    ds = ds.map(gather, num_parallel_calls=2, deterministic=True).prefetch(2)
    return ds.with_options(options)
