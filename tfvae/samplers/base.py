"""Sampler base class and registry.

A sampler draws latent codes for a trained model and decodes them:
``sampler = GaussianMixtureSampler(model).fit(data.train); images = sampler.sample(64)``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from tfvae.config import BaseConfig
from tfvae.errors import ConfigError
from tfvae.models.base.consistency import consistent_draws

_SAMPLERS: dict[str, type] = {}
_ALIASES: dict[str, str] = {}


@dataclasses.dataclass
class BaseSamplerConfig(BaseConfig):
    """Fields shared by samplers (none yet)."""


@dataclasses.dataclass
class TrainedSamplerConfig(BaseSamplerConfig):
    """Fields of samplers that train a Keras model of their own on the latent codes.

    Attributes:
        epochs, batch_size, learning_rate: that model's training (Adam).
        seed: its weights, data order and noise.
        verbose: progress of its ``fit`` (1: bar, 0: quiet).
        steps_per_execution: training steps per call of the traced step (Keras's
            ``compile`` option): the networks samplers train are small, so one Python round
            trip per step would take as long as the step; the updates are the same.
    """

    epochs: int = 50
    batch_size: int = 64
    learning_rate: float = 1e-3
    seed: int = 0
    verbose: int = 0
    steps_per_execution: int = 16

    def validate(self) -> None:
        self.check_positive("epochs", "batch_size", "learning_rate", "steps_per_execution")
        self.check("verbose", self.verbose in (0, 1, 2), "0, 1 or 2")


class BaseSampler:
    """Base of tfvae samplers.

    Args:
        model: a trained tfvae model.
        config: the sampler's config (or a dict of its fields).
    """

    config_class: ClassVar[type[BaseSamplerConfig]] = BaseSamplerConfig
    #: True when :meth:`fit` must see data before :meth:`sample`
    needs_fit: ClassVar[bool] = False
    #: ``(latent_geometry, the models that have it)`` for samplers of one latent geometry
    requires_geometry: ClassVar[tuple[str, str] | None] = None
    #: :meth:`sample_codes` takes ``condition=`` (checked labels ``[n]``) and draws codes of
    #: each class from a density of that class (the GMM's fitted per class, the prior of a
    #: conditional VAMP); the others draw one latent density for every class and leave the
    #: condition to the conditional decoder
    conditional_codes: ClassVar[bool] = False

    def __init__(self, model: Any, config: BaseSamplerConfig | dict | None = None) -> None:
        if self.requires_geometry is not None:
            wanted, models = self.requires_geometry
            geometry = model.latent_geometry  # a declared trait of every tfvae model
            if geometry != wanted:
                raise ValueError(
                    f"{type(self).__name__} needs a model with a {wanted} latent space "
                    f"({models}); {type(model).__name__} has a {geometry} one"
                )
        self.model = model
        self.config = self.config_class.coerce(config, type(self).__name__)
        self.is_fitted = not self.needs_fit

    def fit(self, data: Any = None, **kwargs: Any) -> BaseSampler:
        """Fit the sampler on training data (an array or a ``tf.data.Dataset``; for a
        conditional model, ``condition=y`` with an array or ``(x, y)`` batches); returns
        self."""
        self.is_fitted = True
        return self

    def training_codes(self, data: Any, condition: Any = None) -> np.ndarray:
        """The model's codes of the data a sampler is fitted on, float32 ``[N, D]`` (a
        conditional model encodes each example with its ``condition``)."""
        if data is None:
            raise ValueError(f"{type(self).__name__}.fit needs training data (array or dataset)")
        return self.model.embed(data, condition=condition).astype(np.float32)

    def probe(self) -> tuple[np.ndarray, Any]:
        """One zero example ``[1, *input_shape]`` and its condition (``None``, label 0 or a
        zero attribute vector), to find code shapes."""
        zero = np.zeros((1, *self.model.input_shape_), np.float32)
        if not self.model.conditional:
            return zero, None
        if self.model.config.condition == "class":
            return zero, np.zeros([1], np.int32)
        return zero, np.zeros((1, *self.model.config.condition_shape), np.float32)

    def train_on_codes(self, model: Any, codes: np.ndarray, verbose: int | None = None) -> Any:
        """Compile ``model`` (Adam, the config's learning rate) and fit it on ``codes`` with
        the config's epochs, batch size and seed (a :class:`TrainedSamplerConfig`); returns
        the Keras ``History``."""
        import keras

        from tfvae.data import make_dataset

        cfg = self.config
        model.compile(
            optimizer=keras.optimizers.Adam(cfg.learning_rate),
            steps_per_execution=cfg.steps_per_execution,
        )
        ds = make_dataset(codes, cfg.batch_size, shuffle=True, seed=cfg.seed)
        return model.fit(ds, epochs=cfg.epochs, verbose=cfg.verbose if verbose is None else verbose)

    def get_state(self) -> dict[str, np.ndarray]:
        """The fitted state as plain arrays (saved by ``save_pretrained`` without pickling).

        Samplers that need no fitting have none; a fitted sampler that cannot export its
        state raises ``NotImplementedError`` naming itself.
        """
        if not self.needs_fit:
            return {}
        raise NotImplementedError(
            f"{type(self).__name__} cannot save its fitted state yet; refit it after loading "
            "with sampler.fit(train_data)"
        )

    def code_size(self) -> int:
        """Numbers in one latent code of the model (``latent_dim`` for a flat latent), found
        by encoding one zero example; saved states are checked against it."""
        return int(np.prod(self.training_codes(*self.probe()).shape[1:]))

    def expected_state_shapes(self) -> dict[str, tuple[int, ...]] | None:
        """``{array name: shape}`` that a saved state of this sampler and model must have, or
        ``None`` when only :meth:`set_state` can tell (it checks before building anything)."""
        return {}

    def check_state_shapes(self, shapes: dict[str, tuple[int, ...]], where: str = "state") -> None:
        """Refuse a saved state from its declared shapes, before any array is read.

        Raises:
            ConfigError: an array is missing, unexpected or of the wrong shape, naming it.
        """
        expected = self.expected_state_shapes()
        if expected is None:
            return
        name = type(self).__name__
        if set(shapes) != set(expected):
            raise ConfigError(
                f"{where}: {name} expects arrays {sorted(expected)}, found {sorted(shapes)}"
            )
        for key, shape in expected.items():
            if tuple(shapes[key]) != tuple(shape):
                raise ConfigError(
                    f"{where}: {name} array {key!r} has shape {tuple(shapes[key])}; this sampler "
                    f"and model need {tuple(shape)} (saved with another model or config?)"
                )

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`get_state` returned; the sampler is then fitted."""
        if self.needs_fit:
            raise NotImplementedError(f"{type(self).__name__} cannot restore a saved state")
        self.is_fitted = True

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` latent codes, ``[n, latent_dim]``."""
        raise NotImplementedError

    def log_prob(self, codes: Any) -> np.ndarray:
        """Log-density of codes ``[N, D]`` under the sampler's latent distribution, ``[N]``."""
        raise NotImplementedError

    def sample(
        self,
        n: int,
        seed: int = 0,
        batch_size: int = 256,
        noise: bool = False,
        condition: Any = None,
        guidance: float | None = None,
        consistent: bool = False,
        guidance_rescale: float | None = None,
    ) -> np.ndarray:
        """``n`` generated examples ``[n, *input_shape]`` in data units (in [0, 1] for images):
        the decoder's means, or draws ``x ~ p(x|z)`` when ``noise`` (see ``BaseAE.generate``).

        ``condition`` (conditional models): the class to generate (one label, or ``[n]``
        labels) or attributes (``[K]`` or ``[n, K]``). The codes come from the sampler's
        latent density; the conditional decoder turns them into examples of the condition.
        ``guidance``: the classifier-free guidance weight of the decoder
        (``BaseAE.guided_params``; default: the model's ``config.guidance``) and
        ``guidance_rescale`` its rescale ``phi`` in ``[0, 1]`` (default: the model's
        ``config.guidance_rescale``).
        ``consistent`` (class-conditional models): keep only the samples that the model itself
        classifies as their requested class (``BaseAE.classify``) and redraw the others
        (``tfvae.models.base.consistency.consistent_draws``); the first draw's accepted
        samples are the ones ``consistent=False`` returns.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"{type(self).__name__}.sample: n must be a positive int, got {n!r}")
        if not self.is_fitted:
            raise RuntimeError(
                f"{type(self).__name__} must be fitted first: sampler.fit(train_data)"
            )
        if condition is not None or self.model.conditional:
            if condition is None:
                raise ConfigError(
                    f"{type(self.model).__name__} is conditional: "
                    f"{type(self).__name__}.sample(n, condition=...) needs the class or "
                    "attributes to generate"
                )
            condition = self.model.checked_condition(condition, n)
        guide = (self.model.guidance_weight(guidance), self.model.rescale_weight(guidance_rescale))
        if consistent:
            labels = self.model.consistent_labels(condition, n)
            return consistent_draws(
                self.model,
                lambda y, s: self._decoded_draws(len(y), s, batch_size, noise, y, guide),
                labels,
                seed,
            )
        return self._decoded_draws(n, seed, batch_size, noise, condition, guide)

    def _decoded_draws(
        self,
        n: int,
        seed: int,
        batch_size: int,
        noise: bool,
        condition: np.ndarray | None,
        guide: tuple[float, float],
    ) -> np.ndarray:
        """:meth:`sample` for a checked ``condition`` and a resolved ``guide``: the guidance
        weight and its rescale."""
        if self.conditional_codes and condition is not None:
            codes = self.sample_codes(n, seed=seed, condition=condition)
        else:
            codes = self.sample_codes(n, seed=seed)
        codes = np.asarray(codes, np.float32)
        # several batches: one traced graph for all of them (op by op, the Python dispatch of
        # each batch costs as much as its arithmetic); one batch: not worth a trace
        decode = self.model.decode_fn() if n > batch_size else self.model.decode
        out = []
        for i in range(0, n, batch_size):
            c = None if condition is None else condition[i : i + batch_size]
            if noise:
                out.append(
                    np.asarray(
                        self.model.sample_data(codes[i : i + batch_size], seed + i, c, *guide)
                    )
                )
            else:
                out.append(np.asarray(decode(codes[i : i + batch_size], c, *guide)))
        return np.concatenate(out)


class NetworkSampler(BaseSampler):
    """A sampler whose fitted state is one Keras network it trains on the codes (a flow, a
    second-stage VAE, a PixelCNN). Its state is that network's weights as plain arrays
    (``weight_0000``, ...) plus ``code_dim``, so ``save_pretrained`` stores it in the ``.npz``
    without pickling, and :meth:`set_state` rebuilds the network from the config and loads
    them.

    Subclasses implement :meth:`build_network` (and :meth:`network_codes` when the network
    learns something other than the codes); the network is kept in the attribute named by
    :attr:`network_attribute`.
    """

    needs_fit = True
    #: the attribute that holds the fitted network
    network_attribute: ClassVar[str] = "network"

    def build_network(self, code_dim: int) -> Any:
        """The sampler's network, built (its weights exist) and untrained, for codes of
        ``code_dim`` numbers (the model's flat code size)."""
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        if not self.is_fitted:
            raise ValueError(f"{type(self).__name__} must be fitted before its state is saved")
        network = getattr(self, self.network_attribute)
        state = {"code_dim": np.asarray(self.code_dim, np.int64)}
        state.update(
            {f"weight_{i:04d}": np.asarray(w) for i, w in enumerate(network.get_weights())}
        )
        return state

    def expected_state_shapes(self) -> dict[str, tuple[int, ...]] | None:
        return None  # the weight shapes depend on the network; set_state checks them

    def check_state_shapes(self, shapes: dict[str, tuple[int, ...]], where: str = "state") -> None:
        name = type(self).__name__
        if shapes.get("code_dim") != ():
            raise ConfigError(f"{where}: {name} needs a scalar 'code_dim'; found {sorted(shapes)}")
        odd = sorted(k for k in shapes if k != "code_dim" and not k.startswith("weight_"))
        if odd:
            raise ConfigError(f"{where}: {name} does not know the arrays {odd}")

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        name = type(self).__name__
        if "code_dim" not in state or np.shape(state["code_dim"]) != ():
            raise ConfigError(
                f"{name}: the saved state needs a scalar 'code_dim'; found {sorted(state)}"
            )
        code_dim = int(state["code_dim"])
        expected_dim = self.code_size()
        if code_dim != expected_dim:  # checked before the network is built (and allocated)
            raise ConfigError(
                f"{name}: the saved state is for codes of {code_dim} numbers; this model's codes "
                f"have {expected_dim} (saved with another model?)"
            )
        network = self.build_network(code_dim)
        expected = [np.asarray(w).shape for w in network.get_weights()]
        keys = sorted(k for k in state if k.startswith("weight_"))
        found = [state[k].shape for k in keys]
        if found != expected:
            raise ConfigError(
                f"{name}: the saved weights do not fit the network its config builds "
                f"({len(found)} arrays, shapes {found[:4]}...; expected {len(expected)}, "
                f"{expected[:4]}...): was it saved with another config or model?"
            )
        network.set_weights([state[k] for k in keys])
        self.code_dim = code_dim
        setattr(self, self.network_attribute, network)
        self.is_fitted = True

    def network_codes(self, data: Any, condition: Any = None) -> np.ndarray:
        """What the network is trained on, ``[N, ...]``: the model's codes of ``data``."""
        return self.training_codes(data, condition)

    def code_size(self) -> int:
        """Numbers in one of :meth:`network_codes` (what ``code_dim`` must equal)."""
        return int(np.prod(self.network_codes(*self.probe()).shape[1:]))

    def fit(self, data: Any = None, **kwargs: Any) -> NetworkSampler:
        """Build the network (the config's seed) and train it on :meth:`network_codes`."""
        import keras

        codes = self.network_codes(data, kwargs.get("condition"))
        self.code_dim = int(np.prod(codes.shape[1:]))
        keras.utils.set_random_seed(self.config.seed)
        network = self.build_network(self.code_dim)
        setattr(self, self.network_attribute, network)
        self.history = self.train_on_codes(network, codes, kwargs.get("verbose"))
        self.is_fitted = True
        return self


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
        raise ConfigError(f"unknown sampler {name!r}; available samplers: {names}")
    return _SAMPLERS[key]


def build_sampler(name: str, model: Any, **fields: Any) -> BaseSampler:
    """Build a registered sampler by class name or alias, with config ``fields``."""
    cls = get_sampler_class(name)
    return cls(model, cls.config_class(**fields))
