"""Normalizing flows as ``tfp.bijectors.Bijector``s, each with a Keras layer that owns (trains,
saves) its parameters and rebuilds the bijector from them at every call."""

from tfvae.flows.autoregressive import IAF, MAF, IAFFlow, MAFFlow
from tfvae.flows.batch_norm import BatchNorm, BatchNormFlow
from tfvae.flows.coupling import NICE, Coupling, CouplingFlow, RealNVP, ScaleFlow
from tfvae.flows.flow import FLOW_KINDS, NormalizingFlow, chain, make_flow_layer, make_flow_layers
from tfvae.flows.made import MADE, made_masks
from tfvae.flows.planar import Planar, PlanarFlow
from tfvae.flows.radial import Radial, RadialFlow

__all__ = [
    "FLOW_KINDS",
    "BatchNorm",
    "BatchNormFlow",
    "IAF",
    "MAF",
    "MADE",
    "NICE",
    "RealNVP",
    "Coupling",
    "CouplingFlow",
    "IAFFlow",
    "MAFFlow",
    "NormalizingFlow",
    "Planar",
    "PlanarFlow",
    "Radial",
    "RadialFlow",
    "ScaleFlow",
    "chain",
    "made_masks",
    "make_flow_layer",
    "make_flow_layers",
]
