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
from tfvae.nn.conv_nd import ConvNDDecoder, ConvNDEncoder, conv_nd_networks
from tfvae.nn.hierarchical import HierarchicalDecoder, HierarchicalEncoder
from tfvae.nn.hyperbolic import Gyroplane, GyroplaneMLPDecoder
from tfvae.nn.metric import MLPMetric
from tfvae.nn.mlp import MLPDecoder, MLPDiscriminator, MLPEncoder
from tfvae.nn.quantizer import (
    FiniteScalarQuantizer,
    HierarchicalResidualQuantizer,
    VectorQuantizer,
)
from tfvae.nn.spatial import SpatialConvDecoder, SpatialConvEncoder


def default_networks(
    input_shape: Sequence[int],
    latent_dim: int,
    variational: bool = True,
    output_activation: str = "sigmoid",
    scale_head: bool = False,
) -> tuple[MLPEncoder, MLPDecoder]:
    """Pythae's default networks for any input shape: one hidden layer of 512 units.

    Args:
        input_shape: shape of one example, e.g. ``(28, 28, 1)``.
        latent_dim: D.
        variational: the encoder also outputs ``log_covariance``.
        output_activation: ``"linear"`` for Bernoulli logits, ``"sigmoid"`` for Gaussian means.
        scale_head: the decoder also returns ``log_scale`` (per-example scales).
    """
    encoder = MLPEncoder(latent_dim, variational=variational, name="encoder")
    decoder = MLPDecoder(
        tuple(input_shape),
        output_activation=output_activation,
        scale_head=scale_head,
        name="decoder",
    )
    return encoder, decoder


NETWORK_KINDS = ("mlp", "conv", "resnet")
_PRESETS = {
    ("conv", 28): (ConvEncoder28, ConvDecoder28),
    ("conv", 32): (ConvEncoder32, ConvDecoder32),
    ("conv", 64): (ConvEncoder64, ConvDecoder64),
    ("resnet", 28): (ResNetEncoder28, ResNetDecoder28),
    ("resnet", 32): (ResNetEncoder32, ResNetDecoder32),
    ("resnet", 64): (ResNetEncoder64, ResNetDecoder64),
}


def benchmark_networks(
    kind: str,
    input_shape: Sequence[int],
    latent_dim: int,
    variational: bool = True,
    output_activation: str = "sigmoid",
    width: int | None = None,
    scale_head: bool = False,
) -> tuple[Network, Network]:
    """The benchmark encoder/decoder pair of ``kind`` (``mlp``, ``conv``, ``resnet``) for
    examples of ``input_shape``, by rank:

    - vectors ``(D,)``: ``mlp`` only (Pythae's one hidden layer of 512 units);
    - sequences ``(T, C)``: Conv1D presets (:func:`tfvae.nn.conv_nd.conv_nd_networks`), any
      length (the decoder crops);
    - images ``(H, W, C)``: Pythae's 28x28, 32x32 and 64x64 presets, any channel count;
    - volumes ``(D, H, W, C)``: Conv3D presets (32^3: three stride-2 blocks, 64^3: four),
      any size.

    ``resnet`` adds residual blocks to the conv presets. ``mlp`` works for every rank.

    Args:
        width: channel multiplier of conv/resnet nets (Pythae: 128 conv, 64 resnet), hidden
            units of the MLP (Pythae: 512).
        scale_head: the decoder also returns ``log_scale`` (``"gaussian_heteroscedastic"``):
            the MLP and the sequence/volume presets; Pythae's 2-D presets have none.
    """
    if kind == "mlp":
        hidden = (width or 512,)
        return (
            MLPEncoder(latent_dim, hidden=hidden, variational=variational, name="encoder"),
            MLPDecoder(
                tuple(input_shape),
                hidden=hidden,
                output_activation=output_activation,
                scale_head=scale_head,
                name="decoder",
            ),
        )
    if kind not in NETWORK_KINDS:
        raise ValueError(f"unknown network kind {kind!r}; expected one of {NETWORK_KINDS}")
    shape = tuple(input_shape)
    if len(shape) == 1:
        raise ValueError(
            f"no {kind} benchmark network for vectors {shape}: use kind='mlp' (or your own)"
        )
    if len(shape) in (2, 4):
        return conv_nd_networks(
            shape,
            latent_dim,
            variational=variational,
            output_activation=output_activation,
            width=width,
            residual=kind == "resnet",
            scale_head=scale_head,
        )
    if len(shape) != 3 or shape[0] != shape[1] or (kind, shape[0]) not in _PRESETS:
        raise ValueError(
            f"no {kind} benchmark network for input shape {shape}; available: 28x28, 32x32, "
            "64x64 images (use kind='mlp' for other shapes, or pass your own networks)"
        )
    if scale_head:
        raise ValueError(
            f"the {kind} presets for {shape[0]}x{shape[0]} images have no log_scale head; use "
            "networks='mlp', reconstruction_loss='gaussian_learned', or your own decoder"
        )
    enc_cls, dec_cls = _PRESETS[(kind, shape[0])]
    knobs = {} if width is None else {"width": width}
    encoder = enc_cls(latent_dim, variational=variational, name="encoder", **knobs)
    decoder = dec_cls(
        latent_dim, channels=shape[2], output_activation=output_activation, name="decoder", **knobs
    )
    return encoder, decoder


__all__ = [
    "NETWORK_KINDS",
    "benchmark_networks",
    "HierarchicalDecoder",
    "HierarchicalEncoder",
    "ConvDecoder",
    "ConvDecoder28",
    "ConvDecoder32",
    "ConvDecoder64",
    "ConvEncoder",
    "ConvEncoder28",
    "ConvEncoder32",
    "ConvEncoder64",
    "ConvNDDecoder",
    "ConvNDEncoder",
    "conv_nd_networks",
    "MLPMetric",
    "Gyroplane",
    "GyroplaneMLPDecoder",
    "MLPDecoder",
    "MLPDiscriminator",
    "MLPEncoder",
    "Network",
    "ResBlock",
    "ResNetDecoder28",
    "ResNetDecoder32",
    "ResNetDecoder64",
    "ResNetEncoder28",
    "ResNetEncoder32",
    "ResNetEncoder64",
    "default_networks",
    "SpatialConvDecoder",
    "SpatialConvEncoder",
    "VectorQuantizer",
    "FiniteScalarQuantizer",
    "HierarchicalResidualQuantizer",
]
