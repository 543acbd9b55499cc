"""``tfvae generate``: samples of a trained model from a sampler."""

from __future__ import annotations

from pathlib import Path

from absl import flags

from tfvae import safety
from tfvae.cli.common import (
    Flags,
    define_model_flag,
    fitted_sampler,
    load_trained,
)


def define(fv: flags.FlagValues) -> None:
    define_model_flag(fv)
    flags.DEFINE_string(
        "sampler",
        "normal",
        "Sampler name (see `tfvae samplers`), e.g. gmm; `saved`: the one shared with the model.",
        flag_values=fv,
    )
    flags.DEFINE_integer("n", 64, "Number of samples.", flag_values=fv)
    flags.DEFINE_string(
        "out", "samples.png", "PNG grid path (a .npz of all samples beside it).", flag_values=fv
    )
    flags.DEFINE_integer("seed", 0, "Sampling seed.", flag_values=fv)
    flags.DEFINE_string(
        "data", None, "Data to fit the sampler on (default: the run's data).", flag_values=fv
    )
    flags.DEFINE_integer(
        "limit", None, "Fit the sampler on at most this many images.", flag_values=fv
    )
    flags.DEFINE_multi_string(
        "set",
        [],
        "Sampler config field, key=value (repeatable), e.g. --set n_components=20.",
        flag_values=fv,
    )


def run(fv: Flags) -> int:
    import numpy as np

    from tfvae.plots import save_image_grid

    model_file, model, info = load_trained(fv)
    sampler = fitted_sampler(fv, model, info, model_file.parent, fv.limit)
    samples = sampler.sample(fv.n, seed=fv.seed)
    out = Path(fv.out)
    with safety.safe_output(out.with_suffix(".npz")) as tmp:  # never through a link
        np.savez_compressed(tmp, samples=samples)
    if samples.ndim == 4:
        save_image_grid(samples[:100], out)
        print(f"wrote {out} ({min(fv.n, 100)} of {fv.n} samples) and {out.with_suffix('.npz')}")
    else:
        print(f"wrote {out.with_suffix('.npz')} ({fv.n} samples)")
    return 0
