"""``tfvae augment``: does synthetic data help a classifier trained on few labelled images?"""

from __future__ import annotations

from absl import flags

from tfvae.cli.common import (
    Flags,
    UsageError,
    parse_fields,
)


def define(fv: flags.FlagValues) -> None:
    flags.DEFINE_string(
        "data",
        "fashion_mnist",
        "Labelled data with a test split: a name or an image folder with one sub-folder per class.",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "model", "vae", "The generative model (one per class, or --conditional).", flag_values=fv
    )
    flags.DEFINE_integer(
        "per-class", 50, "Real labelled training images per class.", flag_values=fv
    )
    flags.DEFINE_list(
        "synthetic",
        ["500", "2000", "5000"],
        "Synthetic images per class, one row each (comma-separated).",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "seeds", 3, "Repetitions (own labelled subset and models each).", flag_values=fv
    )
    flags.DEFINE_list("classes", None, "Only these class labels (e.g. 0,6).", flag_values=fv)
    flags.DEFINE_integer("epochs", 300, "Training epochs of each generative model.", flag_values=fv)
    flags.DEFINE_integer("latent-dim", 16, "Latent dimension.", flag_values=fv)
    flags.DEFINE_enum(
        "net", "mlp", ["mlp", "conv", "resnet"], "Generative model networks.", flag_values=fv
    )
    flags.DEFINE_integer("width", None, "Network width (hidden units or channels).", flag_values=fv)
    flags.DEFINE_string("sampler", "normal", "How synthetic codes are drawn.", flag_values=fv)
    flags.DEFINE_integer(
        "classifier-steps", 600, "Gradient steps of each classifier.", flag_values=fv
    )
    flags.DEFINE_integer(
        "test-limit", None, "Score on at most this many test images.", flag_values=fv
    )
    flags.DEFINE_multi_string(
        "set", [], "Model config field, key=value (repeatable).", flag_values=fv
    )
    flags.DEFINE_bool(
        "conditional",
        False,
        "One class-conditional model on all labelled images instead of one model per class.",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "out",
        "runs/augment",
        "Folder for augment.md/.csv, runs.json and synthetic_samples.png.",
        flag_values=fv,
    )


def run(fv: Flags) -> int:
    from tfvae.workflows import AugmentConfig, augment

    try:
        synthetic = [int(n) for n in fv.synthetic]
        classes = None if fv.classes is None else [int(c) for c in fv.classes]
    except ValueError as err:
        raise UsageError(
            f"--synthetic and --classes take comma-separated integers ({err})"
        ) from err
    config = AugmentConfig(
        model=fv.model,
        per_class=fv.per_class,
        synthetic=synthetic,
        seeds=fv.seeds,
        classes=classes,
        latent_dim=fv.latent_dim,
        net=fv.net,
        width=fv.width,
        epochs=fv.epochs,
        sampler=fv.sampler,
        classifier_steps=fv.classifier_steps,
        test_limit=fv.test_limit,
        model_fields=parse_fields(fv.set, "set"),
        conditional=fv.conditional,
    )
    result = augment(fv.data, config, out=fv.out)
    print(result.markdown())
    print(f"wrote {fv.out}/augment.md, augment.csv, runs.json, synthetic_samples.png")
    return 0
