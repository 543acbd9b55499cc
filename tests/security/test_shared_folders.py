"""Crafted model folders and .keras archives: each is refused with a named tfvae error,
within 10 s and 2 GiB, and nothing in them runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from tests.security import craft
from tests.security.conftest import assert_all_refused, assert_refused, run_cases

LOAD = "tfvae.hub.load_pretrained({path!r})"
SETUP = "import tfvae, tfvae.hub\n"


def _pickle_places(tmp_path: Path, marker: Path) -> dict[str, str]:
    """Every place a pickle can hide in a shared folder, for protocols 0-5: label -> code."""
    cases = {}
    for protocol in range(6):
        blob = craft.pickle_bytes(marker, protocol)
        for place in (
            "custom.pkl",
            "config.json",
            "README.md",
            "samples.png",
            "cache",
            "keras_member",
            "keras_config",
            "npz_member",
            "logs",
            "dir_link",
        ):
            folder = craft.legit_folder(tmp_path / f"p{protocol}_{place}")
            if place == "cache":
                (folder / ".cache" / "huggingface").mkdir(parents=True)
                (folder / ".cache" / "huggingface" / "model.keras.metadata").write_bytes(blob)
            elif place == "keras_member":
                members = craft.keras_members(folder / "model.keras")
                craft.write_zip(folder / "model.keras", {**members, "assets/extra": blob})
            elif place == "keras_config":
                members = craft.keras_members(folder / "model.keras")
                craft.write_zip(folder / "model.keras", {**members, "config.json": blob})
            elif place == "npz_member":
                craft.write_zip(folder / "sampler_state.npz", {"weights.npy": blob})
            elif place == "logs":
                (folder / "logs").mkdir()
                (folder / "logs" / "events.out.tfevents.1").write_bytes(blob)
            elif place == "dir_link":
                elsewhere = tmp_path / f"elsewhere{protocol}"
                elsewhere.mkdir()
                (elsewhere / "events").write_bytes(blob)
                os.symlink(elsewhere, folder / "logs")
            else:
                (folder / place).write_bytes(blob)
            cases[f"protocol {protocol} in {place}"] = LOAD.format(path=str(folder))
        # hub.load_sampler reads the sampler's files: it checks the folder too
        folder = craft.legit_folder(tmp_path / f"p{protocol}_sampler")
        (folder / "sampler_state.npz").write_bytes(blob)
        cases[f"protocol {protocol} via load_sampler"] = (
            f"tfvae.hub.load_sampler({str(folder)!r}, None)"
        )
    return cases


def test_pickles_of_every_protocol_in_every_place_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    cases = _pickle_places(tmp_path, marker)
    results = run_cases(tmp_path, cases, SETUP)
    for label, result in results.items():
        expected = "unexpected file" if "custom.pkl" in label else None
        if "dir_link" in label:
            expected = "symbolic link"
        try:
            assert_refused(result, "UnsafeModelError", expected)
        except AssertionError as err:
            raise AssertionError(f"{label}: {err}") from None
    assert not marker.exists()


def test_crafted_archives_are_refused_before_keras_builds_anything(tmp_path):
    marker = tmp_path / "pwned"
    cases = {}

    def folder(name: str) -> Path:
        return craft.legit_folder(tmp_path / name)

    bomb = folder("bomb")
    craft.zip_bomb_keras(bomb / "model.keras", megabytes=256)
    cases["config.json zip bomb"] = LOAD.format(path=str(bomb))

    deep = folder("deep")
    members = craft.keras_members(deep / "model.keras")
    craft.write_zip(deep / "model.keras", {**members, "config.json": b"[" * 100000 + b"]" * 100000})
    cases["config.json 100k levels deep"] = LOAD.format(path=str(deep))

    as_list = folder("as_list")
    craft.write_zip(as_list / "model.keras", {**members, "config.json": b"[1, 2, 3]"})
    cases["config.json a list"] = LOAD.format(path=str(as_list))

    for name, node in {
        "os.system": {
            "module": "os",
            "class_name": "system",
            "config": {"command": f"touch {marker}"},
            "registered_name": None,
        },
        "keras.utils.get_file": {
            "module": "keras.utils",
            "class_name": "get_file",
            "config": {"fname": "x", "origin": "http://127.0.0.1:9/x"},
            "registered_name": None,
        },
        "huge MLP": {
            "module": "tfvae.nn.mlp",
            "class_name": "MLPEncoder",
            "config": {"latent_dim": 16, "hidden": [100000, 100000]},
            "registered_name": "tfvae>MLPEncoder",
        },
        "huge dense chain": {
            "module": "tfvae.nn.mlp",
            "class_name": "MLPEncoder",
            "config": {"latent_dim": 16, "hidden": [60000, 60000]},
            "registered_name": "tfvae>MLPEncoder",
        },
    }.items():
        crafted = folder(name.replace(".", "_").replace(" ", "_"))
        config = craft.keras_config(crafted / "model.keras")
        config["config"]["encoder"] = node
        craft.with_keras_config(crafted / "model.keras", config)
        cases[name] = LOAD.format(path=str(crafted))

    h5 = tmp_path / "polyglot.h5"
    craft.hdf5_zip_polyglot(h5, craft.SAVED / "model.keras")
    cases["HDF5+zip polyglot .h5"] = f"tfvae.AutoModel.load({str(h5)!r})"
    poly = folder("polyglot")
    craft.hdf5_zip_polyglot(poly / "model.keras", craft.SAVED / "model.keras")
    cases["HDF5+zip polyglot model.keras"] = LOAD.format(path=str(poly))

    odd = folder("odd_member")
    craft.write_zip(odd / "model.keras", {**members, "../../escape.json": b"{}"})
    cases["member name with .."] = LOAD.format(path=str(odd))

    results = run_cases(tmp_path, cases, SETUP)
    expected = {
        "config.json zip bomb": ("UnsafeModelError", "compression-ratio limit"),
        "config.json 100k levels deep": ("UnsafeModelError", "deep"),
        "config.json a list": ("UnsafeModelError", "is not a Keras|JSON object"),
        "os.system": ("UnsafeModelError", r"os\.system.*nothing was run"),
        "keras.utils.get_file": ("UnsafeModelError", "refused by Keras safe mode"),
        "huge MLP": ("UnsafeModelError", "hidden=100000, over the limit"),
        "huge dense chain": ("UnsafeModelError", "parameters, over the limit"),
        "HDF5+zip polyglot .h5": ("UnsafeModelError", ".keras archives only"),
        "HDF5+zip polyglot model.keras": ("UnsafeModelError", "does not start with the zip"),
        "member name with ..": ("UnsafeModelError", "unsafe name"),
    }
    assert_all_refused(results, expected)
    assert not marker.exists()


def test_links_fifos_and_unexpected_files_are_refused(tmp_path):
    cases = {}
    linked = craft.legit_folder(tmp_path / "linked")
    (linked / "model.keras").unlink()
    os.symlink(craft.SAVED / "model.keras", linked / "model.keras")
    cases["model.keras a symlink"] = LOAD.format(path=str(linked))
    fifo = craft.legit_folder(tmp_path / "fifo")
    (fifo / "model.keras").unlink()
    os.mkfifo(fifo / "model.keras")
    cases["model.keras a FIFO"] = LOAD.format(path=str(fifo))
    extra = craft.legit_folder(tmp_path / "extra")
    (extra / "run.sh").write_text("rm -rf ~\n")
    (extra / "notes").mkdir()
    cases["unexpected files"] = LOAD.format(path=str(extra))
    results = run_cases(tmp_path, cases, SETUP, timeout=60)
    assert_refused(results["model.keras a symlink"], "UnsafeModelError", "symbolic link")
    assert_refused(results["model.keras a FIFO"], "UnsafeModelError", "FIFO")
    assert_refused(results["unexpected files"], "UnsafeModelError", r"'notes/', 'run\.sh'")


def test_sampler_states_are_checked_against_the_model_before_allocation(tmp_path):
    cases = {}

    def with_sampler(name: str, meta, arrays: dict | bytes | None, compressed=False) -> Path:
        folder = craft.legit_folder(tmp_path / name)
        if meta is not None:
            (folder / "sampler.json").write_text(json.dumps(meta))
        if isinstance(arrays, bytes):
            (folder / "sampler_state.npz").write_bytes(arrays)
        elif arrays is not None:
            (folder / "sampler_state.npz").write_bytes(craft.npz_bytes(arrays, compressed))
        return folder

    maf = with_sampler(
        "maf",
        {"sampler": "MAFSampler", "config": {}},
        {"code_dim": np.asarray(100_000_000), "weight_0000": np.zeros(3)},
    )
    cases["MAF code_dim 1e8"] = f"tfvae.hub.load_sampler({str(maf)!r}, model)"
    d = 3000
    gmm = with_sampler(
        "gmm",
        None,
        {
            "weights": np.ones(1),
            "means": np.zeros((1, d)),
            "covariances": np.zeros((1, d, d)),
            "precisions_cholesky": np.zeros((1, d, d)),
        },
        compressed=True,
    )
    cases["GMM 3000x3000 (compressed)"] = f"tfvae.hub.load_sampler({str(gmm)!r}, model)"
    gmm_small = with_sampler(
        "gmm_small",
        None,
        {
            "weights": np.ones(10),
            "means": np.zeros((10, 17)),
            "covariances": np.zeros((10, 17, 17)),
            "precisions_cholesky": np.zeros((10, 17, 17)),
        },
    )
    cases["GMM of another latent size"] = f"tfvae.hub.load_sampler({str(gmm_small)!r}, model)"
    no_key = with_sampler("no_key", {"config": {}}, None)
    cases["sampler.json without 'sampler'"] = f"tfvae.hub.load_sampler({str(no_key)!r}, model)"
    as_list = with_sampler("as_list", ["GaussianMixtureSampler"], None)
    cases["sampler.json a list"] = f"tfvae.hub.load_sampler({str(as_list)!r}, model)"
    wide = with_sampler("wide", {"sampler": "MAFSampler", "config": {"hidden_size": 10**8}}, None)
    cases["MAF hidden_size 1e8"] = f"tfvae.hub.load_sampler({str(wide)!r}, model)"
    objects = with_sampler("objects", None, {"weights": np.array([{"a": 1}], dtype=object)})
    cases["object array"] = f"tfvae.hub.load_sampler({str(objects)!r}, model)"
    fifo = craft.legit_folder(tmp_path / "fifo")
    (fifo / "sampler_state.npz").unlink()
    os.mkfifo(fifo / "sampler_state.npz")
    cases["sampler_state.npz a FIFO"] = f"tfvae.hub.load_sampler({str(fifo)!r}, model)"
    setup = SETUP + f"model = tfvae.AutoModel.load({str(craft.SAVED)!r})\n"
    results = run_cases(tmp_path, cases, setup)
    expected = {
        "MAF code_dim 1e8": ("ConfigError", "codes of 100000000 numbers; this model's codes"),
        "GMM 3000x3000 (compressed)": ("UnsafeModelError", "compression-ratio|shape"),
        "GMM of another latent size": ("ConfigError", r"'means' has shape \(10, 17\)"),
        "sampler.json without 'sampler'": ("ConfigError", '"sampler" string'),
        "sampler.json a list": ("ConfigError", "JSON object"),
        "MAF hidden_size 1e8": ("ConfigError", "hidden_size=100000000"),
        "object array": ("UnsafeModelError", "object"),
        "sampler_state.npz a FIFO": ("UnsafeModelError", "FIFO"),
    }
    assert_all_refused(results, expected)


def test_legitimate_folders_still_load(tmp_path):
    """The shipped models, a save_pretrained folder's sampler, and a Hub cache snapshot whose
    files are links to its blobs."""
    snapshot = tmp_path / "models--a--b" / "snapshots" / "0123"
    blobs = tmp_path / "models--a--b" / "blobs"
    blobs.mkdir(parents=True)
    snapshot.mkdir(parents=True)
    for file in craft.SAVED.iterdir():
        (blobs / f"blob_{file.name}").write_bytes(file.read_bytes())
        os.symlink(Path("../../blobs") / f"blob_{file.name}", snapshot / file.name)
    cases = {
        name: f"m = tfvae.hub.load_pretrained({str(craft.ROOT / 'saved_models' / name)!r})"
        for name in ("vae_fashion_mnist", "iwae_fashion_mnist", "rae_l2_fashion_mnist")
    }
    cases["hub snapshot"] = (
        f"m = tfvae.hub.load_pretrained({str(snapshot)!r}); "
        f"s = tfvae.hub.load_sampler({str(snapshot)!r}, m); s.sample(4)"
    )
    results = run_cases(tmp_path, cases, SETUP)
    for label, result in results.items():
        assert result["error"] is None, f"{label}: {result['message'][:500]}"
