from __future__ import annotations

import dataclasses

import pytest

from tfvae import BetaVAEConfig, ConfigError, TrainerConfig, VAEConfig
from tfvae.samplers import GaussianMixtureSamplerConfig


def test_round_trip_dict_and_json(tmp_path):
    cfg = BetaVAEConfig(input_shape=(28, 28, 1), latent_dim=8, beta=4, reconstruction_loss="bce")
    assert cfg.beta == 4.0 and isinstance(cfg.beta, float)
    assert BetaVAEConfig.from_dict(cfg.to_dict()) == cfg
    assert BetaVAEConfig.from_json(cfg.to_json()) == cfg
    path = tmp_path / "c.json"
    cfg.to_json(path)
    assert BetaVAEConfig.from_json(path) == cfg
    assert cfg.to_dict()["input_shape"] == [28, 28, 1]


@pytest.mark.parametrize(
    ("cls", "fields", "named"),
    [
        (VAEConfig, {"latent_dim": 0}, "VAEConfig.latent_dim"),
        (VAEConfig, {"latent_dim": -3}, "VAEConfig.latent_dim"),
        (VAEConfig, {"latent_dim": "16"}, "VAEConfig.latent_dim"),
        (VAEConfig, {"latent_dim": 2.5}, "VAEConfig.latent_dim"),
        (VAEConfig, {"latent_dim": True}, "VAEConfig.latent_dim"),
        (VAEConfig, {"reconstruction_loss": "l1"}, "VAEConfig.reconstruction_loss"),
        (VAEConfig, {"input_shape": (0, 28, 1)}, "VAEConfig.input_shape"),
        (VAEConfig, {"input_shape": (2, 28, 28, 1, 1)}, "VAEConfig.input_shape"),
        (VAEConfig, {"preprocessing": "zscore"}, "VAEConfig.preprocessing"),
        (
            VAEConfig,
            {"input_shape": (4,), "reconstruction_loss": "bce", "preprocessing": "standardize"},
            "VAEConfig.preprocessing",
        ),
        (VAEConfig, {"input_shape": (28, 28, 1), "categorical_sizes": (3,)}, "categorical_sizes"),
        (VAEConfig, {"input_shape": "28x28"}, "VAEConfig.input_shape"),
        (VAEConfig, {"seed": None}, "VAEConfig.seed"),
        (BetaVAEConfig, {"beta": -1.0}, "BetaVAEConfig.beta"),
        (BetaVAEConfig, {"beta": "big"}, "BetaVAEConfig.beta"),
        (TrainerConfig, {"epochs": 0}, "TrainerConfig.epochs"),
        (TrainerConfig, {"learning_rate": -1e-3}, "TrainerConfig.learning_rate"),
        (TrainerConfig, {"optimizer": "adamm"}, "TrainerConfig.optimizer"),
        (TrainerConfig, {"scheduler": "cosine"}, "TrainerConfig.scheduler"),
        (TrainerConfig, {"optimizer_kwargs": [1]}, "TrainerConfig.optimizer_kwargs"),
        (GaussianMixtureSamplerConfig, {"n_components": 0}, "n_components"),
        (GaussianMixtureSamplerConfig, {"covariance_type": "round"}, "covariance_type"),
    ],
)
def test_bad_field_is_named(cls, fields, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        cls(**fields)


def test_unknown_field_is_named_with_the_valid_ones():
    with pytest.raises(ConfigError, match="'latent_dimm'.*valid fields: .*latent_dim"):
        VAEConfig(latent_dimm=3)
    with pytest.raises(ConfigError, match="'betta'"):
        BetaVAEConfig.from_dict({"betta": 2.0})
    with pytest.raises(ConfigError, match="'foo'"):
        VAEConfig().replace(foo=1)


def test_replace_validates_again():
    cfg = VAEConfig(input_shape=(4,), latent_dim=2)
    assert cfg.replace(latent_dim=3).latent_dim == 3
    with pytest.raises(ConfigError, match="latent_dim"):
        cfg.replace(latent_dim=0)
    assert dataclasses.is_dataclass(cfg)


def test_from_json_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        VAEConfig.from_json(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        VAEConfig.from_json("{not json")
