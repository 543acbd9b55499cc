"""``AutoModel.load``: reload any saved tfvae model, safely."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras

import tfvae.nn.optimizers  # noqa: F401  (registers FusedAdam, what "adam" builds, for loading)
from tfvae.errors import ConfigError, UnregisteredClassError, UnsafeModelError
from tfvae.models.base.registry import get_model_class
from tfvae.models.base.sharing import local_folder
from tfvae.safety import check_safe_to_load, read_keras_config

MODEL_FILENAMES = ("model.keras", "final_model.keras")


def resolve_model_path(path: str | Path) -> Path:
    """The ``.keras`` file for ``path``: the file itself or ``model.keras`` in a run folder."""
    path = Path(path)
    if path.is_dir():
        for name in MODEL_FILENAMES:
            if (path / name).exists() or (path / name).is_symlink():
                return path / name
        raise FileNotFoundError(
            f"no saved model in {path} (looked for {', '.join(MODEL_FILENAMES)})"
        )
    if not path.exists():
        raise FileNotFoundError(f"saved model not found: {path}")
    if path.suffix != ".keras":
        raise UnsafeModelError(
            f"refusing to load {path}: tfvae loads .keras archives only (not legacy .h5 or "
            "SavedModel files, which Keras's safe mode does not guard)"
        )
    return path


def read_saved_config(path: Path) -> dict:
    """The ``config.json`` of a ``.keras`` archive, checked (:func:`tfvae.safety.read_keras_config`);
    nothing is built."""
    return read_keras_config(path, follow_symlinks=True)


def _foreign_objects(node: Any) -> Iterator[str]:
    """``module.class_name`` of every object in a Keras config that is neither Keras's, nor
    tfvae's, nor a class registered under its ``registered_name``."""
    if isinstance(node, dict):
        module, name = node.get("module"), node.get("class_name")
        if isinstance(module, str) and isinstance(name, str):
            registered = node.get("registered_name")
            own = module.split(".")[0] in ("keras", "tfvae")
            if not own and not registered:
                yield f"{module}.{name}"
        for value in node.values():
            yield from _foreign_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _foreign_objects(value)


class AutoModel:
    """Loads a saved tfvae model without knowing its class."""

    @staticmethod
    def load(path: str | Path, compile: bool = True) -> keras.Model:
        """Load a model saved with ``model.save("x.keras")`` (or a run folder holding one).

        The class is read from the archive's config and must be a registered tfvae model.
        A folder is checked file by file and the archive before anything is deserialised
        (an allowlist of files, no pickles, no Lambda layers, bounded sizes:
        :mod:`tfvae.safety`), then loaded with ``safe_mode=True``. Custom encoder/decoder
        classes must be registered with ``keras.saving.register_keras_serializable``.

        Raises:
            FileNotFoundError: no such file or folder.
            UnsafeModelError: the archive holds a pickle or a Lambda layer.
            ValueError: not a ``.keras`` archive, or not a tfvae model.
        """
        if Path(path).is_dir():  # a folder: only the files tfvae writes (tfvae.safety)
            check_safe_to_load(path)
        file = resolve_model_path(path)
        saved = read_saved_config(file)
        registered = saved.get("registered_name") or ""
        if not isinstance(registered, str):
            raise ConfigError(f"{file}: config.json's registered_name must be a string")
        package, _, class_name = registered.partition(">")
        if package != "tfvae":
            raise ConfigError(
                f"{file} holds a {saved.get('class_name')!r} (registered as {registered!r}), "
                "not a tfvae model; load it with keras.saving.load_model"
            )
        get_model_class(class_name)
        foreign = sorted(set(_foreign_objects(saved)))
        if foreign:
            # e.g. {"module": "os", "class_name": "system"}: not a class anyone registered
            raise UnsafeModelError(
                f"refusing to load {file}: its config names {', '.join(foreign[:5])}, which is "
                "neither a Keras, a tfvae nor a registered class; Keras safe mode deserialises "
                "only those (nothing was run)"
            )
        try:
            return keras.saving.load_model(file, compile=compile, safe_mode=True)
        except Exception as err:
            text = str(err)
            if "safe_mode" in text or "security" in text or "not allowed" in text.lower():
                # Keras's own refusal keeps its meaning: nothing was run
                raise UnsafeModelError(f"{file}: refused by Keras safe mode: {text}") from err
            if not isinstance(err, TypeError | ValueError | KeyError | AttributeError):
                raise
            if isinstance(err, TypeError) and (
                "Could not locate class" in text or "register" in text
            ):
                raise UnregisteredClassError(
                    f"{file}: a network class in this model is not registered. Import the module "
                    "that defines it and decorate the class with "
                    "@keras.saving.register_keras_serializable() before loading. "
                    f"Keras said: {err}"
                ) from err
            raise ConfigError(
                f"{file}: Keras could not rebuild the model from it ({text})"
            ) from err

    @staticmethod
    def from_pretrained(name_or_path: str | Path, **kwargs: Any) -> keras.Model:
        """Load a model shared with ``model.push_to_hub`` / ``save_pretrained``.

        ``name_or_path`` is a local folder (or ``.keras`` file) or a Hugging Face Hub id
        (``"user/repo"``); keyword arguments (``revision``, ``cache_dir``, ``token``,
        ``local_files_only``, ``compile``) as in :func:`from_pretrained`.
        """
        return from_pretrained(name_or_path, **kwargs)


def load_pretrained(folder: str | Path, compile: bool = True) -> keras.Model:
    """The model of a local folder (or ``.keras`` file), after the safety check.

    Raises:
        FileNotFoundError: no such folder, or no ``model.keras`` in it.
        UnsafeModelError: a pickle, a Lambda layer or a file tfvae did not write was found
            (nothing was executed).
    """
    if not Path(folder).is_dir():  # AutoModel.load checks a folder itself
        check_safe_to_load(folder)
    return AutoModel.load(folder, compile=compile)


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
        UnsafeModelError: the folder holds a pickle, a Lambda layer or a file tfvae did not
            write (nothing was executed).
    """
    folder = local_folder(
        name_or_path,
        revision=revision,
        cache_dir=cache_dir,
        token=token,
        local_files_only=local_files_only,
    )
    return load_pretrained(folder, compile=compile)
