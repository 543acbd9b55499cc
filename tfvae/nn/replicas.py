"""Multi-replica helpers for losses: what one device computes, N replicas compute too.

Under a ``tf.distribute`` strategy each replica sees ``B_local`` rows of the global batch.
Per-example losses are fine as they are; a loss that **couples the examples of a batch** (MMD
between codes and prior samples, BetaTCVAE's minibatch-weighted total correlation, FactorVAE's
permuted codes, RHVAE's metric centroids) must see the global batch, and random draws must give
example ``i`` the same noise however the batch is split. The one function to use in such a
loss is :func:`global_batch` (gather the rows of every replica); :func:`replica_rows` says
where this replica's rows sit in it, and :func:`global_batch_draw` runs a random draw as if on
the global batch. On one device each is the identity.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf


def global_batch(x: tf.Tensor) -> tf.Tensor:
    """``x: [B_local, ...]`` gathered over the replicas of a strategy (in replica order; the
    gradient flows back to each replica's rows), or ``x`` itself on one device. Losses that
    couple the examples of a batch (MMD, total correlation, capacity) use it so that N replicas
    train exactly like one device with the same global batch."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_gather(x, axis=0)


def replica_rows(local: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``(offset, global size)``: where this replica's ``local`` rows start in the global batch
    (``(0, local)`` on one device); both int32 scalars."""
    ctx = tf.distribute.get_replica_context()
    local = tf.cast(local, tf.int32)
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return tf.constant(0, tf.int32), local
    sizes = ctx.all_gather(local[None], axis=0)
    return tf.reduce_sum(sizes[: ctx.replica_id_in_sync_group]), tf.reduce_sum(sizes)


def global_batch_draw(
    encoder_outputs: dict[str, tf.Tensor], draw: Any, batch_axes: tuple[int, ...]
) -> tuple[tf.Tensor, ...]:
    """Run a random ``draw(encoder_outputs) -> tensors`` as if on the global batch.

    Outside a multi-replica strategy this is ``draw(encoder_outputs)``. Inside one, the
    per-example inputs (``[B_local, ...]``) are zero-padded into this replica's rows of the
    global batch, ``draw`` runs on the global batch with the (replica-independent) seed, and
    this replica's rows are sliced back out of each output along its ``batch_axes`` entry.
    Example ``i`` of a global batch thus gets the same noise however the batch is split.
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return draw(encoder_outputs)
    local = tf.shape(next(iter(encoder_outputs.values())))[0]
    offset, total = replica_rows(local)
    after = total - offset - local
    padded = {
        k: tf.pad(v, [[offset, after]] + [[0, 0]] * (len(v.shape) - 1))
        for k, v in encoder_outputs.items()
    }
    outputs = draw(padded)
    return tuple(
        tf.gather(out, tf.range(offset, offset + local), axis=axis)
        for out, axis in zip(outputs, batch_axes, strict=True)
    )


def global_sum(x: tf.Tensor) -> tf.Tensor:
    """``x`` summed over the replicas of a strategy (``x`` itself on one device): counts and
    sums of a batch statistic that every replica must agree on."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_reduce("sum", x)


__all__ = ["global_batch", "global_batch_draw", "global_sum", "replica_rows"]
