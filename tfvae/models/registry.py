"""The model registry: Pythae's class names, looked up case-insensitively."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from tfvae.errors import ConfigError

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
    encoder: keras.Model | None = None,
    decoder: keras.Model | None = None,
    **config_fields: Any,
) -> keras.Model:
    """Build a registered model; default networks for ``input_shape`` when none are given.
    ``config_fields`` are the model config's fields, plus the model's extra networks by name
    (FactorVAE's ``discriminator``, ...).

    Example:
        >>> model = tfvae.build_model("vae", input_shape=(28, 28, 1), latent_dim=16)
    """
    cls = get_model_class(name)
    networks = {n: config_fields.pop(n) for n in cls.extra_networks if n in config_fields}
    config = cls.config_class(
        input_shape=tuple(input_shape), latent_dim=latent_dim, **config_fields
    )
    return cls(config, encoder=encoder, decoder=decoder, **networks)
