"""Hugging Face Hub transport: ``push_to_hub`` uploads a folder, ``from_pretrained`` fetches one.

Built on ``huggingface_hub.HfApi.upload_folder`` and ``snapshot_download`` (revision pinning,
the local cache, ``HF_HUB_OFFLINE=1`` and tokens behave as in ``huggingface_hub``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import keras

from tfvae.hub.folder import load_pretrained, save_pretrained


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


def from_pretrained(
    name_or_path: str | Path,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | None = None,
    local_files_only: bool = False,
    compile: bool = True,
) -> keras.Model:
    """Load a shared tfvae model from a local folder / ``.keras`` file or a Hub id.

    Args:
        name_or_path: an existing folder or file, else a Hub id ``"user/repo"`` (or
            ``"hf://user/repo"``).
        revision: a branch, tag or commit to pin (Hub only).
        cache_dir, token, local_files_only: as in ``huggingface_hub.snapshot_download``.
        compile: compile the model as saved.

    Raises:
        FileNotFoundError: neither an existing path nor a ``user/repo`` id.
        UnsafeModelError: the folder holds a pickle or a Lambda layer (nothing was executed).
    """
    folder = local_folder(
        name_or_path,
        revision=revision,
        cache_dir=cache_dir,
        token=token,
        local_files_only=local_files_only,
    )
    return load_pretrained(folder, compile=compile)
