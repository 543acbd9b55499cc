"""Samplers: draw latent codes for a trained model and decode them."""

from tfvae.samplers.base import (
    BaseSampler,
    BaseSamplerConfig,
    NetworkSampler,
    TrainedSamplerConfig,
    build_sampler,
    get_sampler_class,
    list_samplers,
    register_sampler,
    sampler_aliases,
)
from tfvae.samplers.flows import FlowSampler, FlowSamplerConfig, IAFSampler, MAFSampler
from tfvae.samplers.gmm import GaussianMixtureSampler, GaussianMixtureSamplerConfig
from tfvae.samplers.hypersphere import HypersphereUniformSampler
from tfvae.samplers.manifold import RHVAEManifoldSampler, RHVAEManifoldSamplerConfig
from tfvae.samplers.normal import NormalSampler
from tfvae.samplers.pixelcnn import PixelCNNSampler, PixelCNNSamplerConfig
from tfvae.samplers.poincare import PoincareDiskSampler
from tfvae.samplers.two_stage import TwoStageVAESampler, TwoStageVAESamplerConfig
from tfvae.samplers.vamp import VAMPSampler

__all__ = [
    "BaseSampler",
    "BaseSamplerConfig",
    "NetworkSampler",
    "GaussianMixtureSampler",
    "GaussianMixtureSamplerConfig",
    "NormalSampler",
    "PoincareDiskSampler",
    "HypersphereUniformSampler",
    "RHVAEManifoldSampler",
    "RHVAEManifoldSamplerConfig",
    "build_sampler",
    "get_sampler_class",
    "list_samplers",
    "register_sampler",
    "sampler_aliases",
    "TrainedSamplerConfig",
    "FlowSampler",
    "FlowSamplerConfig",
    "IAFSampler",
    "MAFSampler",
    "TwoStageVAESampler",
    "TwoStageVAESamplerConfig",
    "VAMPSampler",
    "PixelCNNSampler",
    "PixelCNNSamplerConfig",
]
