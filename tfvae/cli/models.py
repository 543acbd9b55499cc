"""``tfvae models``: the registered models."""

from __future__ import annotations

from absl import flags

from tfvae.cli.common import (
    Flags,
    print_table,
)


def define(fv: flags.FlagValues) -> None:
    pass


def run(fv: Flags) -> int:
    import tfvae
    from tfvae.models.base.config import BaseAEConfig

    base = set(BaseAEConfig.field_names())
    rows = []
    for name in tfvae.list_models():
        cls = tfvae.get_model_class(name)
        extra = [f for f in cls.config_class.field_names() if f not in base]
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append(
            (
                name,
                "yes" if cls.variational else "no",
                ", ".join(cls.loss_terms),
                ", ".join(extra) or "-",
                doc,
            )
        )
    print_table(("model", "variational", "loss terms", "config fields", "description"), rows)
    return 0
