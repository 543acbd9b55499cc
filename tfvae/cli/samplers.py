"""``tfvae samplers``: the registered samplers."""

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

    aliases = {cls: alias for alias, cls in tfvae.samplers.sampler_aliases().items()}
    rows = []
    for name in tfvae.list_samplers():
        cls = tfvae.samplers.get_sampler_class(name)
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append((aliases.get(name, "-"), name, "yes" if cls.needs_fit else "no", doc))
    print_table(("name", "class", "fitted on data", "description"), rows)
    return 0
