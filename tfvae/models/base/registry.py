"""The model registry: Pythae's class names, looked up case-insensitively."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from tfvae.distributions import get_likelihood
from tfvae.errors import ConfigError
from tfvae.models.base.config import decoder_activation
from tfvae.nn import NETWORK_KINDS, benchmark_networks

_MODELS: dict[str, type] = {}


def _key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def register_model(cls: type) -> type:
    """Class decorator: add a model to the registry and to Keras's serialisable objects."""
    _MODELS[_key(cls.__name__)] = cls
    return keras.saving.register_keras_serializable(package="tfvae")(cls)


def list_models() -> list[str]:
    """Names of the registered models (Pythae's spelling), sorted."""
    return sorted(cls.__name__ for cls in _MODELS.values())


def get_model_class(name: str) -> type:
    """The model class called ``name`` (case, ``_`` and ``-`` ignored).

    Raises:
        ValueError: unknown name; the message lists the valid ones.
    """
    if not isinstance(name, str) or _key(name) not in _MODELS:
        raise ConfigError(f"unknown model {name!r}; available models: {', '.join(list_models())}")
    return _MODELS[_key(name)]


def build_model(
    name: str,
    input_shape: Sequence[int],
    latent_dim: int = 10,
    networks: str | tuple[keras.Model, keras.Model] | None = None,
    width: int | None = None,
    encoder: keras.Model | None = None,
    decoder: keras.Model | None = None,
    **config_fields: Any,
) -> keras.Model:
    """Build a registered model: the one recipe the CLI, the workflows and the tools use.

    Args:
        name: a registered model (see :func:`list_models`), any case.
        input_shape: one example's shape, e.g. ``(28, 28, 1)``.
        latent_dim: D.
        networks: ``"mlp"``, ``"conv"`` or ``"resnet"`` for the benchmark networks of
            :func:`tfvae.nn.benchmark_networks` (the decoder's output activation picked from
            the likelihood: logits for ``"bce"``, means for ``"mse"``); an
            ``(encoder, decoder)`` pair of your own; or ``None`` for the model's default
            networks (an MLP of ``width`` hidden units when ``width`` is given). Models
            whose trait ``benchmark_networks`` is False (HRQVAE, PoincareVAE) keep
            their own networks whatever ``networks`` says.
        width: channel multiplier of conv/resnet networks, hidden units of the MLP.
        encoder, decoder: the same as ``networks=(encoder, decoder)``.
        config_fields: the model config's fields, plus the model's extra networks by name
            (FactorVAE's ``discriminator``, ...).

    Raises:
        ConfigError: an unknown model, field or network kind.

    Example:
        >>> model = tfvae.build_model("vae", input_shape=(28, 28, 1), latent_dim=16,
        ...                           networks="conv", reconstruction_loss="bce")
    """
    cls = get_model_class(name)
    extra = {n: config_fields.pop(n) for n in cls.extra_networks if n in config_fields}
    config = cls.config_class(
        input_shape=tuple(input_shape), latent_dim=latent_dim, **config_fields
    )
    if isinstance(networks, tuple | list):
        if len(networks) != 2:
            raise ConfigError(f"networks must be (encoder, decoder), got {len(networks)} items")
        encoder, decoder = networks
    elif networks is not None or width is not None:
        kind = networks or "mlp"
        if kind not in NETWORK_KINDS:
            raise ConfigError(
                f"networks must be one of {NETWORK_KINDS} or (encoder, decoder), got {kind!r}"
            )
        if cls.benchmark_networks and encoder is None and decoder is None:
            activation = decoder_activation(config)
            encoder, decoder = benchmark_networks(
                kind,
                config.input_shape,
                config.latent_dim,
                variational=cls.variational,
                output_activation=activation,
                width=width,
                scale_head=get_likelihood(config.reconstruction_loss).scale_head,
            )
    return cls(config, encoder=encoder, decoder=decoder, **extra)
