"""MAFSampler and IAFSampler: a normalizing flow fitted on the latent codes."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from tfvae.flows import NormalizingFlow
from tfvae.samplers.base import NetworkSampler, TrainedSamplerConfig, register_sampler


@dataclasses.dataclass
class FlowSamplerConfig(TrainedSamplerConfig):
    """Config of :class:`MAFSampler` / :class:`IAFSampler` (Pythae's field names), plus the
    training fields of :class:`~tfvae.samplers.base.TrainedSamplerConfig`.

    Attributes:
        n_made_blocks: flow steps.
        n_hidden_in_made: hidden layers per MADE.
        hidden_size: units per hidden layer.
        include_batch_norm: batch-normalization steps between the flow steps.
    """

    n_made_blocks: int = 2
    n_hidden_in_made: int = 3
    hidden_size: int = 128
    include_batch_norm: bool = False

    def validate(self) -> None:
        super().validate()
        self.check_positive("n_made_blocks", "n_hidden_in_made", "hidden_size")


class FlowSampler(NetworkSampler):
    """Fits a :class:`~tfvae.flows.NormalizingFlow` on the codes of the training data by
    maximum likelihood, then samples codes from it and decodes them. The fitted flow is saved
    with ``save_pretrained(..., sampler=...)``."""

    config_class = FlowSamplerConfig
    network_attribute = "flow"
    kind: ClassVar[str] = "maf"

    def build_network(self, code_dim: int) -> NormalizingFlow:
        cfg = self.config
        return NormalizingFlow(
            code_dim,
            kind=self.kind,
            n_layers=cfg.n_made_blocks,
            hidden_units=[cfg.hidden_size] * cfg.n_hidden_in_made,
            seed=cfg.seed,
            batch_norm=cfg.include_batch_norm,
        )

    def sample_codes(self, n: int, seed: int = 0) -> np.ndarray:
        return np.asarray(self.flow.sample(n, seed=seed))

    def log_prob(self, codes: Any) -> np.ndarray:
        return np.asarray(self.flow.log_prob(codes))


@register_sampler("maf")
class MAFSampler(FlowSampler):
    """A masked autoregressive flow (Papamakarios et al., 2017) fitted on the codes; density
    evaluation in one pass, sampling sequential over the latent dimensions."""

    kind = "maf"


@register_sampler("iaf")
class IAFSampler(FlowSampler):
    """An inverse autoregressive flow fitted on the codes; sampling in one pass, training
    sequential over the latent dimensions (slower to fit than MAF)."""

    kind = "iaf"
