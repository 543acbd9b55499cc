"""``tfvae generate``: samples of a trained model from a sampler."""

from __future__ import annotations

from pathlib import Path

from absl import flags

from tfvae import safety
from tfvae.cli.common import (
    Flags,
    define_guidance_flags,
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
        "out",
        "samples.png",
        "Output: .png (a picture for the data's kind, with a .npz of all samples beside it), "
        ".npz, .npy, .csv or .parquet (tables: the original columns), or .nii.gz / .nii "
        "(volumes: one file per sample, numbered).",
        flag_values=fv,
    )
    flags.DEFINE_integer("seed", 0, "Sampling seed.", flag_values=fv)
    flags.DEFINE_list(
        "condition",
        None,
        "Class-conditional models: the class to generate (e.g. 3), or a list of classes "
        "(e.g. 0,1,2: --n samples of each, in that order).",
        flag_values=fv,
    )
    define_guidance_flags(fv, "Class-conditional models")
    flags.DEFINE_bool(
        "noise",
        None,
        "Draw x ~ p(x|z) instead of the decoder's mean (default: on for tables, off otherwise).",
        flag_values=fv,
    )
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

    model_file, model, info = load_trained(fv)
    sampler = fitted_sampler(fv, model, info, model_file.parent, fv.limit)
    noise = fv.noise if fv.noise is not None else bool(model.config.table_schema)
    condition = requested_classes(fv.condition, model, fv.n)
    n = fv.n if condition is None else len(condition)
    samples = np.asarray(
        sampler.sample(
            n,
            seed=fv.seed,
            noise=noise,
            condition=condition,
            guidance=fv.guidance,
            consistent=fv.consistent,
            guidance_rescale=fv.guidance_rescale,
        )
    )
    out = Path(fv.out)
    for line in write_samples(samples, out, model, fv.seed):
        print(line)
    return 0


def requested_classes(values: list[str] | None, model: object, n: int) -> object:
    """``--condition K[,K...]`` as labels ``[len * n]`` (``n`` of each class, in order), or
    ``None`` without the flag; refused for a model without a class condition."""
    import numpy as np

    from tfvae.cli.common import UsageError

    if not values:
        if model.conditional:
            raise UsageError(
                f"{type(model).__name__} is class-conditional: pass --condition K (the class "
                f"to generate, 0..{model.config.num_classes - 1}) or a list of classes"
            )
        return None
    if not model.conditional or model.config.condition != "class":
        raise UsageError(f"--condition: {type(model).__name__} was not trained with classes")
    try:
        classes = [int(v) for v in values]
    except ValueError as err:
        raise UsageError(f"--condition takes class numbers, got {values}") from err
    return np.repeat(np.asarray(classes), n)


def write_samples(samples: object, out: Path, model: object, seed: int = 0) -> list[str]:
    """Write generated ``samples [n, *input_shape]`` in the format ``out``'s suffix names;
    returns what was written, one line each. Nothing is written through a link."""
    import numpy as np

    from tfvae.cli.common import UsageError
    from tfvae.data import to_frame, write_nifti
    from tfvae.data.tables import require_pandas
    from tfvae.plots import example_picture

    samples = np.asarray(samples)
    name = out.name.lower()
    if name.endswith((".nii", ".nii.gz")):
        if samples.ndim != 5:
            raise UsageError(f"--out {out}: NIfTI holds volumes; these samples are {samples.shape}")
        suffix = ".nii.gz" if name.endswith(".gz") else ".nii"
        stem = out.name[: -len(suffix)]
        for i, volume in enumerate(samples):
            write_nifti(volume, out.with_name(f"{stem}_{i:03d}{suffix}"))
        return [f"wrote {len(samples)} volumes {out.with_name(f'{stem}_000{suffix}')} ..."]
    if name.endswith((".csv", ".parquet")):
        if samples.ndim != 2:
            raise UsageError(f"--out {out}: tables hold vectors; these samples are {samples.shape}")
        if getattr(model.config, "table_schema", None):
            frame = to_frame(model, samples, sample=True, seed=seed)
        else:
            frame = require_pandas().DataFrame(
                samples, columns=[f"x{i}" for i in range(samples.shape[1])]
            )
        with safety.safe_output(out) as tmp:
            frame.to_csv(tmp, index=False) if name.endswith(".csv") else frame.to_parquet(tmp)
        return [f"wrote {out} ({len(frame)} rows, columns {list(frame.columns)[:8]})"]
    if name.endswith(".npy"):
        with safety.safe_output(out) as tmp:
            np.save(tmp, samples, allow_pickle=False)
        return [f"wrote {out} ({samples.shape})"]
    archive = out.with_suffix(".npz")
    with safety.safe_output(archive) as tmp:  # never through a link
        np.savez_compressed(tmp, samples=samples)
    if name.endswith(".npz"):
        return [f"wrote {archive} ({len(samples)} samples)"]
    shown = {2: 8, 3: 100, 4: 4}.get(samples.ndim - 1, len(samples))
    example_picture(samples[:shown], None, out)
    return [f"wrote {out} ({min(len(samples), shown)} of {len(samples)} samples) and {archive}"]
