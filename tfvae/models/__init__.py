"""Models: one module per model (its config beside it), all on :class:`BaseAE`."""

from tfvae.models.ae import AE, AEConfig
from tfvae.models.auto_model import AutoModel
from tfvae.models.base import BaseAE
from tfvae.models.beta_vae import BetaVAE, BetaVAEConfig
from tfvae.models.config import BaseAEConfig
from tfvae.models.registry import build_model, get_model_class, list_models, register_model
from tfvae.models.vae import VAE, VAEConfig

__all__ = [
    "AE", "AEConfig", "AutoModel", "BaseAE", "BaseAEConfig", "BetaVAE", "BetaVAEConfig", "VAE",
    "VAEConfig", "build_model", "get_model_class", "list_models", "register_model",
]  # fmt: skip
