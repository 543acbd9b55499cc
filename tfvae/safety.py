"""What tfvae may read and how it writes: every file is untrusted.

Reading:

- **Regular files only.** :func:`open_regular` refuses FIFOs, devices and directories (a FIFO
  would block a read forever) and, in shared folders, symbolic links; it opens with
  ``O_NONBLOCK`` and checks the opened descriptor, so nothing can block or swap the file.
- **Bounded reads.** JSON files are read up to :attr:`Limits.json_bytes` and parsed up to
  :attr:`Limits.json_depth` levels; zip archives (``.keras``, ``.npz``) are checked from their
  directory before any member is decompressed (total size, compression ratio, member names,
  the zip signature at offset 0, so an HDF5+zip polyglot is refused); ``.npy`` members' headers
  are read first (numeric dtype, element count); sizes a config declares (layer widths, an
  estimated parameter count) are checked before anything is built; images by their pixel
  count from the header.
- **An allowlist for shared folders.** :func:`check_safe_to_load` accepts only the files tfvae
  writes (:data:`ALLOWED_FILES`, :data:`ALLOWED_PATTERNS`, :data:`ALLOWED_DIRS`), each checked
  by its format; anything else is listed by name in the error. A pickle (any protocol, 0-5)
  is refused wherever it hides: as a file, a zip member, an ``.npy`` member, under ``.cache/``.

Writing: :func:`safe_write` and :func:`safe_output` write to a temporary name in the target's
folder and rename it into place, refusing a target that is a symbolic link or lies outside
the folder given as ``root``; nothing is written through a link.

Limits are fields of :data:`LIMITS` (documented on :class:`Limits`). A user who trusts a file
raises a limit for a block of code with :func:`limits`; tfvae never raises one silently::

    with tfvae.safety.limits(pixels=2**28):
        data = tfvae.data.load("huge_scans/")

Every refusal is a :class:`~tfvae.errors.TfvaeError` that names the file, the field or member
and the limit. This module imports no TensorFlow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import hashlib
import hmac
import io
import json
import os
import pickletools
import secrets
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tfvae.errors import ConfigError, DataError, TfvaeError, UnsafeFileError, UnsafeModelError


@dataclasses.dataclass
class Limits:
    """The limits tfvae applies to every file it reads (raise one with :func:`limits`).

    Attributes:
        json_bytes: largest JSON file or archive member parsed as JSON (bytes).
        json_depth: deepest nesting of lists/objects in a JSON document.
        archive_bytes: largest total uncompressed size of a zip archive's members (bytes).
        compression_ratio: largest uncompressed/compressed ratio of a zip member bigger than
            ``ratio_floor`` bytes (a zip bomb has ~1000).
        ratio_floor: members up to this many uncompressed bytes are exempt from the ratio.
        array_elements: most elements of one array read from a file (``.npy`` member,
            sampler state, IDX file).
        data_bytes: most bytes of one data file once decompressed (IDX, ``.gz``).
        layer_width: largest size a config may declare (units, filters, hidden sizes, latent
            dimension, shape entries), checked before anything is built.
        parameters: most parameters a saved config may imply (estimated before building).
        pixels: most pixels of one image (read from the header before decoding).
        header_bytes: bytes read from the start of a file to recognise its format.
    """

    json_bytes: int = 16 * 2**20
    json_depth: int = 200
    archive_bytes: int = 2 * 2**30
    compression_ratio: float = 200.0
    ratio_floor: int = 2**20
    array_elements: int = 2**27
    data_bytes: int = 2**30
    layer_width: int = 2**16
    parameters: int = 2**28
    pixels: int = 2**24
    header_bytes: int = 4096


#: the limits in force (module state; change them with :func:`limits`)
LIMITS = Limits()


@contextlib.contextmanager
def limits(**overrides: float) -> Iterator[Limits]:
    """Raise (or lower) limits for a block: ``with limits(pixels=2**28): ...``.

    Raises:
        ConfigError: an unknown limit name or a value that is not a positive number.
    """
    names = {f.name for f in dataclasses.fields(Limits)}
    for key, value in overrides.items():
        if key not in names:
            raise ConfigError(f"unknown limit {key!r}; limits: {', '.join(sorted(names))}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"limit {key} must be a positive number, got {value!r}")
    saved = dataclasses.replace(LIMITS)
    for key, value in overrides.items():
        setattr(LIMITS, key, value)
    try:
        yield LIMITS
    finally:
        for f in dataclasses.fields(Limits):
            setattr(LIMITS, f.name, getattr(saved, f.name))


# ----------------------------------------------------------------------------- reading files
def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def describe_file_kind(path: str | Path) -> str:
    """``"a FIFO"``, ``"a directory"``, ... for the file at ``path`` (links not followed)."""
    mode = os.lstat(path).st_mode
    return "a regular file" if stat.S_ISREG(mode) else _kind(mode)


def open_regular(
    path: str | Path,
    follow_symlinks: bool = False,
    error: type[TfvaeError] = UnsafeFileError,
) -> IO[bytes]:
    """Open ``path`` for reading (binary) if it is a regular file; never blocks.

    Args:
        follow_symlinks: accept a symbolic link to a regular file (data files the user
            names); shared folders pass ``False``.
        error: the error class raised for a file that is not a regular file.
    Raises:
        FileNotFoundError: ``path`` does not exist.
        error: a FIFO, a device, a directory, a socket, or a link when not followed.
    """
    path = Path(path)
    st = os.lstat(path)  # FileNotFoundError names the path
    if stat.S_ISLNK(st.st_mode) and not follow_symlinks:
        raise error(f"refusing to read {path}: it is a symbolic link (to {os.readlink(path)!r})")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            raise error(f"refusing to read {path}: {_kind(st.st_mode)} ({err})") from err
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise error(f"refusing to read {path}: it is {_kind(mode)}, not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_bytes(
    path: str | Path,
    max_bytes: int,
    what: str = "file",
    follow_symlinks: bool = False,
    error: type[TfvaeError] = UnsafeFileError,
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` bytes.

    Raises:
        error: not a regular file, or larger than ``max_bytes`` (named with the limit).
    """
    with open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise error(f"{what} {path} is {size} bytes, over the limit of {int(max_bytes)} bytes")
        data = fh.read(int(max_bytes) + 1)
    if len(data) > max_bytes:
        raise error(f"{what} {path} is over the limit of {int(max_bytes)} bytes")
    return data


# ---------------------------------------------------------------------------- file signatures
ZIP_SIGNATURE = b"PK\x03\x04"
NPY_MAGIC = b"\x93NUMPY"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FORMAT_SIGNATURES = (ZIP_SIGNATURE, NPY_MAGIC, HDF5_SIGNATURE, PNG_SIGNATURE)


def looks_like_pickle(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts a pickle of any protocol (0-5).

    Protocols 2-5 start with the PROTO opcode; protocols 0 and 1 have none, so the bytes are
    walked as pickle opcodes (``pickletools.genops``: parsing only, nothing is executed): a
    pickle reaches STOP or runs out of bytes mid-stream; any other file hits a byte that is no
    opcode within a few bytes.

    A file that starts with the signature of a format tfvae reads (zip, so ``.keras`` and
    ``.npz``; ``.npy``; HDF5; PNG) is no pickle: it is checked as that format instead. Without
    this rule a zip whose first header holds the DOS time 05:48:20 (bytes ``0a 2e``) reads as
    ``PERSID 'K\\x03...' STOP``, a two-opcode pickle.
    """
    if head.startswith(_FORMAT_SIGNATURES):
        return False
    if len(head) >= 2 and head[0] == 0x80 and head[1] <= 5:
        return True
    ops = 0
    try:
        for opcode, _, _ in pickletools.genops(io.BytesIO(head)):
            ops += 1
            if opcode.name == "STOP":
                return ops >= 2
    except ValueError as err:  # the head was cut inside a longer pickle
        return ops >= 3 and ("exhausted" in str(err) or "truncated" in str(err))
    except Exception:  # noqa: BLE001 - any parse failure means "not a pickle"
        return False
    return False


def _refuse_pickle(
    name: str, data: bytes, where: str, error: type[TfvaeError] = UnsafeModelError
) -> None:
    if looks_like_pickle(data[: LIMITS.header_bytes]):
        hint = (
            "; share models with save_pretrained, which writes only .keras, JSON, PNG and "
            ".npz files"
            if issubclass(error, UnsafeModelError)
            else ""
        )
        raise error(
            f"refusing to load {where}: {name!r} is a pickle (by its bytes). tfvae never "
            f"unpickles (a pickle can run arbitrary code){hint}"
        )


def _depth(node: Any) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > LIMITS.json_depth:
                return level
            stack.extend(
                (v, level + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def parse_json(
    data: bytes | str,
    what: str,
    expect: type | None = dict,
    error: type[TfvaeError] = ConfigError,
) -> Any:
    """Parse a JSON document of bounded size and depth, of the expected top-level type.

    Raises:
        UnsafeModelError: the bytes are a pickle.
        error: not JSON, over :attr:`Limits.json_bytes` or :attr:`Limits.json_depth`, or
            not of type ``expect`` (e.g. a list where an object is needed).
    """
    if len(data) > LIMITS.json_bytes:
        raise error(f"{what} is {len(data)} bytes, over the limit of {LIMITS.json_bytes} bytes")
    try:
        value = json.loads(data)
    except RecursionError as err:
        raise error(
            f"{what} nests deeper than Python can parse (limit {LIMITS.json_depth})"
        ) from err
    except ValueError as err:
        raw = data if isinstance(data, bytes) else data.encode("utf-8", "replace")
        _refuse_pickle(what, raw, what)
        raise error(f"{what} is not valid JSON ({err})") from err
    depth = _depth(value)
    if depth > LIMITS.json_depth:
        raise error(f"{what} nests {depth}+ levels deep, over the limit of {LIMITS.json_depth}")
    if expect is not None and not isinstance(value, expect):
        raise error(
            f"{what} must hold a JSON {'object' if expect is dict else expect.__name__}, "
            f"got a {type(value).__name__}"
        )
    return value


def read_json(
    path: str | Path,
    what: str | None = None,
    expect: type | None = dict,
    follow_symlinks: bool = False,
    error: type[TfvaeError] = ConfigError,
) -> Any:
    """Read a JSON file with the checks of :func:`parse_json` and :func:`read_bytes`."""
    what = what or str(path)
    data = read_bytes(path, LIMITS.json_bytes, what, follow_symlinks, error=error)
    return parse_json(data, what, expect=expect, error=error)


# ------------------------------------------------------------------------- declared sizes
_SIZE_WORDS = (
    "units",
    "filters",
    "hidden",
    "dim",
    "width",
    "channels",
    "shape",
    "embeddings",
    "components",
    "layers",
    "blocks",
    "features",
    "size",
)


def _size_numbers(node: Any, key: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _size_numbers(v, str(k))
    elif isinstance(node, list):
        for v in node:
            yield from _size_numbers(v, key)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        if any(word in key.lower() for word in _SIZE_WORDS) and "seed" not in key.lower():
            yield key, node


def check_declared_sizes(tree: Any, what: str, error: type[TfvaeError] = UnsafeModelError) -> None:
    """Refuse a config tree that declares sizes no sane network has, before it is built.

    Every number under a size-like key (units, filters, hidden, ``*_dim``, width, channels,
    shapes, ...) must be at most :attr:`Limits.layer_width`, and the parameters they imply
    (estimated as the sum of the products of consecutive sizes, as in a chain of dense
    layers) at most :attr:`Limits.parameters`.
    """
    sizes = list(_size_numbers(tree))
    for key, value in sizes:
        if value > LIMITS.layer_width:
            raise error(
                f"{what} declares {key}={value!r}, over the limit of {LIMITS.layer_width} "
                "(tfvae.safety.limits(layer_width=...) raises it for a file you trust)"
            )
    values = [v for _, v in sizes]
    estimate = sum(a * b for a, b in zip(values, values[1:], strict=False))
    if estimate > LIMITS.parameters:
        raise error(
            f"{what} declares layer sizes implying about {int(estimate)} parameters, over the "
            f"limit of {LIMITS.parameters}"
        )


# ---------------------------------------------------------------------------- zip archives


def zip_members(
    path: str | Path,
    what: str = "archive",
    follow_symlinks: bool = False,
    error: type[TfvaeError] = UnsafeModelError,
) -> list[zipfile.ZipInfo]:
    """The members of a zip archive, checked from its directory before any is decompressed.

    Refused: a file that does not start with the zip signature (a polyglot: a zip appended to
    another format), member names with ``..`` or an absolute path, a total uncompressed size
    over :attr:`Limits.archive_bytes`, a member compressed more than
    :attr:`Limits.compression_ratio` times (a zip bomb).
    """
    with open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh:
        if fh.read(4) != ZIP_SIGNATURE:
            raise error(
                f"{path} is not a {what} (it does not start with the zip signature 'PK\\3\\4')"
            )
        fh.seek(0)
        try:
            infos = zipfile.ZipFile(fh).infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise error(f"{what} {path} is not a valid zip archive ({err})") from err
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts:
            raise error(f"{what} {path} holds a member with an unsafe name {name!r}")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > LIMITS.ratio_floor and ratio > LIMITS.compression_ratio:
            raise error(
                f"{what} {path}: member {name!r} expands {ratio:.0f}x ({info.file_size} bytes), "
                f"over the compression-ratio limit of {LIMITS.compression_ratio:g} (a zip bomb?)"
            )
    if total > LIMITS.archive_bytes:
        raise error(
            f"{what} {path} expands to {total} bytes, over the limit of {LIMITS.archive_bytes}"
        )
    return infos


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str, error: type[TfvaeError]
) -> bytes:
    with archive.open(info) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise error(f"{what}: member {info.filename!r} is over the limit of {cap} bytes")
    return data


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


#: Keras class names whose config holds Python code
CODE_CLASSES = ("Lambda", "__lambda__")
#: what each member of a ``.keras`` archive must start with
_KERAS_MEMBERS = {"config.json": None, "metadata.json": None, "model.weights.h5": HDF5_SIGNATURE}


def read_keras_config(path: str | Path, follow_symlinks: bool = False) -> dict:
    """Check a ``.keras`` archive and return its model config (nothing is built or run).

    Refused with :class:`UnsafeModelError`: what :func:`zip_members` refuses; a member other
    than ``config.json``, ``metadata.json``, ``model.weights.h5`` and ``assets/``; a member
    that is a pickle or not of its format; a config over the JSON limits or not an object; a
    Lambda layer (its Python code would run on load); declared sizes over the limits.
    """
    path = Path(path)
    where = f"{path}"
    if path.suffix != ".keras":
        raise UnsafeModelError(f"refusing to load {path}: only .keras archives are read")
    infos = zip_members(path, "Keras .keras archive", follow_symlinks)
    config = None
    with open_regular(path, follow_symlinks=follow_symlinks) as fh, zipfile.ZipFile(fh) as zf:
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            if name.endswith(".json"):
                head = _read_member(zf, info, LIMITS.json_bytes, where, UnsafeModelError)
            else:
                with zf.open(info) as member:
                    head = member.read(LIMITS.header_bytes)
            _refuse_pickle(f"member {name}", head, where)
            if name not in _KERAS_MEMBERS and not name.startswith("assets/"):
                raise UnsafeModelError(
                    f"refusing to load {where}: unexpected member {name!r} (a .keras archive "
                    f"holds {', '.join(_KERAS_MEMBERS)} and assets/)"
                )
            signature = _KERAS_MEMBERS.get(name)
            if signature is not None and not head.startswith(signature):
                raise UnsafeModelError(f"refusing to load {where}: {name!r} is not an HDF5 file")
            if name.endswith(".json"):
                tree = parse_json(head, f"{where}: {name}", error=UnsafeModelError)
                if name == "config.json":
                    config = tree
    if config is None:
        raise UnsafeModelError(f"{where} is not a Keras .keras archive (no config.json)")
    found = list(_code_paths(config))
    if found:
        raise UnsafeModelError(
            f"refusing to load {path}: it holds Python code in a Lambda layer at "
            f"{'; '.join(found)}. Loading it would run that code. Replace the Lambda with a "
            "custom layer class registered with @keras.saving.register_keras_serializable()"
        )
    check_declared_sizes(config, f"refusing to load {path}: its config")
    return config


def npy_header(
    head: bytes, size: int, what: str, path: str | Path, error: type[TfvaeError]
) -> tuple[tuple[int, ...], Any]:
    """``(shape, dtype)`` from the first bytes ``head`` of an ``.npy`` array of ``size`` bytes.

    Refused: a pickle (named as one), not an ``.npy`` array, a bad header, an object or
    non-numeric dtype, more than :attr:`Limits.array_elements` elements, or a header that
    announces more bytes than the array holds.
    """
    import numpy as np

    _refuse_pickle(what, head, str(path), error)
    if not head.startswith(NPY_MAGIC):
        raise error(f"refusing to read {path}: {what} is not an .npy array")
    stream = io.BytesIO(head)
    try:
        version = np.lib.format.read_magic(stream)
        reader = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = reader(stream, max_header_size=LIMITS.header_bytes)
    except (ValueError, SyntaxError, TypeError) as err:
        raise error(f"refusing to read {path}: {what} has a bad header ({err})") from err
    if dtype.hasobject or dtype.kind not in "biufc":
        raise error(
            f"refusing to read {path}: {what} has dtype {dtype} (numeric "
            "arrays only; object arrays are pickles: tfvae never unpickles)"
        )
    elements = int(np.prod(shape, dtype=np.float64))
    if elements > LIMITS.array_elements:
        raise error(
            f"refusing to read {path}: {what} declares shape {shape} "
            f"({elements} elements), over the limit of {LIMITS.array_elements}"
        )
    if elements * dtype.itemsize > size - stream.tell():
        raise error(
            f"refusing to read {path}: {what} declares shape {shape} but "
            f"holds only {size - stream.tell()} bytes"
        )
    return tuple(int(d) for d in shape), dtype


def read_npy(
    path: str | Path, follow_symlinks: bool = False, error: type[TfvaeError] = UnsafeModelError
) -> Any:
    """One ``.npy`` array after :func:`npy_header`'s checks, read without pickle."""
    import numpy as np

    with open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh:
        size = os.fstat(fh.fileno()).st_size
        npy_header(fh.read(LIMITS.header_bytes), size, "the array", path, error)
        fh.seek(0)
        try:
            return np.load(fh, allow_pickle=False)
        except (ValueError, OSError) as err:
            raise error(f"refusing to read {path}: {err}") from err


def npz_headers(
    path: str | Path,
    follow_symlinks: bool = False,
    error: type[TfvaeError] = UnsafeModelError,
) -> dict[str, tuple[tuple[int, ...], str]]:
    """``{name: (shape, dtype)}`` of an ``.npz`` archive, from the ``.npy`` headers only.

    Refused: what :func:`zip_members` refuses; a member that is not an ``.npy`` array (a
    pickle is named as one); an object or non-numeric dtype; an array of more than
    :attr:`Limits.array_elements` elements, or whose header announces more bytes than the
    member holds.
    """

    path = Path(path)
    infos = zip_members(path, ".npz archive", follow_symlinks, error=error)
    out: dict[str, tuple[tuple[int, ...], str]] = {}
    with (
        open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh,
        zipfile.ZipFile(fh) as zf,
    ):
        for info in infos:
            name = info.filename
            with zf.open(info) as member:
                head = member.read(LIMITS.header_bytes)
            if not name.endswith(".npy"):
                raise error(f"refusing to read {path}: member {name!r} is not an .npy array")
            shape, dtype = npy_header(head, info.file_size, f"member {name!r}", path, error)
            out[name[: -len(".npy")]] = (tuple(int(d) for d in shape), dtype.str)
    return out


def read_npz(
    path: str | Path,
    follow_symlinks: bool = False,
    error: type[TfvaeError] = UnsafeModelError,
) -> dict[str, Any]:
    """The arrays of an ``.npz`` archive after :func:`npz_headers`, read without pickle."""
    import numpy as np

    npz_headers(path, follow_symlinks, error=error)
    with open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh:
        try:
            with np.load(fh, allow_pickle=False) as archive:
                return {key: archive[key] for key in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise error(f"refusing to read {path}: {err}") from err


def check_image_header(image: Any, name: str, error: type[TfvaeError] = DataError) -> None:
    """Refuse a PIL image (opened, not decoded) of more than :attr:`Limits.pixels` pixels."""
    width, height = image.size
    frames = getattr(image, "n_frames", 1)
    if width * height * max(frames, 1) > LIMITS.pixels:
        raise error(
            f"{name} is {width}x{height} pixels ({frames} frame(s)), over the limit of "
            f"{LIMITS.pixels} pixels (tfvae.safety.limits(pixels=...) raises it)"
        )


@contextlib.contextmanager
def open_image(
    path: str | Path, follow_symlinks: bool = True, error: type[TfvaeError] = DataError
) -> Iterator[Any]:
    """``with open_image(path) as img:`` a PIL image of a regular file, its pixel count checked
    from the header before anything is decoded; closed at the end of the block.

    Raises:
        error: not a regular file, not an image PIL can read, or over :attr:`Limits.pixels`.
    """
    import warnings

    from PIL import Image  # Pillow is imported only where images are read

    with open_regular(path, follow_symlinks=follow_symlinks, error=error) as fh:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(fh)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
            raise error(f"{path}: {err}") from err
        except (OSError, SyntaxError, ValueError) as err:
            raise error(f"{path} is not an image that can be read ({err})") from err
        with image:
            check_image_header(image, str(path), error)
            yield image


# --------------------------------------------------------------------------- shared folders
#: file names a shared or run folder may hold at its top level (each checked by its format)
ALLOWED_FILES = (
    "model.keras",
    "final_model.keras",
    "config.json",
    "training_config.json",
    "sampler.json",
    "sampler_state.npz",
    "samples.png",
    "README.md",
    ".gitattributes",
    "run_info.json",
    "history.json",
    "reconstructions.png",
    "latent_scatter.png",
    "interpolations.png",
    "traversals.png",
)
#: name patterns of further top-level files (what `tfvae generate/evaluate` write, and the
#: temporary file a killed write leaves: still checked for pickles)
ALLOWED_PATTERNS = ("eval_*.json", "samples*.png", "samples*.npz", "samples*.csv", ".tmp-*")
#: sub-folders (TensorBoard logs, resume backup, snapshots, exports, huggingface_hub metadata):
#: their files must be regular files and not pickles
ALLOWED_DIRS = ("logs", "backup", "checkpoints", "export", ".cache")


def is_hub_blob_link(root: str | Path, file: str | Path) -> bool:
    """A huggingface_hub cache snapshot links each file to ``../../blobs/<hash>``; such a link
    is followed when it resolves to a regular file in that repository's ``blobs/``."""
    root, file = Path(root), Path(file)
    if root.parent.name != "snapshots" or not file.is_symlink():
        return False
    blobs = (root.parent.parent / "blobs").resolve()
    target = file.resolve()
    return target.parent == blobs and target.is_file() and not target.is_symlink()


def _check_file(root: Path, file: Path, top: bool) -> None:
    rel = file.relative_to(root).as_posix()
    follow = is_hub_blob_link(root, file)
    with open_regular(file, follow_symlinks=follow, error=UnsafeModelError) as fh:
        head = fh.read(LIMITS.header_bytes)
    _refuse_pickle(rel, head, str(root))
    suffix = file.suffix.lower()
    # archives in the sub-folders (snapshots, a killed run's temporary file) are checked in
    # full when they are loaded themselves; here they must be regular and no pickle
    if suffix == ".keras" and top:
        read_keras_config(file, follow_symlinks=follow)
    elif suffix == ".npz" and top:
        npz_headers(file, follow_symlinks=follow)
    elif suffix == ".json" and top:
        read_json(
            file, f"{root}: {rel}", expect=None, follow_symlinks=follow, error=UnsafeModelError
        )
    elif suffix == ".png" and not head.startswith(PNG_SIGNATURE):
        raise UnsafeModelError(f"refusing to load {root}: {rel!r} is not a PNG image")
    elif top and suffix == ".md":
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            if len(head) < LIMITS.header_bytes:
                raise UnsafeModelError(
                    f"refusing to load {root}: {rel!r} is not UTF-8 text"
                ) from None
    elif zipfile.is_zipfile(io.BytesIO(head)) or head.startswith(ZIP_SIGNATURE):
        if top or suffix not in (".keras", ".npz"):
            raise UnsafeModelError(
                f"refusing to load {root}: {rel!r} is a zip archive of unknown content"
            )


def check_safe_to_load(path: str | Path) -> None:
    """Refuse a shared folder (or a ``.keras`` file) that holds anything tfvae did not write.

    A folder may hold :data:`ALLOWED_FILES` / :data:`ALLOWED_PATTERNS` at its top level and
    :data:`ALLOWED_DIRS`; every file must be a regular file (no symbolic links, except the
    ``huggingface_hub`` cache's links to its blobs; no FIFOs or devices) and is checked by its
    format (``.keras``: :func:`read_keras_config`; ``.npz``: :func:`npz_headers`; JSON: bounded
    parse; PNG: signature) and for pickles of every protocol.

    Raises:
        UnsafeModelError: the first unsafe file found, named (unexpected files are all listed).
        FileNotFoundError: ``path`` does not exist.
    """
    path = Path(path)
    if not stat.S_ISDIR(os.stat(path).st_mode):  # FileNotFoundError when missing
        if path.suffix == ".keras":
            read_keras_config(path, follow_symlinks=True)
            return
        with open_regular(path, follow_symlinks=True, error=UnsafeModelError) as fh:
            head = fh.read(LIMITS.header_bytes)
        _refuse_pickle(path.name, head, str(path))
        raise UnsafeModelError(f"refusing to load {path}: only .keras files and folders are read")
    unexpected, files = [], []
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        entry_path = Path(entry.path)
        if entry.is_symlink() and not is_hub_blob_link(path, entry_path):
            raise UnsafeModelError(
                f"refusing to load {path}: {entry.name!r} is a symbolic link (to "
                f"{os.readlink(entry.path)!r}); shared folders hold regular files only"
            )
        if entry.is_dir(follow_symlinks=False):
            if entry.name not in ALLOWED_DIRS:
                unexpected.append(entry.name + "/")
                continue
            for sub, dirnames, filenames in os.walk(entry_path, followlinks=False):
                for name in sorted(dirnames + filenames):
                    p = Path(sub) / name
                    if p.is_symlink():
                        raise UnsafeModelError(
                            f"refusing to load {path}: {p.relative_to(path).as_posix()!r} is a "
                            f"symbolic link (to {os.readlink(p)!r})"
                        )
                files.extend((Path(sub) / name, False) for name in sorted(filenames))
        elif entry.name in ALLOWED_FILES or any(
            fnmatch.fnmatchcase(entry.name, pattern) for pattern in ALLOWED_PATTERNS
        ):
            files.append((entry_path, True))
        else:
            unexpected.append(entry.name)
    if unexpected:
        raise UnsafeModelError(
            f"refusing to load {path}: unexpected file(s) {', '.join(map(repr, unexpected))}; "
            f"a tfvae folder holds only {', '.join(ALLOWED_FILES)}, "
            f"{', '.join(ALLOWED_PATTERNS)} and the folders {', '.join(ALLOWED_DIRS)}"
        )
    for file, top in files:
        _check_file(path, file, top)


# ---------------------------------------------------------------------------------- writing
def _check_target(path: Path, root: str | Path | None) -> None:
    if path.is_symlink():
        raise UnsafeFileError(
            f"refusing to write {path}: it is a symbolic link (to {os.readlink(path)!r}); "
            "tfvae never writes through links"
        )
    if root is None:
        return
    root = Path(root)
    real_root = Path(os.path.realpath(root))
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        raise UnsafeFileError(f"refusing to write {path}: it is outside {root}") from None
    current = Path(os.path.abspath(root))
    for part in rel.parts[:-1]:
        current = current / part
        if current.is_symlink():
            raise UnsafeFileError(
                f"refusing to write {path}: {current} is a symbolic link (to "
                f"{os.readlink(current)!r}); tfvae never writes through links"
            )
    if not Path(os.path.realpath(path.parent)).is_relative_to(real_root):
        raise UnsafeFileError(f"refusing to write {path}: it resolves outside {root}")


def check_output_path(path: str | Path, root: str | Path | None = None) -> Path:
    """Refuse to write ``path`` when it is a symbolic link, lies outside ``root`` or reaches
    it through a link; returns ``path``.

    Raises:
        UnsafeFileError: naming the link or the folder.
    """
    _check_target(Path(path), root)
    return Path(path)


def check_output_dir(path: str | Path, root: str | Path | None = None) -> Path:
    """Refuse an output folder that is a symbolic link or has one between it and ``root``
    (folders that Keras callbacks write into: logs, backups, snapshots); creates it."""
    path = Path(path)
    _check_target(path / "_", root if root is not None else path)
    if path.is_symlink():
        raise UnsafeFileError(f"refusing to write into {path}: it is a symbolic link")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def safe_output(path: str | Path, root: str | Path | None = None) -> Iterator[Path]:
    """A temporary path in ``path``'s folder (same suffix) to write to; renamed onto ``path``
    when the block ends without error, removed otherwise.

    Raises:
        UnsafeFileError: ``path`` is a symbolic link, or lies outside ``root`` (or reaches it
            through a link).
    """
    path = Path(path)
    _check_target(path, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes)  # "x.weights.h5" keeps ".weights.h5", which Keras needs
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{stem}-", suffix=suffix)
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        _check_target(path, root)
        if Path(tmp).is_dir():
            if path.is_dir():
                old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".old-{path.name}-"))
                os.replace(path, old / path.name)
                os.replace(tmp, path)
                shutil.rmtree(old)
            else:
                os.replace(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            (shutil.rmtree if Path(tmp).is_dir() else os.unlink)(tmp)


def safe_write(path: str | Path, data: bytes | str, root: str | Path | None = None) -> Path:
    """Write ``data`` to ``path`` through :func:`safe_output` (temp file + rename)."""
    with safe_output(path, root) as tmp:
        Path(tmp).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return Path(path)


def write_json(path: str | Path, value: Any, root: str | Path | None = None) -> Path:
    """Write ``value`` as indented JSON with :func:`safe_write`."""
    return safe_write(path, json.dumps(value, indent=2) + "\n", root)


# ------------------------------------------------------------------------ local run records
def _key_file() -> Path:
    home = os.environ.get("TFVAE_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "tfvae"
    )
    return Path(home) / "local_runs.key"


def _local_key() -> bytes:
    """This user's secret for marking run folders as trained here (created on first use)."""
    file = _key_file()
    try:
        return read_bytes(file, 4096, "tfvae key file")
    except FileNotFoundError:
        pass
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(
            file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )
    except FileExistsError:
        return read_bytes(file, 4096, "tfvae key file")
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def _digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "local_signature"}
    payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_local_key(), payload, hashlib.sha256).hexdigest()


def sign_local_record(record: dict) -> dict:
    """``record`` with a ``local_signature`` that only this user's key can produce.

    ``tfvae train`` signs ``run_info.json`` so that ``generate``/``evaluate`` trust the data
    path it records for a run trained here, and for no other folder (a downloaded folder
    cannot carry a valid signature). The key is ``$TFVAE_HOME/local_runs.key`` (default
    ``~/.config/tfvae/``), created with mode 0600.
    """
    return {**record, "local_signature": _digest(record)}


def is_local_record(record: Any) -> bool:
    """Whether ``record`` carries this user's valid :func:`sign_local_record` signature."""
    if not isinstance(record, dict) or not isinstance(record.get("local_signature"), str):
        return False
    try:
        return hmac.compare_digest(record["local_signature"], _digest(record))
    except (TypeError, ValueError, OSError, TfvaeError):
        return False


__all__ = [
    "ALLOWED_DIRS",
    "ALLOWED_FILES",
    "ALLOWED_PATTERNS",
    "LIMITS",
    "Limits",
    "check_declared_sizes",
    "check_image_header",
    "check_output_dir",
    "check_output_path",
    "check_safe_to_load",
    "describe_file_kind",
    "is_hub_blob_link",
    "is_local_record",
    "limits",
    "looks_like_pickle",
    "npz_headers",
    "open_image",
    "open_regular",
    "parse_json",
    "read_bytes",
    "read_json",
    "read_keras_config",
    "read_npz",
    "safe_output",
    "safe_write",
    "sign_local_record",
    "write_json",
    "zip_members",
]
