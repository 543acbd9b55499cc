"""``tfvae evaluate``: test NLL, FID and disentanglement scores of a trained model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from absl import flags

from tfvae.cli.common import (
    Flags,
    UsageError,
    define_guidance_flags,
    define_model_flag,
    fitted_sampler,
    held_out_images,
    load_trained,
    write_result,
)


def define(fv: flags.FlagValues) -> None:
    define_model_flag(fv)
    flags.DEFINE_enum(
        "metric",
        "nll",
        ["nll", "fid", "class_accuracy", "mig", "factor_vae", "beta_vae", "dci"],
        "What to measure: nll (importance-sampled -log p(x), nats per example; -log p(x|y) "
        "for a conditional model); fid "
        "(FID and precision/recall of --n samples from --sampler and of test "
        "reconstructions, against test images); class_accuracy (class-conditional models: "
        "the share of --n samples per class that the --features classifier labels with "
        "the requested class); or a disentanglement score (mig, "
        "factor_vae, beta_vae, dci) on a dataset with known factors (shapes, or "
        "--dsprites).",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "sampler", "normal", "fid: the sampler (see `tfvae samplers`), e.g. gmm.", flag_values=fv
    )
    flags.DEFINE_multi_string(
        "set", [], "fid: sampler config field, key=value (repeatable).", flag_values=fv
    )
    flags.DEFINE_integer(
        "n", 10000, "fid: number of samples (and at most as many test images).", flag_values=fv
    )
    flags.DEFINE_string(
        "features",
        None,
        "fid: a .keras classifier with a layer named "
        "'features' (default: the shipped Fashion-MNIST one).",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "dsprites",
        None,
        "Disentanglement metrics on the real dSprites .npz at "
        "this path instead of the procedural shapes.",
        flag_values=fv,
    )
    define_guidance_flags(fv, "class_accuracy")
    flags.DEFINE_float(
        "scale",
        1.0,
        "Disentanglement metrics: multiplies disentanglement_lib's "
        "sample sizes (e.g. 0.1 for a quick estimate).",
        flag_values=fv,
    )
    flags.DEFINE_integer("n-samples", 1000, "Importance samples per example (K).", flag_values=fv)
    flags.DEFINE_string(
        "data", None, "Data whose test split is evaluated (default: the run's).", flag_values=fv
    )
    flags.DEFINE_integer("limit", None, "Evaluate at most this many test examples.", flag_values=fv)
    flags.DEFINE_integer("batch-size", 64, "Examples per pass.", flag_values=fv)
    flags.DEFINE_bool(
        "binarize",
        False,
        "Binarise the test images once (seeded), the protocol for Bernoulli likelihoods.",
        flag_values=fv,
    )
    flags.DEFINE_integer("seed", 0, "Sampling and binarisation seed.", flag_values=fv)
    flags.DEFINE_string(
        "out", None, "JSON file for the result (default: <run>/eval_<metric>.json).", flag_values=fv
    )


def run(fv: Flags) -> int:
    import tfvae

    model_file, model, info = load_trained(fv)
    if fv.metric == "fid":
        return _evaluate_fid(fv, model_file, model, info)
    if fv.metric == "class_accuracy":
        return _evaluate_class_accuracy(fv, model_file, model, info)
    if fv.metric != "nll":
        return _evaluate_disentanglement(fv, model_file, model)
    source, x, y = held_out_images(fv, info, fv.limit)
    if fv.binarize:
        x = tfvae.data.binarize(x, seed=fv.seed)
    estimate = model.nll(
        x,
        n_samples=fv.n_samples,
        batch_size=fv.batch_size,
        seed=fv.seed,
        condition=_labels_of(model, y, source),
    )
    result = {
        "model": type(model).__name__,
        "metric": "nll",
        "conditional": model.conditional,
        "data": str(source),
        "binarized": fv.binarize,
        **estimate.to_dict(),
    }
    print(f"{type(model).__name__} test NLL: {estimate}")
    return write_result(fv, model_file, result)


def _labels_of(model: Any, y: Any, source: Any) -> Any:
    """The test labels a conditional model needs (``None`` for the others)."""
    if not model.conditional:
        return None
    if y is None:
        raise UsageError(f"{type(model).__name__} is conditional but {source} has no test labels")
    return y


def _evaluate_fid(fv: Flags, model_file: Path, model: Any, info: dict) -> int:
    import numpy as np

    from tfvae.metrics import ClassifierFeatures, fid, precision_recall

    source, real, labels = held_out_images(fv, info, fv.n)
    labels = _labels_of(model, labels, source)
    extractor = ClassifierFeatures(fv.features)
    # a conditional model generates the test images' own classes, in their proportions
    condition = None if labels is None else np.resize(labels, fv.n)
    samples = np.asarray(
        fitted_sampler(fv, model, info, model_file.parent).sample(
            fv.n, seed=fv.seed, condition=condition
        )
    )
    recon = np.concatenate(
        [
            np.asarray(
                model.reconstruct(
                    real[i : i + 500], None if labels is None else labels[i : i + 500]
                )
            )
            for i in range(0, len(real), 500)
        ]
    )
    pr = precision_recall(real, samples, extractor)
    record = {
        "model": type(model).__name__,
        "metric": "fid",
        "sampler": fv.sampler,
        "data": str(source),
        "n_samples": len(samples),
        "n_real": len(real),
        "fid_samples": fid(real, samples, extractor),
        "fid_reconstructions": fid(real, recon, extractor),
        **pr,
    }
    print(
        f"{type(model).__name__} FID samples ({fv.sampler}) {record['fid_samples']:.2f}, "
        f"reconstructions {record['fid_reconstructions']:.2f}, precision "
        f"{pr['precision']:.3f}, recall {pr['recall']:.3f}"
    )
    return write_result(fv, model_file, record)


def _evaluate_class_accuracy(fv: Flags, model_file: Path, model: Any, info: dict) -> int:
    from tfvae.metrics import ClassifierFeatures, class_accuracy

    if not model.conditional or model.config.condition != "class":
        raise UsageError(
            f"--metric class_accuracy needs a class-conditional model; {type(model).__name__} "
            "was trained without --condition class"
        )
    sampler = fitted_sampler(fv, model, info, model_file.parent)
    per_class = max(1, fv.n // int(model.config.num_classes))
    guidance = model.guidance_weight(fv.guidance)
    rescale = model.rescale_weight(fv.guidance_rescale)
    score = class_accuracy(
        sampler,
        n_per_class=per_class,
        classifier=ClassifierFeatures(fv.features),
        seed=fv.seed,
        guidance=guidance,
        consistent=fv.consistent,
        guidance_rescale=rescale,
    )
    record = {
        "model": type(model).__name__,
        "metric": "class_accuracy",
        "sampler": fv.sampler,
        "guidance": guidance,
        "guidance_rescale": rescale,
        "consistent": fv.consistent,
        "n_per_class": per_class,
        "mean": score.mean,
        "worst": score.worst,
        "per_class": {str(k): v for k, v in score.per_class.items()},
    }
    kept = ", consistent" if fv.consistent else ""
    rescaled = f", rescale {rescale:g}" if rescale else ""
    print(f"{type(model).__name__} ({fv.sampler}, guidance {guidance:g}{rescaled}{kept}): {score}")
    return write_result(fv, model_file, record)


def _evaluate_disentanglement(fv: Flags, model_file: Path, model: Any) -> int:
    from tfvae.data.shapes import DSprites, Shapes
    from tfvae.metrics import evaluate_disentanglement

    if fv.scale <= 0:
        raise UsageError(f"--scale must be positive, got {fv.scale}")
    data = DSprites(fv.dsprites) if fv.dsprites else Shapes()
    if tuple(model.input_shape_) != data.observation_shape:
        raise UsageError(
            f"{fv.metric} needs a model of {data.observation_shape} images trained on a dataset "
            f"with known factors (tfvae train --data shapes); this one takes {model.input_shape_}"
        )
    result = evaluate_disentanglement(model, data, (fv.metric,), seed=fv.seed, scale=fv.scale)
    scores = result[fv.metric]
    record = {
        "model": type(model).__name__,
        "metric": fv.metric,
        "scale": fv.scale,
        "data": "dsprites" if fv.dsprites else "shapes",
        **scores,
    }
    shown = {k: round(v, 4) for k, v in scores.items() if isinstance(v, float)}
    print(f"{type(model).__name__} {fv.metric}: {shown}")
    return write_result(fv, model_file, record)
