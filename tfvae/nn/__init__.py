"""Networks: the encoder/decoder contract and Pythae's benchmark architectures."""

from __future__ import annotations

from collections.abc import Sequence

from tfvae.nn.base import Network
from tfvae.nn.blocks import ResBlock
from tfvae.nn.conv import (
    ConvDecoder,
    ConvDecoder28,
    ConvDecoder32,
    ConvDecoder64,
    ConvEncoder,
    ConvEncoder28,
    ConvEncoder32,
    ConvEncoder64,
    ResNetDecoder28,
    ResNetDecoder32,
    ResNetDecoder64,
    ResNetEncoder28,
    ResNetEncoder32,
    ResNetEncoder64,
)
from tfvae.nn.mlp import MLPDecoder, MLPEncoder


def default_networks(
    input_shape: Sequence[int],
    latent_dim: int,
    variational: bool = True,
    output_activation: str = "sigmoid",
) -> tuple[MLPEncoder, MLPDecoder]:
    """Pythae's default networks for any input shape: one hidden layer of 512 units.

    Args:
        input_shape: shape of one example, e.g. ``(28, 28, 1)``.
        latent_dim: D.
        variational: the encoder also outputs ``log_covariance``.
        output_activation: ``"linear"`` for Bernoulli logits, ``"sigmoid"`` for Gaussian means.
    """
    encoder = MLPEncoder(latent_dim, variational=variational, name="encoder")
    decoder = MLPDecoder(tuple(input_shape), output_activation=output_activation, name="decoder")
    return encoder, decoder


__all__ = [
    "ConvDecoder", "ConvDecoder28", "ConvDecoder32", "ConvDecoder64", "ConvEncoder",
    "ConvEncoder28", "ConvEncoder32", "ConvEncoder64", "MLPDecoder", "MLPEncoder", "Network",
    "ResBlock", "ResNetDecoder28", "ResNetDecoder32", "ResNetDecoder64", "ResNetEncoder28",
    "ResNetEncoder32", "ResNetEncoder64", "default_networks",
]  # fmt: skip
