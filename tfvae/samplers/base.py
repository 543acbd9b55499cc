"""Sampler base class and registry.

A sampler draws latent codes for a trained model and decodes them:
``sampler = GaussianMixtureSampler(model).fit(data.train); images = sampler.sample(64)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from tfvae.config import BaseConfig

_SAMPLERS: dict[str, type] = {}
_ALIASES: dict[str, str] = {}


@dataclasses.dataclass
class BaseSamplerConfig(BaseConfig):
    """Fields shared by samplers (none yet)."""


class BaseSampler:
    """Base of tfvae samplers.

    Args:
        model: a trained tfvae model.
        config: the sampler's config (or a dict of its fields).
    """

    config_class: ClassVar[type[BaseSamplerConfig]] = BaseSamplerConfig
    #: True when :meth:`fit` must see data before :meth:`sample`
    needs_fit: ClassVar[bool] = False

    def __init__(self, model: Any, config: BaseSamplerConfig | dict | None = None) -> None:
        self.model = model
        self.config = self.config_class.coerce(config, type(self).__name__)
        self.is_fitted = not self.needs_fit

    def fit(self, data: Any = None, **kwargs: Any) -> BaseSampler:
        """Fit the sampler on training data (an array or a ``tf.data.Dataset``); returns self."""
        self.is_fitted = True
        return self

    def training_codes(self, data: Any) -> np.ndarray:
        """The model's codes of the data a sampler is fitted on, float32 ``[N, D]``."""
        if data is None:
            raise ValueError(f"{type(self).__name__}.fit needs training data (array or dataset)")
        return self.model.embed(data).astype(np.float32)

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` latent codes, ``[n, latent_dim]``."""
        raise NotImplementedError

    def log_prob(self, codes: Any) -> np.ndarray:
        """Log-density of codes ``[N, D]`` under the sampler's latent distribution, ``[N]``."""
        raise NotImplementedError

    def sample(self, n: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
        """``n`` generated examples ``[n, *input_shape]`` (data space, in [0, 1] for images)."""
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"{type(self).__name__}.sample: n must be a positive int, got {n!r}")
        if not self.is_fitted:
            raise RuntimeError(
                f"{type(self).__name__} must be fitted first: sampler.fit(train_data)"
            )
        codes = self.sample_codes(n, seed=seed).astype(np.float32)
        out = [
            np.asarray(self.model.decode(codes[i : i + batch_size]))
            for i in range(0, n, batch_size)
        ]
        return np.concatenate(out)


def register_sampler(*aliases: str) -> Any:
    """Class decorator: register a sampler under its class name and short ``aliases``."""

    def wrap(cls: type) -> type:
        _SAMPLERS[cls.__name__.lower()] = cls
        for alias in aliases:
            _ALIASES[alias.lower()] = cls.__name__.lower()
        return cls

    return wrap


def list_samplers() -> list[str]:
    """Registered sampler names (class names), sorted."""
    return sorted(cls.__name__ for cls in _SAMPLERS.values())


def sampler_aliases() -> dict[str, str]:
    """Short names (``gmm``) -> class names (``GaussianMixtureSampler``)."""
    return {a: _SAMPLERS[k].__name__ for a, k in sorted(_ALIASES.items())}


def get_sampler_class(name: str) -> type:
    key = name.lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _SAMPLERS:
        names = ", ".join(f"{a} ({c})" for a, c in sampler_aliases().items())
        raise ValueError(f"unknown sampler {name!r}; available samplers: {names}")
    return _SAMPLERS[key]


def build_sampler(name: str, model: Any, **fields: Any) -> BaseSampler:
    """Build a registered sampler by class name or alias, with config ``fields``."""
    cls = get_sampler_class(name)
    return cls(model, cls.config_class(**fields))
