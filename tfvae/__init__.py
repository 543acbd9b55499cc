"""tfvae: generative autoencoders in TensorFlow / Keras 3 / TensorFlow Probability."""

import warnings

from tfvae import data, distributions, nn, pipelines, plots, samplers, training
from tfvae.config import BaseConfig, ConfigError
from tfvae.models import (
    AE,
    VAE,
    AEConfig,
    AutoModel,
    BaseAE,
    BaseAEConfig,
    BetaVAE,
    BetaVAEConfig,
    VAEConfig,
    build_model,
    get_model_class,
    list_models,
    register_model,
)
from tfvae.pipelines import GenerationPipeline, TrainingPipeline
from tfvae.samplers import build_sampler, list_samplers
from tfvae.training import TrainerConfig

__version__ = "0.1.0"

# tfvae's pipelines shuffle themselves (keyed by seed and epoch, for exact resume); Keras's
# fit(shuffle=True) default then warns on every call that it ignores the flag for datasets.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")

__all__ = [
    "AE", "AEConfig", "AutoModel", "BaseAE", "BaseAEConfig", "BaseConfig", "BetaVAE",
    "BetaVAEConfig", "ConfigError", "VAE", "VAEConfig", "build_model", "data", "distributions",
    "get_model_class", "list_models", "nn", "register_model", "GenerationPipeline",
    "TrainingPipeline", "TrainerConfig", "build_sampler", "list_samplers", "pipelines", "plots",
    "samplers", "training",
]  # fmt: skip
