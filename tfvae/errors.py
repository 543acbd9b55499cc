"""tfvae's error family: every refusal of bad input is a :class:`TfvaeError`.

The CLI prints a ``TfvaeError`` as one line (``tfvae <command>: error: ...``) and exits with
status 2; a traceback from the CLI on bad input is a bug. Each subclass also derives from the
built-in exception that code written before the family existed caught (``ValueError`` for bad
values, ``FloatingPointError`` for a non-finite loss), so ``except ValueError`` keeps working.

This module imports nothing: every room may import it.
"""

from __future__ import annotations


class TfvaeError(Exception):
    """Base class of every error tfvae raises on purpose about its input."""


class ConfigError(TfvaeError, ValueError):
    """A config field (or a config file) has a wrong name, type or value."""


class UnregisteredClassError(ConfigError, TypeError):
    """A saved model names a network class that is not registered with Keras (a ``TypeError``
    too, as Keras raises)."""


class DataError(TfvaeError, ValueError):
    """Input data that tfvae cannot use: wrong shape, dtype, range, NaN, a bad data file."""


class UnsafeFileError(TfvaeError, ValueError):
    """A file that tfvae refuses to read or write: over a size limit, not a regular file,
    a symlink, an unexpected file in a shared folder. Nothing in it was executed."""


class UnsafeModelError(UnsafeFileError):
    """A saved model or shared folder holds a pickle, Python code or an unsafe file; nothing in
    it was executed."""


class NonFiniteLossError(TfvaeError, FloatingPointError):
    """Training produced a NaN or Inf loss."""


class InconsistentSamplesError(TfvaeError, RuntimeError):
    """Consistent sampling gave up: after every redraw, some samples of a requested class were
    still classified as another class by the model itself."""


__all__ = [
    "ConfigError",
    "DataError",
    "InconsistentSamplesError",
    "NonFiniteLossError",
    "TfvaeError",
    "UnsafeFileError",
    "UnregisteredClassError",
    "UnsafeModelError",
]
