"""Models: one module per model (its config beside it), all on :class:`BaseAE`."""

from tfvae.models.adversarial_ae import Adversarial_AE, Adversarial_AE_Config
from tfvae.models.ae import AE, AEConfig
from tfvae.models.base.auto_model import AutoModel
from tfvae.models.base.config import BaseAEConfig
from tfvae.models.base.importance import NLLEstimate, estimate_nll, log_mean_exp
from tfvae.models.base.model import BaseAE
from tfvae.models.base.registry import build_model, get_model_class, list_models, register_model
from tfvae.models.beta_tc_vae import BetaTCVAE, BetaTCVAEConfig
from tfvae.models.beta_vae import BetaVAE, BetaVAEConfig
from tfvae.models.ciwae import CIWAE, CIWAEConfig
from tfvae.models.disentangled_beta_vae import DisentangledBetaVAE, DisentangledBetaVAEConfig
from tfvae.models.factor_vae import FactorVAE, FactorVAEConfig
from tfvae.models.hrq_vae import HRQVAE, HRQVAEConfig
from tfvae.models.hvae import HVAE, HVAEConfig
from tfvae.models.info_vae import InfoVAE_MMD, InfoVAE_MMD_Config
from tfvae.models.iwae import IWAE, IWAEConfig
from tfvae.models.ladder_vae import LadderVAE, LadderVAEConfig
from tfvae.models.miwae import MIWAE, MIWAEConfig
from tfvae.models.msssim_vae import MSSSIM_VAE, MSSSIM_VAE_Config
from tfvae.models.nvae import NVAE, NVAEConfig
from tfvae.models.piwae import PIWAE, PIWAEConfig
from tfvae.models.poincare_vae import PoincareVAE, PoincareVAEConfig
from tfvae.models.rae_gp import RAE_GP, RAE_GP_Config
from tfvae.models.rae_l2 import RAE_L2, RAE_L2_Config
from tfvae.models.rhvae import RHVAE, RHVAEConfig
from tfvae.models.svae import SVAE, SVAEConfig
from tfvae.models.vae import VAE, VAEConfig
from tfvae.models.vae_gan import VAEGAN, VAEGANConfig
from tfvae.models.vae_iaf import VAE_IAF, VAE_IAF_Config
from tfvae.models.vae_lin_nf import VAE_LinNF, VAE_LinNF_Config
from tfvae.models.vamp import VAMP, VAMPConfig
from tfvae.models.vq_vae import VQVAE, VQVAEConfig
from tfvae.models.wae_mmd import WAE_MMD, WAE_MMD_Config

__all__ = [
    "AE",
    "AEConfig",
    "LadderVAE",
    "LadderVAEConfig",
    "NVAE",
    "NVAEConfig",
    "PoincareVAE",
    "PoincareVAEConfig",
    "RHVAE",
    "RHVAEConfig",
    "HVAE",
    "HVAEConfig",
    "SVAE",
    "SVAEConfig",
    "HRQVAE",
    "HRQVAEConfig",
    "VQVAE",
    "VQVAEConfig",
    "VAEGAN",
    "VAEGANConfig",
    "Adversarial_AE",
    "Adversarial_AE_Config",
    "MSSSIM_VAE",
    "MSSSIM_VAE_Config",
    "RAE_GP",
    "RAE_GP_Config",
    "RAE_L2",
    "RAE_L2_Config",
    "BetaTCVAE",
    "BetaTCVAEConfig",
    "FactorVAE",
    "FactorVAEConfig",
    "AutoModel",
    "BaseAE",
    "BaseAEConfig",
    "BetaVAE",
    "BetaVAEConfig",
    "VAE",
    "VAEConfig",
    "build_model",
    "CIWAE",
    "CIWAEConfig",
    "IWAE",
    "IWAEConfig",
    "MIWAE",
    "MIWAEConfig",
    "NLLEstimate",
    "PIWAE",
    "PIWAEConfig",
    "VAMP",
    "VAMPConfig",
    "estimate_nll",
    "log_mean_exp",
    "DisentangledBetaVAE",
    "DisentangledBetaVAEConfig",
    "InfoVAE_MMD",
    "InfoVAE_MMD_Config",
    "WAE_MMD",
    "WAE_MMD_Config",
    "VAE_IAF",
    "VAE_IAF_Config",
    "VAE_LinNF",
    "VAE_LinNF_Config",
    "get_model_class",
    "list_models",
    "register_model",
]
