"""Fully connected networks (Pythae's default architectures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from tfvae.nn.base import ACTIVATIONS, Network, check_positive_int, float32


@keras.saving.register_keras_serializable(package="tfvae")
class MLPEncoder(Network):
    """Flatten -> Dense(hidden, relu)... -> Dense(latent_dim) [+ Dense(latent_dim) log-variance].

    Input ``[B, *data_shape]``; output ``{"embedding": [B, D], "log_covariance": [B, D]}``
    (the second key only when ``variational``).

    Example:
        >>> enc = MLPEncoder(latent_dim=16)
        >>> enc(np.zeros((2, 28, 28, 1), "float32"))["embedding"].shape
        TensorShape([2, 16])
    """

    def __init__(
        self,
        latent_dim: int,
        hidden: Sequence[int] = (512,),
        variational: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_positive_int("MLPEncoder", "latent_dim", latent_dim)
        for h in hidden:
            check_positive_int("MLPEncoder", "hidden", h)
        self._remember(latent_dim=latent_dim, hidden=list(hidden), variational=variational)
        self.variational = variational
        self.flatten = keras.layers.Flatten()
        self.hidden_layers = [keras.layers.Dense(h, activation="relu") for h in hidden]
        self._build_heads(latent_dim, variational, zero_log_var=False)

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        h = self.flatten(x)
        for layer in self.hidden_layers:
            h = layer(h)
        return self.encoder_heads(h)


@keras.saving.register_keras_serializable(package="tfvae")
class MLPDecoder(Network):
    """Dense(hidden, relu)... -> Dense(prod(data_shape)) -> reshape -> activation.

    Args:
        scale_head: also output ``log_scale`` ``[B, *data_shape]`` (a second dense head), for
            ``reconstruction_loss="gaussian_heteroscedastic"``.
    Input ``z: [B, D]``; output ``{"reconstruction": [B, *data_shape](, "log_scale": ...)}``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        hidden: Sequence[int] = (512,),
        output_activation: str = "sigmoid",
        scale_head: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"MLPDecoder: output_activation must be one of {ACTIVATIONS}. "
                f"Received: output_activation={output_activation!r}"
            )
        self._remember(
            data_shape=list(data_shape),
            hidden=list(hidden),
            output_activation=output_activation,
            **({"scale_head": True} if scale_head else {}),  # old saves have no such key
        )
        self.data_shape = tuple(int(d) for d in data_shape)
        self.hidden_layers = [keras.layers.Dense(h, activation="relu") for h in hidden]
        self.out = keras.layers.Dense(int(np.prod(self.data_shape)), activation=output_activation)
        self.reshape = keras.layers.Reshape(self.data_shape)
        self.scale = (
            keras.layers.Dense(int(np.prod(self.data_shape)), name="log_scale")
            if scale_head
            else None
        )

    def call(self, z: Any, training: bool = False) -> dict[str, Any]:
        h = z
        for layer in self.hidden_layers:
            h = layer(h)
        out = {"reconstruction": float32(self.reshape(self.out(h)))}
        if self.scale is not None:
            out["log_scale"] = float32(self.reshape(self.scale(h)))
        return out


@keras.saving.register_keras_serializable(package="tfvae")
class MLPDiscriminator(Network):
    """Flatten -> Dense(hidden, LeakyReLU(slope)) x ``num_layers`` -> Dense(``num_outputs``).

    Pythae's FactorVAE discriminator (5 x 1000 units, slope 0.2, 2 logits) is the default.
    Input ``[B, *input_dim]`` (codes ``[B, D]`` or images); output logits ``[B, num_outputs]``,
    or with ``return_features`` a dict ``{"logit": [B, num_outputs], "layer_1": [B, hidden],
    ..., "layer_<num_layers>": ...}`` (the hidden activations VAEGAN compares).
    """

    def __init__(
        self,
        input_dim: int | Sequence[int],
        hidden_units: int = 1000,
        num_layers: int = 5,
        num_outputs: int = 2,
        negative_slope: float = 0.2,
        return_features: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        shape = [input_dim] if isinstance(input_dim, int) else list(input_dim)
        for value in shape:
            check_positive_int("MLPDiscriminator", "input_dim", value)
        for arg, value in (
            ("hidden_units", hidden_units),
            ("num_layers", num_layers),
            ("num_outputs", num_outputs),
        ):
            check_positive_int("MLPDiscriminator", arg, value)
        self._remember(
            input_dim=input_dim,
            hidden_units=hidden_units,
            num_layers=num_layers,
            num_outputs=num_outputs,
            negative_slope=negative_slope,
            return_features=return_features,
        )
        self.return_features = return_features
        self.flatten = keras.layers.Flatten()
        self.hidden_layers = [
            keras.layers.Dense(hidden_units, activation=keras.layers.LeakyReLU(negative_slope))
            for _ in range(num_layers)
        ]
        self.logits = keras.layers.Dense(num_outputs, name="logits")
        self.build((None, *shape))

    def build(self, input_shape: Any) -> None:
        shape = (input_shape[0], int(np.prod(input_shape[1:])))
        for layer in self.hidden_layers:
            layer.build(shape)
            shape = (shape[0], layer.units)
        self.logits.build(shape)
        self.built = True

    def call(self, z: Any, training: bool = False) -> Any:
        h = self.flatten(z)
        features = {}
        for i, layer in enumerate(self.hidden_layers, start=1):
            h = layer(h)
            features[f"layer_{i}"] = h
        logits = self.logits(h)
        return {"logit": logits, **features} if self.return_features else logits
