"""Sharing a model: the folder ``save_pretrained`` writes, and the Hugging Face Hub transport.

The folder holds ``model.keras`` (the complete model), ``config.json`` (the model's class and
config), ``training_config.json`` (when given), ``samples.png`` (image models), ``README.md``
(the model card) and, optionally, a fitted sampler as ``sampler.json`` + ``sampler_state.npz``.
Nothing in it is a pickle. Every file is written to a temporary name and renamed into place.

This module sits in the models' base layer so that :class:`SharingMixin` gives every model
``save_pretrained`` / ``push_to_hub`` (Pythae's API) without models importing the hub room;
:mod:`tfvae.hub` re-exports these functions beside the loading ones. ``huggingface_hub`` is
imported only when the Hub is used.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfvae import __version__, safety
from tfvae.models.base.card import model_card
from tfvae.plots import example_picture

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
        "tfvae_version": __version__,
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
    rank = len(model.config.input_shape)
    has_samples = num_samples > 0 and rank in (2, 3, 4)  # vectors: no picture without data
    # a class-conditional model shows every class (rows of one class); attribute vectors
    # are the user's to choose, so that model's card has no picture
    has_samples &= model.config.condition in (None, "class")
    if has_samples:
        count = num_samples if rank == 3 else min(num_samples, 4)
        labels = None
        if model.config.condition == "class":
            classes = int(model.config.num_classes)
            labels = np.repeat(np.arange(classes), max(1, count // classes))[:count]
            count = len(labels)
        images = (
            sampler.sample(count, condition=labels)
            if sampler is not None
            else model.generate(count, condition=labels)
        )
        with safety.safe_output(folder / SAMPLES_FILE, folder) as tmp:
            example_picture(np.asarray(images), None, tmp)
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


def push_to_hub(
    model: keras.Model,
    repo_id: str,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str = "Upload tfvae model",
    create_pr: bool = False,
    **save_kwargs: Any,
) -> Any:
    """Save ``model`` with :func:`save_pretrained` and upload the folder to ``repo_id``.

    The repository is created when missing (``private`` as given); ``revision`` names a
    branch (created when missing). ``save_kwargs`` go to :func:`save_pretrained`
    (``training_config``, ``data``, ``metrics``, ``sampler``, ``license``...). Returns
    ``huggingface_hub``'s commit info.
    """
    import huggingface_hub

    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise ValueError(f"repo_id must look like 'user/name', got {repo_id!r}")
    api = huggingface_hub.HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
    if revision is not None:
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tfvae_push_") as tmp:
        save_pretrained(model, tmp, repo_id=repo_id, **save_kwargs)
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=tmp,
            commit_message=commit_message,
            revision=revision,
            create_pr=create_pr,
            repo_type="model",
        )


def download(
    repo_id: str,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | None = None,
    local_files_only: bool = False,
) -> Path:
    """The local folder of ``repo_id`` at ``revision`` (downloaded into the cache if needed)."""
    import huggingface_hub

    path = huggingface_hub.snapshot_download(
        repo_id,
        revision=revision,
        cache_dir=cache_dir,
        token=token,
        local_files_only=local_files_only,
    )
    return Path(path)


def local_folder(
    name_or_path: str | Path,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | None = None,
    local_files_only: bool = False,
) -> Path:
    """``name_or_path`` itself when it exists, else the downloaded folder of the Hub id.

    Raises:
        FileNotFoundError: neither an existing path nor a ``user/repo`` id.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    text = str(name_or_path)
    if text.startswith("hf://"):
        text = text[len("hf://") :]
    if text.count("/") != 1 or text.startswith((".", "/")):
        raise FileNotFoundError(
            f"saved model not found: {name_or_path} (neither an existing folder/file nor a "
            "Hub id 'user/repo')"
        )
    return download(
        text, revision=revision, cache_dir=cache_dir, token=token, local_files_only=local_files_only
    )


class SharingMixin:
    """``save_pretrained`` and ``push_to_hub`` as model methods (as Pythae's models have them)."""

    def save_pretrained(self, folder: str, **kwargs: Any) -> Any:
        """Write a shareable folder (``model.keras``, configs, model card, samples); see
        :func:`tfvae.hub.save_pretrained` for the keyword arguments."""
        return save_pretrained(self, folder, **kwargs)

    def push_to_hub(self, repo_id: str, **kwargs: Any) -> Any:
        """Upload this model to the Hugging Face Hub as ``repo_id`` (``"user/name"``); see
        :func:`tfvae.hub.push_to_hub` for the keyword arguments."""
        return push_to_hub(self, repo_id, **kwargs)
