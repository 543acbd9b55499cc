"""VAE_LinNF: a VAE whose posterior sample goes through planar / radial flows
(Rezende & Mohamed, 2015)."""

from __future__ import annotations

import dataclasses

from tfvae.flows import make_flow_layer
from tfvae.models.base.flow_vae import FlowPosteriorVAE
from tfvae.models.base.registry import register_model
from tfvae.models.vae import VAEConfig


@dataclasses.dataclass
class VAE_LinNF_Config(VAEConfig):  # noqa: N801 (Pythae's name)
    """Config of :class:`VAE_LinNF`.

    Attributes:
        flows: the flow sequence applied to the posterior sample, each ``"Planar"`` or
            ``"Radial"`` (case-insensitive; Pythae's default: two planar flows).
    """

    flows: list[str] = dataclasses.field(default_factory=lambda: ["Planar", "Planar"])

    def validate(self) -> None:
        super().validate()
        self.check("flows", len(self.flows) > 0, "a non-empty list")
        for name in self.flows:
            self.check(
                "flows", name.lower() in ("planar", "radial"), "a list of 'Planar' / 'Radial'"
            )


@register_model
class VAE_LinNF(FlowPosteriorVAE):  # noqa: N801 (Pythae's name)
    """``z_K = f_K o ... o f_1(z_0)``, ``z_0 ~ q_0(z|x)``, planar/radial flows with global
    (not amortised) parameters, as in Pythae;
    ``loss = recon(x, dec(z_K)) + log q_0(z_0|x) - sum_k log|det J_k| - log p(z_K)``.

    Example:
        >>> VAE_LinNF(VAE_LinNF_Config(input_shape=(28, 28, 1), latent_dim=16,
        ...                            flows=["Planar", "Radial", "Planar"]))
    """

    config_class = VAE_LinNF_Config

    def make_layers(self) -> None:
        self.flows = [
            make_flow_layer(kind, self.latent_dim, i) for i, kind in enumerate(self.config.flows)
        ]
