"""Dataclass configurations with validation, and their dict / JSON round trip.

Every config in tfvae (models, samplers, training) subclasses :class:`BaseConfig`. Fields are
typed; at construction each value is checked against its annotation (``int``, ``float``,
``bool``, ``str``, ``Literal[...]``, ``tuple[int, ...]``, ``X | None``, ``dict``, ``list``)
and then against the range rules of the subclass's ``validate``. A wrong value raises a
``ValueError`` that names the class and the field::

    >>> VAEConfig(latent_dim=0)
    ValueError: VAEConfig.latent_dim must be a positive int, got 0
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args, get_origin

from tfvae import safety
from tfvae.errors import ConfigError


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


@dataclasses.dataclass
class BaseConfig:
    """Base class of every tfvae config: typed fields, validation, (de)serialisation."""

    _type_hints_cache: ClassVar[dict[type, dict[str, Any]]] = {}

    def __new__(cls, *args: Any, **kwargs: Any) -> BaseConfig:
        # Checked here, before the dataclass __init__, so a misspelt field raises a
        # ConfigError listing the valid ones instead of a bare TypeError.
        unknown = sorted(set(kwargs) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(cls.field_names())}"
            )
        return super().__new__(cls)

    def __post_init__(self) -> None:
        hints = self._hints()
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            setattr(self, f.name, self._coerce(f.name, hints[f.name], value))
        self.validate()

    # -- validation ----------------------------------------------------------------------
    @classmethod
    def _hints(cls) -> dict[str, Any]:
        if cls not in BaseConfig._type_hints_cache:
            BaseConfig._type_hints_cache[cls] = typing.get_type_hints(cls)
        return BaseConfig._type_hints_cache[cls]

    def _fail(self, name: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(
            f"{type(self).__name__}.{name} must be {expected}, got {value!r}"
            f" ({type(value).__name__})"
        )

    def _coerce(self, name: str, tp: Any, value: Any) -> Any:
        origin = get_origin(tp)
        if tp is Any:
            return value
        if origin in (typing.Union, types.UnionType):
            options = get_args(tp)
            if value is None and type(None) in options:
                return None
            errors = []
            for option in options:
                if option is type(None):
                    continue
                try:
                    return self._coerce(name, option, value)
                except ConfigError as err:
                    errors.append(err)
            expected = " or ".join(_type_name(o) for o in options)
            raise self._fail(name, f"of type {expected}", value)
        if origin is Literal:
            choices = get_args(tp)
            if value not in choices:
                raise ConfigError(
                    f"{type(self).__name__}.{name} must be one of {list(choices)}, got {value!r}"
                )
            return value
        if tp is bool:
            if not isinstance(value, bool):
                raise self._fail(name, "a bool", value)
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                raise self._fail(name, "an int", value)
            return int(value)
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self._fail(name, "a float", value)
            return float(value)
        if tp is str:
            if not isinstance(value, str):
                raise self._fail(name, "a str", value)
            return value
        if origin is tuple:
            if not isinstance(value, list | tuple):
                raise self._fail(name, f"a tuple ({_type_name(tp)})", value)
            args = get_args(tp)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self._coerce(name, args[0], v) for v in value)
            if len(args) != len(value):
                raise self._fail(name, f"a tuple of {len(args)} items", value)
            return tuple(self._coerce(name, a, v) for a, v in zip(args, value, strict=True))
        if origin is list or tp is list:
            if not isinstance(value, list | tuple):
                raise self._fail(name, "a list", value)
            args = get_args(tp)
            return [self._coerce(name, args[0], v) for v in value] if args else list(value)
        if origin is dict or tp is dict:
            if not isinstance(value, dict):
                raise self._fail(name, "a dict", value)
            return dict(value)
        return value

    def validate(self) -> None:
        """Range checks of the subclass; raise with :meth:`check` helpers."""

    def check(self, name: str, ok: bool, expected: str) -> None:
        """Raise ``ConfigError`` naming ``name`` unless ``ok``."""
        if not ok:
            raise ConfigError(
                f"{type(self).__name__}.{name} must be {expected}, got {getattr(self, name)!r}"
            )

    def check_positive(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            kind = "int" if isinstance(value, int) else "number"
            self.check(name, value is not None and value > 0, f"a positive {kind}")

    def check_non_negative(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            self.check(name, value is not None and value >= 0, "a non-negative number")

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON-able Python values (tuples become lists)."""

        def plain(v: Any) -> Any:
            if isinstance(v, tuple | list):
                return [plain(x) for x in v]
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            return v

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> BaseConfig:
        """Build from a dict; an unknown key raises ``ConfigError`` naming it."""
        if not isinstance(values, dict):
            raise ConfigError(f"{cls.__name__}.from_dict expects a dict, got {type(values)}")
        unknown = sorted(set(values) - set(cls.field_names()))
        if unknown:
            raise ConfigError(
                f"{cls.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(cls.field_names())}"
            )
        return cls(**values)

    def to_json(self, path: str | Path | None = None) -> str:
        """The JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        if path is not None:
            safety.safe_write(path, text + "\n")  # temp + rename: never through a link
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> BaseConfig:
        """Build from JSON text or from the path of a JSON file."""
        text = str(text_or_path)
        what = f"{cls.__name__}.from_json"
        if not text.lstrip().startswith("{"):
            path = Path(text)
            if not path.exists() and not path.is_symlink():
                raise FileNotFoundError(f"{what}: no such file {path}")
            values = safety.read_json(path, f"{what}: {path}", follow_symlinks=True)
        else:
            values = safety.parse_json(text, what)
        return cls.from_dict(values)

    @classmethod
    def coerce(cls, config: BaseConfig | dict | None, owner: str) -> BaseConfig:
        """``config`` as an instance of ``cls``: ``None`` gives the defaults, a dict its fields.

        Raises:
            ConfigError: ``config`` is another type (``owner`` names who expected it).
        """
        if config is None:
            return cls()
        if isinstance(config, dict):
            return cls.from_dict(config)
        if not isinstance(config, cls):
            raise ConfigError(f"{owner} expects a {cls.__name__}, got {type(config).__name__}")
        return config

    def replace(self, **changes: Any) -> BaseConfig:
        """A copy with some fields changed (validated again)."""
        unknown = sorted(set(changes) - set(self.field_names()))
        if unknown:
            raise ConfigError(
                f"{type(self).__name__} has no field {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(self.field_names())}"
            )
        return dataclasses.replace(self, **changes)
