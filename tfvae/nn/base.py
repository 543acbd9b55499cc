"""The encoder/decoder contract and the serialisable base class of tfvae's networks.

**Encoders** map ``x: [B, *data_shape]`` to a dict: ``"embedding"`` ``[B, D]`` and, for
variational models, ``"log_covariance"`` ``[B, D]`` (log of the diagonal covariance).
**Decoders** map ``z: [B, D]`` to ``{"reconstruction": [B, *data_shape]}``: logits for a
Bernoulli likelihood (``output_activation="linear"``), means for a Gaussian one (usually
``"sigmoid"`` for images in [0, 1]). Any ``keras.Model`` following this contract plugs into
every tfvae model; register its class with ``keras.saving.register_keras_serializable`` so
saved models reload in safe mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

ACTIVATIONS = ("sigmoid", "linear")


def _check_int(owner: str, name: str, value: Any, minimum: int) -> int:
    """``value`` if it is an int (not a bool) ``>= minimum`` (0 or 1), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "positive" if minimum else "non-negative"
        raise ValueError(f"{owner}: expected a {kind} integer. Received: {name}={value!r}")
    return value


def check_positive_int(owner: str, name: str, value: Any) -> int:
    return _check_int(owner, name, value, 1)


def check_non_negative_int(owner: str, name: str, value: Any) -> int:
    return _check_int(owner, name, value, 0)


class Network(keras.Model):
    """Base of tfvae's networks: remembers its constructor arguments for ``get_config``.

    Subclasses call ``self._remember(**args)`` with every constructor argument (plain
    JSON-able values only), so the network serialises without lambdas or pickles.
    """

    def _remember(self, **args: Any) -> None:
        self._init_args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in args.items()}

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, **self._init_args}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        return cls(**config)

    def _build_heads(self, latent_dim: int, variational: bool, zero_log_var: bool) -> None:
        """The encoder's output layers: ``self.embedding`` (the posterior mean, or the code) and,
        when ``variational``, ``self.log_var``. With ``zero_log_var`` (the conv presets of every
        rank) its kernel starts at zero, so every posterior starts with the prior's unit
        variance and its log-variance moves only as training moves it. With Glorot's kernel
        there (Keras's default) Pythae's width-128 conv encoder, whose head reads 1,024
        batch-normalised features, reached log-variances of +14 within four Adam steps at
        1e-3: KL spikes of 1e5-6e7 nats in the first epochs and 3 of 4 seeds still behind after
        4 epochs (validation loss 314-537 on those seeds, 276-282 on all four with this start;
        ``tools/pythae_parity.py``'s setting, 2026-12-07). The MLP presets keep Glorot's
        kernel: they train without spikes with it (tests/models/test_defaults_train.py)."""
        self.embedding = keras.layers.Dense(latent_dim, name="embedding")
        self.log_var = None
        if variational:
            initializer = "zeros" if zero_log_var else "glorot_uniform"
            self.log_var = keras.layers.Dense(
                latent_dim, kernel_initializer=initializer, name="log_var"
            )

    def encoder_heads(self, h: Any) -> dict[str, Any]:
        """The encoder contract's outputs from features ``h: [B, F]``: ``embedding`` from
        ``self.embedding`` and, when ``self.log_var`` is a layer, ``log_covariance``."""
        out = {"embedding": float32(self.embedding(h))}
        if self.log_var is not None:
            out["log_covariance"] = float32(self.log_var(h))
        return out


@contextlib.contextmanager
def float32_policy() -> Iterator[None]:
    """Layers created inside compute in float32 whatever the global dtype policy."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32(x: Any) -> Any:
    """``x`` as float32: networks compute in the dtype policy's compute dtype (bfloat16 under
    ``mixed_bfloat16``) but hand codes and reconstructions to the losses in float32."""
    return keras.ops.cast(x, "float32")
