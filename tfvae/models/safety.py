"""Kept for code that imported the safety checks from here; they live in :mod:`tfvae.safety`."""

from __future__ import annotations

from pathlib import Path

from tfvae.errors import UnsafeModelError
from tfvae.safety import CODE_CLASSES, check_safe_to_load, looks_like_pickle, read_keras_config


def check_keras_archive(path: str | Path) -> None:
    """Refuse a ``.keras`` archive that :func:`tfvae.safety.read_keras_config` refuses."""
    read_keras_config(path, follow_symlinks=True)


__all__ = [
    "CODE_CLASSES",
    "UnsafeModelError",
    "check_keras_archive",
    "check_safe_to_load",
    "looks_like_pickle",
]
