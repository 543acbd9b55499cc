"""Crafted data files: bombs, huge images, FIFOs and pickles are refused with a DataError
naming the file, within 10 s and 2 GiB."""

from __future__ import annotations

import os
import shutil

import numpy as np

from tests.security import craft
from tests.security.conftest import assert_all_refused, run_cases

SETUP = "import tfvae\nfrom tfvae.data.readers import read_idx\n"


def test_crafted_data_files_are_refused(tmp_path):
    cases = {}
    big = craft.idx_gz(tmp_path / "declares-2.8GB-idx3-ubyte.gz", (70000, 200, 200), 1000)
    cases["IDX .gz declaring 2.8 GB"] = f"read_idx({str(big)!r})"
    long = craft.idx_gz(tmp_path / "stream-longer-idx1-ubyte.gz", (1000,), 300 * 2**20)
    cases["IDX .gz stream far longer than declared"] = f"read_idx({str(long)!r})"
    raw = tmp_path / "truncated-idx1-ubyte"
    raw.write_bytes(bytes([0, 0, 8, 1]) + (10**6).to_bytes(4, "big") + bytes(10))
    cases["raw IDX truncated"] = f"read_idx({str(raw)!r})"
    fifo_idx = tmp_path / "fifo-idx1-ubyte"
    os.mkfifo(fifo_idx)
    cases["IDX a FIFO"] = f"read_idx({str(fifo_idx)!r})"

    huge = tmp_path / "huge_pngs"
    huge.mkdir()
    craft.png_header_only(huge / "1.png", 12000, 7400)
    for name in ("2.png", "3.png"):
        shutil.copy(huge / "1.png", huge / name)
    cases["three 12000x7400 PNGs"] = f"tfvae.data.load({str(huge)!r})"
    fifo_png = tmp_path / "fifo_pngs"
    fifo_png.mkdir()
    os.mkfifo(fifo_png / "1.png")
    cases["a FIFO named 1.png"] = f"tfvae.data.load({str(fifo_png)!r})"
    not_png = tmp_path / "not_png"
    not_png.mkdir()
    (not_png / "1.png").write_bytes(b"GIF89a" + bytes(100))
    cases["a broken image"] = f"tfvae.data.load({str(not_png)!r})"

    pickled = tmp_path / "pickled.npz"
    craft.write_zip(pickled, {"x.npy": craft.pickle_bytes(tmp_path / "pwned", 0)})
    cases["a pickle as an .npz member"] = f"tfvae.data.load({str(pickled)!r})"
    objects = tmp_path / "objects.npz"
    objects.write_bytes(craft.npz_bytes({"x": np.array([{"a": 1}], dtype=object)}))
    cases["an object array"] = f"tfvae.data.load({str(objects)!r})"
    fifo_npz = tmp_path / "fifo.npz"
    os.mkfifo(fifo_npz)
    cases["a FIFO named .npz"] = f"tfvae.data.load({str(fifo_npz)!r})"
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(craft.npz_bytes({"x": np.zeros((200, 1024, 1024), np.uint8)}, True))
    cases["an .npz bomb"] = f"tfvae.data.load({str(bomb)!r})"

    results = run_cases(tmp_path, cases, SETUP)
    expected = {
        "IDX .gz declaring 2.8 GB": r"\(70000, 200, 200\).*over the limit",
        "IDX .gz stream far longer than declared": "holds more bytes",
        "raw IDX truncated": "holds 10 bytes",
        "IDX a FIFO": "FIFO",
        "three 12000x7400 PNGs": r"1\.png is 12000x7400 pixels.*over the limit",
        "a FIFO named 1.png": "FIFO",
        "a broken image": "not an image",
        "a pickle as an .npz member": "pickle",
        "an object array": "object arrays are pickles",
        "a FIFO named .npz": "FIFO",
        "an .npz bomb": "compression-ratio",
    }
    assert_all_refused(results, {k: ("DataError", v) for k, v in expected.items()})
    assert not (tmp_path / "pwned").exists()


def test_limits_can_be_raised_for_a_trusted_file(tmp_path):
    """The same huge header passes the pixel check inside ``safety.limits(pixels=...)`` (and
    then fails only because the crafted file has no pixel data)."""
    import pytest

    from tfvae import safety
    from tfvae.errors import ConfigError, DataError

    png = craft.png_header_only(tmp_path / "big.png", 5000, 5000)
    with pytest.raises(DataError, match="over the limit"), safety.open_image(png):
        pass
    with safety.limits(pixels=5000 * 5000), safety.open_image(png) as image:
        assert image.size == (5000, 5000)
    assert safety.LIMITS.pixels == safety.Limits().pixels  # restored
    with pytest.raises(ConfigError, match="unknown limit 'pixel'"), safety.limits(pixel=1):
        pass
