"""``DataTransform``: the model's fitted preprocessing, between data units and model space.

Model space is where the networks and the likelihood work: ``(x - shift) / scale``. The
statistics are weights of the model (``preprocessing_shift``, ``preprocessing_scale`` and a
``preprocessing_fitted`` flag), created only when ``config.preprocessing`` is set, so models
without preprocessing keep their weights (and their old saves load).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfvae.data.preprocessing import default_axes, fit_stats, stat_shape
from tfvae.errors import ConfigError, DataError


class DataTransform:
    """The affine preprocessing ``x -> (x - shift) / scale`` of a model (identity when the
    config has none). Build with :meth:`for_model`."""

    def __init__(self) -> None:
        self.kind: str | None = None
        self.shift: Any = None
        self.scale: Any = None
        self.fitted: Any = None
        self.axes = "feature"
        self.identity_from: int | None = None
        self.input_shape: tuple[int, ...] = ()
        self.owner_name = ""

    @classmethod
    def for_model(cls, owner: Any, config: Any) -> DataTransform:
        """The transform of ``config.preprocessing``, its weights created on ``owner``."""
        transform = cls()
        transform.owner_name = type(owner).__name__
        transform.input_shape = tuple(config.input_shape)
        if config.preprocessing is None:
            return transform
        transform.kind = config.preprocessing
        sizes = tuple(getattr(config, "categorical_sizes", ()) or ())
        if sizes:
            transform.identity_from = int(config.input_shape[0]) - sum(sizes)
        transform.axes = config.preprocessing_axes or default_axes(transform.input_shape)
        shape = stat_shape(transform.input_shape, transform.axes)
        transform.shift = owner.add_weight(
            shape=shape, initializer="zeros", trainable=False, name="preprocessing_shift"
        )
        transform.scale = owner.add_weight(
            shape=shape, initializer="ones", trainable=False, name="preprocessing_scale"
        )
        transform.fitted = owner.add_weight(
            shape=(), initializer="zeros", trainable=False, name="preprocessing_fitted"
        )
        return transform

    @property
    def needs_fit(self) -> bool:
        """A preprocessing is declared and not fitted yet."""
        return self.kind is not None and float(self.fitted.numpy()) < 0.5

    def check_fitted(self) -> None:
        """Raise :class:`ConfigError` when the preprocessing was never fitted."""
        if self.needs_fit:
            raise ConfigError(
                f"{self.owner_name}: config.preprocessing={self.kind!r} is not fitted yet; "
                "call model.adapt(x_train) first (fit() on an array, TrainingPipeline and "
                "`tfvae train` do it for you)"
            )

    def adapt(self, data: Any) -> None:
        """Fit the statistics on ``data: [N, *input_shape]`` (data units)."""
        if self.kind is None:
            return
        x = np.asarray(data)
        if x.shape[1:] != self.input_shape:
            raise DataError(
                f"{self.owner_name}.adapt: examples of shape {x.shape[1:]}, the model expects "
                f"{self.input_shape}"
            )
        stats = fit_stats(x, self.kind, self.axes)
        shift, scale = stats.shift.copy(), stats.scale.copy()
        if self.identity_from is not None:  # a table's one-hot blocks stay as they are
            shift[self.identity_from :], scale[self.identity_from :] = 0.0, 1.0
        self.shift.assign(shift)
        self.scale.assign(scale)
        self.fitted.assign(1.0)

    def forward(self, x: tf.Tensor) -> tf.Tensor:
        """Data units -> model space, ``[B, *input_shape]``."""
        if self.kind is None:
            return x
        x = tf.convert_to_tensor(x)
        return (x - tf.cast(self.shift, x.dtype)) / tf.cast(self.scale, x.dtype)

    def inverse(self, x: tf.Tensor) -> tf.Tensor:
        """Model space -> data units, ``[B, *input_shape]``."""
        if self.kind is None:
            return x
        return x * tf.cast(self.scale, x.dtype) + tf.cast(self.shift, x.dtype)

    def log_det_jacobian(self) -> tf.Tensor:
        """``log |d forward / dx|`` of one example, a scalar: ``-sum log scale`` over every
        element (``log p_data(x) = log p_model(forward(x)) + this``)."""
        if self.kind is None:
            return tf.constant(0.0)
        per_stat = tf.math.log(tf.cast(self.scale, tf.float32))
        full = tf.broadcast_to(per_stat, self.input_shape)
        return -tf.reduce_sum(full)
