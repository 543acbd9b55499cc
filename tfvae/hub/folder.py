"""A shared model folder: ``save_pretrained`` writes it, ``load_pretrained`` reads it safely.

The folder holds ``model.keras`` (the complete model), ``config.json`` (the model's class and
config), ``training_config.json`` (when given), ``samples.png`` (image models), ``README.md``
(the model card) and, optionally, a fitted sampler as ``sampler.json`` + ``sampler_state.npz``.
Nothing in it is a pickle.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import keras
import numpy as np

import tfvae
from tfvae import safety
from tfvae.errors import ConfigError
from tfvae.hub.card import model_card
from tfvae.models.auto_model import AutoModel
from tfvae.plots import save_image_grid
from tfvae.safety import check_safe_to_load

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
TRAINING_CONFIG_FILE = "training_config.json"
SAMPLES_FILE = "samples.png"
SAMPLER_FILE = "sampler.json"
SAMPLER_STATE_FILE = "sampler_state.npz"


def save_pretrained(
    model: keras.Model,
    folder: str | Path,
    training_config: Any = None,
    data: str | None = None,
    metrics: dict[str, float] | None = None,
    sampler: Any = None,
    repo_id: str | None = None,
    license: str | None = None,
    description: str | None = None,
    num_samples: int = 64,
) -> Path:
    """Write ``model`` as a shareable folder (see the module doc); returns the folder.

    Args:
        model: a tfvae model.
        folder: created if missing; files of the same names are replaced.
        training_config: a :class:`~tfvae.training.TrainerConfig` (or its dict), saved and
            summarised in the card.
        data: the training data's name, for the card.
        metrics: ``{name: value}`` for the card.
        sampler: a fitted sampler to share with the model (its config and arrays only).
        repo_id: the Hub id the card's loading example uses.
        license: a Hub license id for the card.
        description: free text for the card.
        num_samples: images in ``samples.png`` (drawn with ``sampler`` when given, else the
            prior, seed 0); 0 for none.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # every file goes to a temporary name in the folder, then is renamed: no write follows a link
    with safety.safe_output(folder / MODEL_FILE, folder) as tmp:
        model.save(tmp)
    info = {
        "model_class": type(model).__name__,
        "tfvae_version": tfvae.__version__,
        "data": data,
        "config": model.config.to_dict(),
    }
    safety.write_json(folder / CONFIG_FILE, info, folder)
    training = None
    if training_config is not None:
        training = (
            training_config if isinstance(training_config, dict) else training_config.to_dict()
        )
        safety.write_json(folder / TRAINING_CONFIG_FILE, training, folder)
    if sampler is not None:
        save_sampler(sampler, folder)
    has_samples = num_samples > 0 and len(model.config.input_shape) == 3
    if has_samples:
        images = sampler.sample(num_samples) if sampler is not None else model.generate(num_samples)
        with safety.safe_output(folder / SAMPLES_FILE, folder) as tmp:
            save_image_grid(np.asarray(images), tmp)
    caption = (
        f"samples of a {type(sampler).__name__} fitted on the codes"
        if sampler is not None
        else "samples from the prior"
    )
    card = model_card(
        model,
        repo_id=repo_id,
        data=data,
        metrics=metrics,
        training=training,
        has_samples=has_samples,
        samples_caption=caption,
        license=license,
        description=description,
    )
    safety.safe_write(folder / "README.md", card, folder)
    return folder


def save_sampler(sampler: Any, folder: str | Path) -> None:
    """Write a fitted sampler's name, config and arrays (``sampler.json``, ``.npz``)."""
    if not sampler.is_fitted:
        raise ValueError(f"{type(sampler).__name__} must be fitted before it is saved")
    folder = Path(folder)
    state = sampler.get_state()
    meta = {"sampler": type(sampler).__name__, "config": sampler.config.to_dict()}
    safety.write_json(folder / SAMPLER_FILE, meta, folder)
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    safety.safe_write(folder / SAMPLER_STATE_FILE, buffer.getvalue(), folder)


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
    from tfvae.samplers import build_sampler  # samplers sit above models; the hub above both

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


def load_pretrained(folder: str | Path, compile: bool = True) -> keras.Model:
    """The model of a local folder (or ``.keras`` file), after the safety check.

    Raises:
        FileNotFoundError: no such folder, or no ``model.keras`` in it.
        UnsafeModelError: a pickle, a Lambda layer or a file tfvae did not write was found
            (nothing was executed).
    """
    check_safe_to_load(folder)
    return AutoModel.load(folder, compile=compile)
