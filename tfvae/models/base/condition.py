"""Conditioning: how a class label or an attribute vector reaches a model's networks.

One mechanism serves every model: a conditional model (``config.condition``) embeds the
condition ``y`` into a vector ``c: [B, K]`` (:class:`ConditionEmbedding`: a one-hot or a
learned embedding of class labels, or the attribute vector itself) and

- the encoder sees ``x`` with ``c`` appended as K extra channels, broadcast over the example's
  time/space axes (``[B, D + K]`` for vectors, ``[B, *spatial, C + K]`` otherwise);
- the decoder sees ``z`` with ``c`` appended, ``[B, latent_dim + K]``.

So the benchmark networks and any network of the contract (:mod:`tfvae.nn.base`) take a
condition without code of their own: their first layer is built for the wider input. A model
written as config + ``compute_loss_terms`` gets conditioning for free: it sets nothing, the
base class puts the batch's condition in a :class:`ConditionScope` around the training step,
and its calls to :meth:`~tfvae.models.base.BaseAE.run_encoder` and
:meth:`~tfvae.models.base.BaseAE.decoder_params` read it. Codes drawn ``n`` at a time per
example (importance samples ``[K * B, D]``, sample-outer as everywhere in tfvae) get the
condition tiled to match.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfvae.errors import ConfigError, DataError

CONDITION_KINDS = ("class", "vector")


@keras.saving.register_keras_serializable(package="tfvae")
class ConditionEmbedding(keras.layers.Layer):
    """``y -> c: [B, K]`` float32.

    Args:
        kind: ``"class"`` (``y: [B]`` int labels in ``[0, num_classes)``) or ``"vector"``
            (``y: [B, K]`` float attributes, passed through).
        num_classes: for ``"class"``.
        embedding_dim: for ``"class"``: ``None`` one-hot (``K = num_classes``), else a learned
            embedding of this size.
        size: for ``"vector"``: K.
    """

    def __init__(
        self,
        kind: str,
        num_classes: int | None = None,
        embedding_dim: int | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.kind, self.num_classes = kind, num_classes
        self.embedding_dim, self.size = embedding_dim, size
        self.table = None
        if kind == "class" and embedding_dim:
            self.table = self.add_weight(
                shape=(num_classes, embedding_dim),
                initializer=keras.initializers.RandomNormal(stddev=1.0),
                name="class_embedding",
            )

    @property
    def dim(self) -> int:
        """K, the width of ``c``."""
        if self.kind == "vector":
            return int(self.size)
        return int(self.embedding_dim or self.num_classes)

    def call(self, y: Any) -> tf.Tensor:
        if self.kind == "vector":
            return tf.reshape(tf.cast(y, tf.float32), [-1, self.dim])
        labels = tf.reshape(tf.cast(y, tf.int32), [-1])
        if self.table is None:
            return tf.one_hot(labels, self.num_classes, dtype=tf.float32)
        return tf.gather(tf.convert_to_tensor(self.table), labels)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "kind": self.kind,
            "num_classes": self.num_classes,
            "embedding_dim": self.embedding_dim,
            "size": self.size,
        }


def as_condition(config: Any, y: Any, n: int | None = None, what: str = "condition") -> Any:
    """Check a user's condition for a model of ``config`` and return it as an array:
    ``[n]`` int32 labels (an int is repeated ``n`` times) or ``[n, K]`` float32 attributes
    (one vector ``[K]`` is repeated).

    Raises:
        DataError: a label out of range, a wrong shape, NaN, or a count that is not ``n``.
    """
    if tf.is_tensor(y):
        return y
    arr = np.asarray(y)
    if config.condition == "class":
        if arr.ndim == 0:
            arr = np.full([n or 1], arr)
        arr = arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr
        if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
            if arr.ndim == 1 and np.issubdtype(arr.dtype, np.floating) and arr.size:
                if np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                    arr = arr.astype(np.int64)
            if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
                raise DataError(
                    f"{what}: class labels are integers [N], got dtype {arr.dtype} and shape "
                    f"{arr.shape}"
                )
        if arr.size and (arr.min() < 0 or arr.max() >= config.num_classes):
            raise DataError(
                f"{what}: labels must lie in [0, {config.num_classes}) (num_classes="
                f"{config.num_classes}); got values in [{arr.min()}, {arr.max()}]"
            )
        arr = arr.astype(np.int32)
    else:
        size = int(config.condition_shape[0])
        arr = arr.astype(np.float32)
        if arr.ndim == 1 and arr.shape[0] == size:
            arr = np.repeat(arr[None], n or 1, axis=0)
        if arr.ndim != 2 or arr.shape[1] != size:
            raise DataError(f"{what}: attribute vectors are [N, {size}], got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise DataError(f"{what}: attribute vectors contain NaN or Inf")
    if n is not None and len(arr) != n:
        raise DataError(f"{what}: {len(arr)} conditions for {n} examples")
    return arr


def check_condition_config(config: Any) -> None:
    """Refuse an incomplete condition in a model config (called by its ``validate``)."""
    check_guidance_config(config)
    if config.condition is None:
        if config.num_classes is not None or config.condition_shape is not None:
            raise ConfigError(
                "num_classes / condition_shape are set but condition is None; set "
                "condition='class' (with num_classes) or condition='vector' (with "
                "condition_shape=(K,))"
            )
        return
    if config.condition not in CONDITION_KINDS:
        raise ConfigError(
            f"condition must be one of {CONDITION_KINDS} or None, got {config.condition!r}"
        )
    if config.condition == "class":
        n = config.num_classes
        if isinstance(n, bool) or not isinstance(n, int) or n < 2:
            raise ConfigError(f"condition='class' needs num_classes >= 2, got {n!r}")
        e = config.condition_embedding_dim
        if e is not None and (isinstance(e, bool) or not isinstance(e, int) or e < 1):
            raise ConfigError(f"condition_embedding_dim must be a positive int, got {e!r}")
    else:
        shape = config.condition_shape
        if shape is None or len(shape) != 1 or int(shape[0]) < 1:
            raise ConfigError(
                f"condition='vector' needs condition_shape=(K,) with K >= 1, got {shape!r}"
            )


def condition_width(config: Any) -> int:
    """K, the width of the condition ``c`` the networks of a model of ``config`` receive (0
    for an unconditional model)."""
    if config.condition is None:
        return 0
    if config.condition == "vector":
        return int(config.condition_shape[0])
    return int(config.condition_embedding_dim or config.num_classes)


def check_guidance_config(config: Any) -> None:
    """Refuse ``condition_dropout`` / ``guidance`` values a model cannot use."""
    p, w = config.condition_dropout, config.guidance
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p < 1.0:
        raise ConfigError(f"condition_dropout must be a number in [0, 1), got {p!r}")
    if p > 0 and config.condition != "class":
        raise ConfigError(
            f"condition_dropout={p} needs condition='class' (got condition="
            f"{config.condition!r}): the null condition is the all-zero label vector, which "
            "an attribute vector could equal"
        )
    check_guidance(config, w)
    check_guidance_rescale(config.guidance_rescale)


def _is_number(value: Any) -> bool:
    """A Python or NumPy int or float, not a bool."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def check_guidance_rescale(rescale: float) -> None:
    """Refuse a guidance rescale ``phi`` that is not a finite number in ``[0, 1]``."""
    if not _is_number(rescale) or not 0.0 <= float(rescale) <= 1.0:
        raise ConfigError(f"guidance_rescale must be a number in [0, 1], got {rescale!r}")


def check_guidance(config: Any, guidance: float) -> None:
    """Refuse a guidance weight that is not a finite number ``>= 0``, or ``> 0`` for a model
    trained without the null condition."""
    w = guidance
    if not _is_number(w) or not np.isfinite(w) or w < 0:
        raise ConfigError(f"guidance must be a finite number >= 0, got {w!r}")
    if guidance and not config.condition_dropout:
        raise ConfigError(
            f"guidance={guidance} needs a model trained with condition_dropout > 0 (e.g. "
            "0.15): without it the decoder never learned p(x) under the null condition, "
            "and guided samples extrapolate towards an output it never made"
        )


class ConditionScope:
    """The condition ``c: [B, K]`` of the batch being processed, for the networks' inputs.

    A plain Python holder (not tracked by Keras), set by :meth:`active` around a training
    step or an inference call, read by :meth:`for_rows`. It is thread-local: under a
    ``tf.distribute`` strategy each replica traces its step in a thread of its own.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def current(self) -> tf.Tensor | None:
        return getattr(self._local, "current", None)

    @current.setter
    def current(self, value: tf.Tensor | None) -> None:
        self._local.current = value

    @contextlib.contextmanager
    def active(self, c: tf.Tensor | None) -> Iterator[None]:
        previous, self.current = self.current, c
        try:
            yield
        finally:
            self.current = previous

    @contextlib.contextmanager
    def rows(self, select: Any) -> Iterator[None]:
        """Within: the condition of a sub-batch, ``select(c)`` (e.g. ``lambda c: c[0::2]``),
        for models that split their batch; a no-op when no condition is active."""
        if self.current is None:
            yield
            return
        with self.active(select(self.current)):
            yield

    def for_rows(self, rows: tf.Tensor, owner: str) -> tf.Tensor:
        """The condition for a tensor of ``rows`` examples: the batch's ``[B, K]``, tiled
        ``rows / B`` times (sample-outer ``[n * B, ...]``)."""
        if self.current is None:
            raise ConfigError(
                f"{owner} is conditional: pass the condition (labels or attribute vectors) "
                "with the data, e.g. fit((x, y)), encode(x, condition=y), "
                "generate(n, condition=3)"
            )
        c = self.current
        batch = tf.shape(c)[0]
        check = tf.debugging.assert_equal(
            tf.math.floormod(rows, batch) + tf.cast(rows < batch, tf.int32),
            0,
            message=f"{owner}: a network input's batch is not a multiple of the condition's",
        )
        with tf.control_dependencies([check]):
            return tf.tile(c, [tf.math.floordiv(rows, batch), 1])


def append_condition(x: tf.Tensor, c: tf.Tensor) -> tf.Tensor:
    """``x: [B, *spatial, C]`` (or ``[B, D]``) with ``c: [B, K]`` appended on the last axis,
    broadcast over the spatial axes: ``[B, *spatial, C + K]``."""
    c = tf.cast(c, x.dtype)
    rank = len(x.shape)
    if rank == 2:
        return tf.concat([x, c], -1)
    c = tf.reshape(c, [-1] + [1] * (rank - 2) + [c.shape[-1]])
    spatial = tf.shape(x)[1:-1]
    c = tf.broadcast_to(c, tf.concat([tf.shape(c)[:1], spatial, tf.shape(c)[-1:]], 0))
    return tf.concat([x, c], -1)
