"""tfvae: generative autoencoders in TensorFlow / Keras 3 / TensorFlow Probability.

The public API is re-exported here and imported lazily (PEP 562), so ``import tfvae`` and
``tfvae --help`` do not pay for importing TensorFlow until a model, a dataset or a sampler is
first used::

    import tfvae
    data = tfvae.data.load("fashion_mnist")
    model = tfvae.build_model("vae", input_shape=data.input_shape, latent_dim=16)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "cli",
    "config",
    "data",
    "errors",
    "safety",
    "distributions",
    "export",
    "flows",
    "hub",
    "metrics",
    "models",
    "nn",
    "pipelines",
    "plots",
    "samplers",
    "training",
    "workflows",
)
_EXPORTS = {
    "BaseConfig": "tfvae.config",
    "ConfigError": "tfvae.errors",
    "DataError": "tfvae.errors",
    "InconsistentSamplesError": "tfvae.errors",
    "NonFiniteLossError": "tfvae.errors",
    "TfvaeError": "tfvae.errors",
    "UnsafeFileError": "tfvae.errors",
    "UnsafeModelError": "tfvae.errors",
    "AE": "tfvae.models",
    "AEConfig": "tfvae.models",
    "AutoModel": "tfvae.models",
    "BaseAE": "tfvae.models",
    "BaseAEConfig": "tfvae.models",
    "BetaVAE": "tfvae.models",
    "BetaVAEConfig": "tfvae.models",
    "VAE": "tfvae.models",
    "Adversarial_AE_Config": "tfvae.models",
    "Adversarial_AE": "tfvae.models",
    "MSSSIM_VAE_Config": "tfvae.models",
    "MSSSIM_VAE": "tfvae.models",
    "RAE_GP_Config": "tfvae.models",
    "RAE_GP": "tfvae.models",
    "RAE_L2_Config": "tfvae.models",
    "RAE_L2": "tfvae.models",
    "PoincareVAEConfig": "tfvae.models",
    "PoincareVAE": "tfvae.models",
    "RHVAEConfig": "tfvae.models",
    "RHVAE": "tfvae.models",
    "HVAEConfig": "tfvae.models",
    "HVAE": "tfvae.models",
    "SVAEConfig": "tfvae.models",
    "SVAE": "tfvae.models",
    "HRQVAEConfig": "tfvae.models",
    "HRQVAE": "tfvae.models",
    "VQVAEConfig": "tfvae.models",
    "VQVAE": "tfvae.models",
    "VAEGANConfig": "tfvae.models",
    "VAEGAN": "tfvae.models",
    "BetaTCVAEConfig": "tfvae.models",
    "BetaTCVAE": "tfvae.models",
    "FactorVAEConfig": "tfvae.models",
    "FactorVAE": "tfvae.models",
    "DisentangledBetaVAEConfig": "tfvae.models",
    "DisentangledBetaVAE": "tfvae.models",
    "WAE_MMD_Config": "tfvae.models",
    "WAE_MMD": "tfvae.models",
    "InfoVAE_MMD_Config": "tfvae.models",
    "InfoVAE_MMD": "tfvae.models",
    "VAE_LinNF_Config": "tfvae.models",
    "VAE_LinNF": "tfvae.models",
    "VAE_IAF_Config": "tfvae.models",
    "VAE_IAF": "tfvae.models",
    "NLLEstimate": "tfvae.models",
    "VAMPConfig": "tfvae.models",
    "VAMP": "tfvae.models",
    "PIWAEConfig": "tfvae.models",
    "PIWAE": "tfvae.models",
    "MIWAEConfig": "tfvae.models",
    "MIWAE": "tfvae.models",
    "IWAEConfig": "tfvae.models",
    "IWAE": "tfvae.models",
    "CIWAEConfig": "tfvae.models",
    "CIWAE": "tfvae.models",
    "VAEConfig": "tfvae.models",
    "build_model": "tfvae.models",
    "get_model_class": "tfvae.models",
    "list_models": "tfvae.models",
    "register_model": "tfvae.models",
    "GenerationPipeline": "tfvae.pipelines",
    "TrainingPipeline": "tfvae.pipelines",
    "build_sampler": "tfvae.samplers",
    "list_samplers": "tfvae.samplers",
    "TrainerConfig": "tfvae.training",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"tfvae.{name}")
    else:
        raise AttributeError(f"module 'tfvae' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
