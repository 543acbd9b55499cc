"""The networks of :class:`~tfvae.models.NVAE`: a bottom-up residual encoder with one feature
map per latent group, and the output head of the top-down path; any spatial rank 1-3.

Grids: the data's spatial shape, halved ``num_preprocess + num_scales`` times ("same"
padding, so ``ceil(n / 2)`` per halving: any length works). Latent groups sit on the last
``num_scales`` grids, the coarsest first; ``groups_per_scale`` per grid. ``num_preprocess``
halvings come before the finest latent grid (NVAE's preprocessing cells: its MNIST model puts
no latents above 8x8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras

from tfvae.nn.base import (
    ACTIVATIONS,
    Network,
    check_non_negative_int,
    check_positive_int,
    float32,
)
from tfvae.nn.blocks import ResBlock
from tfvae.nn.conv_nd import CONV_BY_RANK, DECONV_BY_RANK, _spatial_rank


def scale_grids(spatial: Sequence[int], num_scales: int) -> list[tuple[int, ...]]:
    """``[data grid, grid / 2, ..., grid / 2^num_scales]`` (ceil per halving)."""
    grids = [tuple(int(s) for s in spatial)]
    for _ in range(num_scales):
        grids.append(tuple(math.ceil(s / 2) for s in grids[-1]))
    return grids


def crop(h: Any, grid: Sequence[int]) -> Any:
    """``h: [B, *spatial, C]`` cropped to ``grid`` (what a stride-2 transpose overshoots)."""
    return h[(slice(None), *(slice(0, int(s)) for s in grid))]


@keras.saving.register_keras_serializable(package="tfvae")
class HierarchicalEncoder(Network):
    """Bottom-up path: a kernel-3 stem, ``num_preprocess`` stride-2 convolutions each followed
    by a residual cell (the preprocessing), then per scale a stride-2 convolution (Swish) and
    ``groups_per_scale`` residual cells; each of those cells' outputs is the evidence of one
    group.

    Input ``[B, *data_shape]``; output ``{"evidence_i": [B, *grid, channels]}`` for the
    groups ``i = 0 .. L-1`` top first (``evidence_0``: the last cell of the coarsest scale).
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        channels: int = 32,
        num_scales: int = 2,
        groups_per_scale: int = 2,
        num_preprocess: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        rank = _spatial_rank(type(self).__name__, data_shape)
        for name, value in (
            ("channels", channels),
            ("num_scales", num_scales),
            ("groups_per_scale", groups_per_scale),
        ):
            check_positive_int(type(self).__name__, name, value)
        check_non_negative_int(type(self).__name__, "num_preprocess", num_preprocess)
        self._remember(
            data_shape=list(data_shape),
            channels=channels,
            num_scales=num_scales,
            groups_per_scale=groups_per_scale,
            num_preprocess=num_preprocess,
        )
        conv = CONV_BY_RANK[rank]
        self.num_scales, self.groups_per_scale = num_scales, groups_per_scale
        self.stem = conv(channels, 3, padding="same", name="stem")
        self.preprocess = [
            (
                conv(channels, 3, strides=2, padding="same", name=f"preprocess_{p}"),
                ResBlock(channels, channels, rank=rank),
            )
            for p in range(num_preprocess)
        ]
        self.down = [
            conv(channels, 3, strides=2, padding="same", name=f"down_{s}")
            for s in range(num_scales)
        ]
        self.cells = [
            [ResBlock(channels, channels, rank=rank) for _ in range(groups_per_scale)]
            for _ in range(num_scales)
        ]

    def call(self, x: Any, training: bool = False) -> dict[str, Any]:
        h = self.stem(x)
        for down, cell in self.preprocess:
            h = cell(keras.ops.silu(down(h)))
        per_scale = []  # finest first
        for down, cells in zip(self.down, self.cells, strict=True):
            h = keras.ops.silu(down(h))
            feats = []
            for cell in cells:
                h = cell(h)
                feats.append(h)
            per_scale.append(feats)
        out = {}
        i = 0
        for feats in reversed(per_scale):  # coarsest scale first; its deepest cell on top
            for h in reversed(feats):
                out[f"evidence_{i}"] = float32(h)
                i += 1
        return out


@keras.saving.register_keras_serializable(package="tfvae")
class HierarchicalDecoder(Network):
    """Output head of the top-down path: ``1 + num_preprocess`` stride-2 transposed
    convolutions, each cropped to the next finer grid and followed by a residual cell, from
    the finest latent grid to the data's grid, then a kernel-3 convolution to the data's
    channels (and ``log_scale`` with ``scale_head``).

    Input ``[B, *grid_{1 + num_preprocess}, C]`` (the top-down state); output
    ``{"reconstruction": [B, *data_shape](, "log_scale": ...)}``.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        channels: int = 32,
        output_activation: str = "linear",
        scale_head: bool = False,
        num_preprocess: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        rank = _spatial_rank(type(self).__name__, data_shape)
        check_positive_int(type(self).__name__, "channels", channels)
        check_non_negative_int(type(self).__name__, "num_preprocess", num_preprocess)
        if output_activation not in ACTIVATIONS:
            raise ValueError(
                f"{type(self).__name__}: output_activation must be one of {ACTIVATIONS}. "
                f"Received: output_activation={output_activation!r}"
            )
        self._remember(
            data_shape=list(data_shape),
            channels=channels,
            output_activation=output_activation,
            scale_head=scale_head,
            num_preprocess=num_preprocess,
        )
        self.data_shape = tuple(int(d) for d in data_shape)
        deconv = DECONV_BY_RANK[rank]
        # the grids halved num_preprocess - 1 .. 1 times, then the data's: where each up lands
        self.grids = scale_grids(self.data_shape[:-1], num_preprocess)[::-1]
        self.post_ups = [
            deconv(channels, 3, strides=2, padding="same", name=f"postprocess_{p}")
            for p in range(num_preprocess)
        ]
        self.post_cells = [ResBlock(channels, channels, rank=rank) for _ in self.post_ups]
        self.up = deconv(channels, 3, strides=2, padding="same", name="up")
        self.cell = ResBlock(channels, channels, rank=rank)
        conv = CONV_BY_RANK[rank]
        self.out = conv(self.data_shape[-1], 3, padding="same", activation=output_activation)
        self.scale = conv(self.data_shape[-1], 3, padding="same") if scale_head else None

    def call(self, h: Any, training: bool = False) -> dict[str, Any]:
        ups = [*self.post_ups, self.up]
        for up, cell, grid in zip(ups, [*self.post_cells, self.cell], self.grids, strict=True):
            h = cell(crop(keras.ops.silu(up(h)), grid))
        h = keras.ops.silu(h)
        out = {"reconstruction": float32(self.out(h))}
        if self.scale is not None:
            out["log_scale"] = float32(self.scale(h))
        return out
