"""Property tests of the parsers: any JSON value (or any bytes) gives a result or a named
tfvae error, never another exception."""

from __future__ import annotations

import io
import json
import pickle
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tfvae
from tests.security import craft
from tfvae import safety
from tfvae.errors import TfvaeError
from tfvae.samplers.io import read_sampler_meta

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
#: dicts whose keys are real field names, so values reach the type checks
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "input_shape",
            "latent_dim",
            "beta",
            "reconstruction_loss",
            "seed",
            "n_components",
            "covariance_type",
            "max_iter",
            "epochs",
            "hidden_size",
            "learning_rate",
            "verbose",
        ]
    ),
    JSON,
    max_size=5,
)
CONFIGS = [
    tfvae.VAEConfig,
    tfvae.BetaVAEConfig,
    tfvae.samplers.GaussianMixtureSamplerConfig,
    tfvae.samplers.flows.FlowSamplerConfig,
    tfvae.TrainerConfig,
]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _known_fields(cls: type, values: dict) -> dict:
    return {k: v for k, v in values.items() if k in cls.field_names()}


@FAST
@given(value=JSON | FIELDS, which=st.integers(0, len(CONFIGS) - 1))
def test_any_json_gives_a_config_or_a_config_error(value, which):
    cls = CONFIGS[which]
    for candidate in (value, _known_fields(cls, value) if isinstance(value, dict) else value):
        try:
            config = cls.from_dict(candidate)
        except tfvae.ConfigError:
            continue
        assert isinstance(config, cls)
        assert cls.from_dict(config.to_dict()) == config  # what was accepted round-trips


@FAST
@given(value=JSON | st.fixed_dictionaries({"sampler": st.text(max_size=8), "config": JSON}))
def test_any_sampler_json_gives_its_meta_or_a_config_error(value):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "sampler.json").write_text(json.dumps(value))
        try:
            meta = read_sampler_meta(tmp)
        except tfvae.ConfigError:
            return
        assert isinstance(meta["sampler"], str) and isinstance(meta["config"], dict)


@FAST
@given(data=st.binary(max_size=600) | st.text(max_size=200).map(str.encode))
def test_any_bytes_parse_as_json_or_give_a_named_error(data):
    try:
        safety.parse_json(data, "doc", expect=None)
    except TfvaeError:
        pass


@FAST
@given(tail=st.binary(max_size=400), head=st.sampled_from([b"", b"PK\x03\x04", b"\x93NUMPY"]))
def test_any_bytes_as_a_sampler_state_give_arrays_or_a_named_error(head, tail):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sampler_state.npz"
        path.write_bytes(head + tail)
        try:
            safety.read_npz(path)
        except TfvaeError:
            pass


#: the DOS time 05:48:20 is the bytes ``0a 2e``: after ``PK`` (PERSID) they read ``\n.`` (STOP)
PERSID_STOP_TIME = (2026, 12, 7, 5, 48, 20)


@FAST
@given(
    when=st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2107, 12, 31)),
    data=st.binary(max_size=64),
)
@example(when=datetime(*PERSID_STOP_TIME), data=b"{}")
def test_zips_and_npys_written_at_any_time_are_no_pickles(when, data):
    """A zip's header holds its DOS time; no time of day may make it read as a pickle."""
    stamp = when.timetuple()[:6]
    archive = craft.write_zip(io.BytesIO(), {"config.json": data}, date_time=stamp)
    assert not safety.looks_like_pickle(archive.getvalue())
    npy = io.BytesIO()
    np.save(npy, np.frombuffer(data[: len(data) // 4 * 4], np.float32))
    assert not safety.looks_like_pickle(npy.getvalue())
    for protocol in range(6):  # while the pickles themselves are still recognised
        assert safety.looks_like_pickle(pickle.dumps({"a": data, "t": when}, protocol=protocol))


def test_the_shipped_model_saved_at_the_persid_stop_time_is_safe_to_load(tmp_path):
    """The shipped folder, its archives rewritten at 05:48:20, passes the safety checks."""
    folder = craft.legit_folder(tmp_path / "model")
    for name in ("model.keras", "sampler_state.npz"):
        members = craft.keras_members(folder / name)
        craft.write_zip(folder / name, members, date_time=PERSID_STOP_TIME)
    assert (folder / "model.keras").read_bytes()[10:12] == b"\n."
    safety.check_safe_to_load(folder)
