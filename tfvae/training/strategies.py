"""Distribution strategies by name, and moving a built model into a strategy's scope."""

from __future__ import annotations

import functools
from typing import Any

import keras
import tensorflow as tf

STRATEGIES = (None, "mirrored", "multi_worker")


@functools.cache
def make_strategy(name: str | None) -> tf.distribute.Strategy | None:
    """``None`` (default device), ``"mirrored"`` (all local GPUs, or all logical CPUs when
    there is no GPU) or ``"multi_worker"`` (``MultiWorkerMirroredStrategy``, reads
    ``TF_CONFIG``).

    One strategy per name and process (cached): several live mirrored strategies in one
    process reuse collective-op keys and abort with shape mismatches. Create a multi-worker
    strategy before any TensorFlow op runs (before loading data): it configures collectives at
    program start-up; the pipeline then reuses it."""
    if name is None:
        return None
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; expected one of {list(STRATEGIES)}")


def in_strategy_scope(model: keras.Model, strategy: tf.distribute.Strategy | None) -> Any:
    """``model`` itself, or a copy built inside ``strategy.scope()`` (same config, same weights)
    when it was built outside: a strategy needs its variables created in its scope."""
    if strategy is None:
        return model
    with strategy.scope():
        clone = type(model).from_config(model.get_config())
        clone.set_weights(model.get_weights())
    return clone


def is_chief(strategy: tf.distribute.Strategy | None) -> bool:
    """Whether this process writes checkpoints, logs and models: always, except for the
    non-chief workers of a multi-worker run (``TF_CONFIG``'s ``chief``, or worker 0 when there
    is no chief)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    resolver = strategy.cluster_resolver
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None or task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and not has_chief
