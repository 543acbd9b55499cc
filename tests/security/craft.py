"""Crafted files: legitimate folders to start from and the ways to spoil them."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SAVED = ROOT / "saved_models" / "vae_fashion_mnist"


class Payload:
    """Unpickling this would run ``os.system``; nothing in tfvae may unpickle it."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def pickle_bytes(marker: Path, protocol: int) -> bytes:
    return pickle.dumps(Payload(marker), protocol=protocol)


def legit_folder(where: Path) -> Path:
    """A copy of the shipped ``saved_models/vae_fashion_mnist`` (model, GMM sampler, card)."""
    return Path(shutil.copytree(SAVED, where))


def keras_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(
    path: Path | io.BytesIO,
    members: dict[str, bytes],
    method: int = zipfile.ZIP_DEFLATED,
    date_time: tuple[int, ...] | None = None,
) -> Path | io.BytesIO:
    """Write ``members`` as a zip to ``path`` (a file or a buffer), stamped now or at
    ``date_time`` (year, month, day, hour, minute, second)."""
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name if date_time is None else zipfile.ZipInfo(name, date_time), data)
    return path


def keras_config(path: Path) -> dict:
    return json.loads(keras_members(path)["config.json"])


def with_keras_config(path: Path, config: dict) -> Path:
    members = keras_members(path)
    members["config.json"] = json.dumps(config).encode()
    return write_zip(path, members)


def zip_bomb_keras(path: Path, megabytes: int = 256) -> Path:
    """A ``.keras`` whose config.json is ``megabytes`` MB of spaces (~1000x compression)."""
    members = keras_members(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name == "config.json":
                with archive.open(name, "w", force_zip64=True) as member:
                    member.write(data[:-1])
                    chunk = b" " * 2**20
                    for _ in range(megabytes):
                        member.write(chunk)
                    member.write(b"}")
            else:
                archive.writestr(name, data)
    return path


def npz_bytes(arrays: dict[str, np.ndarray], compressed: bool = False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def idx_gz(path: Path, dims: tuple[int, ...], payload_bytes: int) -> Path:
    """A gzip IDX file (uint8) declaring ``dims`` and holding ``payload_bytes`` zero bytes."""
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(header)
        chunk = bytes(2**20)
        left = payload_bytes
        while left > 0:
            fh.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb
    in size; decoding it would need width * height bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1000)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def hdf5_zip_polyglot(path: Path, zip_file: Path) -> Path:
    """An HDF5 signature and junk, then a whole zip archive: zip readers find it at the end."""
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(4096) + zip_file.read_bytes())
    return path
