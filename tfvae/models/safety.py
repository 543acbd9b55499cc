"""Checks that a saved model (a ``.keras`` archive or a shared folder) is safe to load.

tfvae never unpickles and never runs Python code stored in a file. Before anything is
deserialised, :func:`check_safe_to_load` inspects the bytes: a pickle (by file name or by its
magic bytes, also inside zip archives) or a Keras ``Lambda`` layer (whose Python bytecode
would run on load) makes it raise :class:`UnsafeModelError` naming the file and the reason.
Keras's ``safe_mode=True`` then guards the deserialisation itself.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: file name endings of pickle-based formats (PyTorch checkpoints and joblib/dill files too)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".bin", ".joblib", ".dill", ".ckpt")
#: Keras class names whose config holds Python code
CODE_CLASSES = ("Lambda", "__lambda__")


class UnsafeModelError(ValueError):
    """A saved model holds a pickle or Python code; nothing in it was executed."""


def _is_pickle_bytes(head: bytes) -> bool:
    # Pickle protocols 2-5 start with the PROTO opcode 0x80 and the protocol number.
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _pickle_reason(name: str, head: bytes) -> str | None:
    if name.lower().endswith(PICKLE_SUFFIXES):
        return f"{name!r} is a pickle-based file (by its name)"
    if _is_pickle_bytes(head):
        return f"{name!r} is a pickle (by its first bytes)"
    return None


def _code_paths(node: Any, where: str = "") -> Iterator[str]:
    """Locations of Lambda layers / serialised Python functions in a Keras config tree."""
    if isinstance(node, dict):
        if node.get("class_name") in CODE_CLASSES:
            yield f"{where or '<root>'} ({node.get('class_name')})"
        for key, value in node.items():
            label = value.get("name") if isinstance(value, dict) else None
            yield from _code_paths(value, f"{where}/{label or key}" if where else str(label or key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _code_paths(value, f"{where}[{i}]")


def check_keras_archive(path: str | Path) -> None:
    """Refuse a ``.keras`` archive holding a pickle or a Lambda layer (nothing is run).

    Raises:
        UnsafeModelError: with the archive, the member and the reason.
        ValueError: ``path`` is not a zip archive with a ``config.json``.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    reason = _pickle_reason(info.filename, member.read(2))
                if reason:
                    raise UnsafeModelError(
                        f"refusing to load {path}: member {reason}. tfvae never unpickles "
                        "(a pickle can run arbitrary code); save models with model.save(...) "
                        "or model.save_pretrained(...)"
                    )
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"{path} is not a Keras .keras archive ({err})") from err
    found = list(_code_paths(config))
    if found:
        raise UnsafeModelError(
            f"refusing to load {path}: it holds Python code in a Lambda layer at "
            f"{'; '.join(found)}. Loading it would run that code. Replace the Lambda with a "
            "custom layer class registered with @keras.saving.register_keras_serializable()"
        )


def _check_npz(root: Path, file: Path) -> None:
    # Arrays only: members must be .npy files, and they are read with allow_pickle=False.
    with zipfile.ZipFile(file) as archive:
        odd = [n for n in archive.namelist() if not n.endswith(".npy")]
    if odd:
        raise UnsafeModelError(
            f"refusing to load {root}: {file.name!r} holds {odd[0]!r}, not an array"
        )


def check_safe_to_load(path: str | Path) -> None:
    """Refuse a folder (or archive) holding a pickle or Python code; see the module doc.

    Every file of a folder is checked (by name and by its first bytes); zip archives (the
    ``.keras`` files) are opened and their members and model config checked too.

    Raises:
        UnsafeModelError: the first unsafe file found, named.
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if ".cache" in file.relative_to(path.parent if path.is_file() else path).parts:
            continue  # huggingface_hub's own download metadata
        with open(file, "rb") as fh:
            head = fh.read(4)
        reason = _pickle_reason(file.name, head)
        if reason:
            raise UnsafeModelError(
                f"refusing to load {path}: {reason}. tfvae never unpickles (a pickle can run "
                "arbitrary code); share models with model.push_to_hub / save_pretrained, "
                "which write only .keras, JSON, PNG and .npz files"
            )
        if zipfile.is_zipfile(file):
            if file.suffix == ".keras":
                check_keras_archive(file)
            elif file.suffix == ".npz":
                _check_npz(path, file)
            else:
                raise UnsafeModelError(
                    f"refusing to load {path}: {file.name!r} is a zip archive of unknown "
                    "content (only .keras archives are read)"
                )
