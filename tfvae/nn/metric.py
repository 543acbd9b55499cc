"""Metric networks of RHVAE: ``x -> L_psi(x)``, lower triangular with a positive diagonal."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from tfvae.nn.base import Network, check_positive_int


@keras.saving.register_keras_serializable(package="tfvae")
class MLPMetric(Network):
    """Pythae's ``Metric_MLP``: Flatten -> Dense(hidden, relu) -> the diagonal (exponentiated,
    its log clipped to [-8, 8]) and the strictly lower part of ``L`` ``[B, D, D]``; RHVAE's local
    metric is ``L L^T``.

    Input ``[B, *data_shape]``; output ``{"L": [B, D, D]}``.
    """

    def __init__(self, latent_dim: int, hidden: int = 400, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_positive_int("MLPMetric", "latent_dim", latent_dim)
        check_positive_int("MLPMetric", "hidden", hidden)
        self._remember(latent_dim=latent_dim, hidden=hidden)
        self.latent_dim = latent_dim
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(hidden, activation="relu")
        self.diag = keras.layers.Dense(latent_dim, name="diag")
        rows, cols = np.tril_indices(latent_dim, k=-1)
        self.lower = keras.layers.Dense(len(rows), name="lower") if len(rows) else None
        # constant [k, D*D] placing the k strictly-lower coefficients (a matmul, no scatter)
        place = np.zeros((len(rows), latent_dim * latent_dim), np.float32)
        place[np.arange(len(rows)), rows * latent_dim + cols] = 1.0
        self._place = place

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        h = self.hidden(self.flatten(x))
        d = self.latent_dim
        # log-diagonal clipped to [-8, 8]: unbounded, it overflowed L L^T in float32 (NaN
        # losses, the failure Pythae users report for RHVAE)
        log_diag = keras.ops.clip(self.diag(h), -8.0, 8.0)
        L = keras.ops.multiply(keras.ops.eye(d), keras.ops.exp(log_diag)[:, :, None])
        if self.lower is not None:
            flat = keras.ops.matmul(self.lower(h), keras.ops.convert_to_tensor(self._place))
            L = L + keras.ops.reshape(flat, (-1, d, d))
        return {"L": L}
