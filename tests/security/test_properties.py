"""Property tests of the parsers: any JSON value (or any bytes) gives a result or a named
tfvae error, never another exception."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tfvae
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
