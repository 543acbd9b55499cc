"""Loading a sampler shared beside its model (``sampler.json`` + ``sampler_state.npz``).

Writing is :func:`tfvae.models.base.sharing.save_sampler` (re-exported here), which
``save_pretrained`` calls; reading checks the folder (:func:`tfvae.safety.check_safe_to_load`),
``sampler.json`` and the state's declared shapes against the sampler and the model before any
array is read or any network is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from tfvae import safety
from tfvae.errors import ConfigError
from tfvae.models.base.sharing import SAMPLER_FILE, SAMPLER_STATE_FILE, save_sampler
from tfvae.safety import check_safe_to_load
from tfvae.samplers.base import build_sampler


def read_sampler_meta(folder: str | Path) -> dict[str, Any]:
    """``{"sampler": class name, "config": {...}}`` of ``sampler.json``, checked.

    Raises:
        FileNotFoundError: the folder holds no sampler.
        ConfigError: not a JSON object with a ``"sampler"`` string and a ``"config"`` object,
            or its config declares sizes over the limits.
    """
    file = Path(folder) / SAMPLER_FILE
    if not file.exists() and not file.is_symlink():
        raise FileNotFoundError(f"no sampler saved in {folder} (no {SAMPLER_FILE})")
    meta = safety.read_json(file, str(file), follow_symlinks=safety.is_hub_blob_link(folder, file))
    if not isinstance(meta.get("sampler"), str):
        raise ConfigError(f'{file} must name its sampler: a "sampler" string, got {meta!r:.80}')
    if not isinstance(meta.get("config", {}), dict):
        raise ConfigError(f'{file}: "config" must be a JSON object')
    safety.check_declared_sizes(meta.get("config", {}), f"{file}: config", error=ConfigError)
    return {"sampler": meta["sampler"], "config": meta.get("config", {})}


def load_sampler(folder: str | Path, model: keras.Model) -> Any:
    """The sampler saved in ``folder`` by :func:`save_pretrained`, ready to sample.

    Raises:
        FileNotFoundError: the folder holds no sampler.
    """
    folder = Path(folder)
    check_safe_to_load(folder)
    meta = read_sampler_meta(folder)
    sampler = build_sampler(meta["sampler"], model, **meta["config"])
    state_file = folder / SAMPLER_STATE_FILE
    if not state_file.exists() and not state_file.is_symlink():
        raise FileNotFoundError(f"{folder} names a sampler but holds no {SAMPLER_STATE_FILE}")
    # declared shapes against the sampler and the model, before any array is read or built
    follow = safety.is_hub_blob_link(folder, state_file)  # a Hub cache link to its blob
    shapes = {k: v[0] for k, v in safety.npz_headers(state_file, follow).items()}
    sampler.check_state_shapes(shapes, str(state_file))
    sampler.set_state(safety.read_npz(state_file, follow))
    return sampler


__all__ = ["load_sampler", "read_sampler_meta", "save_sampler"]
