"""The ``tfvae`` command line: ``train``, ``generate``, ``models``, ``samplers``.

Each command has its own flags (absl) and ``--help``::

    tfvae train --model vae --data fashion_mnist --epochs 5 --out runs/vae
    tfvae generate --model runs/vae --sampler gmm --n 64 --out samples.png
    tfvae models
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from absl import flags

from tfvae import safety  # no TensorFlow: `tfvae --help` stays fast

USAGE = """usage: tfvae <command> [flags]

commands:
  train      train a model (progress bar, TensorBoard logs, checkpoints, resume)
  generate   generate images from a trained model with a sampler
  evaluate   evaluate a trained model (importance-sampled test NLL)
  export     export a trained model (SavedModel for TF Serving, TFLite)
  augment    does synthetic data help a classifier trained on few labelled images?
  benchmark  train every model the same way and compare them (table + figure)
  models     list the available models
  samplers   list the available samplers

`tfvae <command> --help` lists the flags of a command."""


class UsageError(Exception):
    """Bad command-line usage (exit status 2)."""


def _import_tensorflow_quietly() -> None:
    """Import tfvae (TensorFlow, Keras, TFP) with the C++ start-up chatter (oneDNN, CUDA,
    CPU-feature notices, written to fd 2 before logging is configured) silenced."""
    if "tfvae.models" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow as tf

            import tfvae  # noqa: F401  (Keras and TFP print a second round)

            tf.config.list_physical_devices()  # probes CUDA, which prints an error without GPU
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _parse_fields(pairs: Sequence[str], what: str) -> dict[str, Any]:
    """``["beta=4", "reconstruction_loss=bce"]`` -> ``{"beta": 4, ...}`` (values parsed as JSON
    when they are JSON, else kept as strings)."""
    fields: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--{what} expects key=value, got {pair!r}")
        try:
            fields[key] = json.loads(raw)
        except json.JSONDecodeError:
            fields[key] = raw
    return fields


# ------------------------------------------------------------------------------- commands
def _train_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_string("model", None, "Model name (see `tfvae models`), e.g. vae.", flag_values=fv)
    flags.DEFINE_string(
        "data",
        "fashion_mnist",
        "fashion_mnist, digits, a .npz / IDX file, an image folder or tfds:NAME.",
        flag_values=fv,
    )
    flags.DEFINE_string("out", None, "Run folder (default: runs/<model>).", flag_values=fv)
    flags.DEFINE_integer("epochs", 10, "Number of epochs.", flag_values=fv)
    flags.DEFINE_integer("batch_size", 64, "Examples per batch.", flag_values=fv)
    flags.DEFINE_integer("latent_dim", 16, "Latent dimension.", flag_values=fv)
    flags.DEFINE_float("lr", 1e-3, "Learning rate.", flag_values=fv)
    flags.DEFINE_string("optimizer", "adam", "Keras optimizer name.", flag_values=fv)
    flags.DEFINE_integer("seed", 0, "Seed (weights, data order, noise).", flag_values=fv)
    flags.DEFINE_integer("limit", None, "Use at most this many training images.", flag_values=fv)
    flags.DEFINE_enum(
        "net", "mlp", ["mlp", "conv", "resnet"], "Benchmark networks.", flag_values=fv
    )
    flags.DEFINE_integer(
        "width", None, "Channel multiplier (conv/resnet) or hidden units (mlp).", flag_values=fv
    )
    flags.DEFINE_multi_string(
        "set",
        [],
        "Model config field, key=value (repeatable), e.g. "
        "--set reconstruction_loss=bce --set beta=4.",
        flag_values=fv,
    )
    flags.DEFINE_integer("checkpoint_every", 1, "Checkpoint every N epochs.", flag_values=fv)
    flags.DEFINE_bool(
        "binarize", False, "Dynamic binarisation of the training images.", flag_values=fv
    )
    flags.DEFINE_bool("deterministic", False, "Enable TF op determinism.", flag_values=fv)
    flags.DEFINE_enum(
        "strategy",
        None,
        ["mirrored", "multi_worker"],
        "Distribution strategy: mirrored (local GPUs / logical CPUs) or multi_worker (TF_CONFIG).",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "cpu_replicas",
        None,
        "Split the CPU into this many logical devices (for --strategy mirrored without GPUs).",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "verbose", 1, "1: progress bar, 2: one line per epoch, 0: quiet.", flag_values=fv
    )


def _train(fv: flags.FlagValues) -> int:
    if not fv.model:
        raise UsageError("--model is required (see `tfvae models`)")
    import keras

    import tfvae
    from tfvae.plots import interpolation_strip, latent_scatter, latent_traversals, save_png

    if fv.cpu_replicas:
        import tensorflow as tf

        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()] * fv.cpu_replicas,
        )
    if fv.strategy:
        # before any op: MultiWorkerMirroredStrategy configures collectives at start-up
        tfvae.training.strategies.make_strategy(fv.strategy)
    cls = tfvae.get_model_class(fv.model)
    fields = _parse_fields(fv.set, "set")
    out = Path(fv.out or f"runs/{cls.__name__.lower()}")
    keras.utils.set_random_seed(fv.seed)
    data = tfvae.data.load(
        fv.data, batch_size=fv.batch_size, seed=fv.seed, limit=fv.limit, binarize=fv.binarize
    )
    config = cls.config_class(
        input_shape=data.input_shape, latent_dim=fv.latent_dim, seed=fv.seed, **fields
    )
    encoder = decoder = None
    if fv.net != "mlp" or fv.width is not None:
        activation = tfvae.distributions.get_likelihood(
            config.reconstruction_loss
        ).decoder_activation
        encoder, decoder = tfvae.nn.benchmark_networks(
            fv.net,
            data.input_shape,
            config.latent_dim,
            variational=cls.variational,
            output_activation=activation,
            width=fv.width,
        )
    model = cls(config, encoder=encoder, decoder=decoder)
    trainer = tfvae.TrainerConfig(
        output_dir=str(out),
        epochs=fv.epochs,
        batch_size=fv.batch_size,
        learning_rate=fv.lr,
        optimizer=fv.optimizer,
        seed=fv.seed,
        checkpoint_every=fv.checkpoint_every,
        deterministic=fv.deterministic,
        verbose=fv.verbose,
        strategy=fv.strategy,
    )
    pipeline = tfvae.TrainingPipeline(model, trainer)
    if pipeline.is_chief:
        out.mkdir(parents=True, exist_ok=True)
    run_info = {
        "model": cls.__name__,
        "data": fv.data,
        "limit": fv.limit,
        "seed": fv.seed,
        "batch_size": fv.batch_size,
        "net": fv.net,
        "width": fv.width,
        "binarize": fv.binarize,
    }
    if pipeline.is_chief:
        # signed with this user's key: generate/evaluate trust its data path for this run only
        safety.write_json(out / "run_info.json", safety.sign_local_record(run_info), out)
    history = pipeline(data)
    if not pipeline.is_chief:
        return 0
    if len(data.input_shape) == 3:
        x_eval = data.x_test if data.x_test is not None else data.x_train
        y_eval = data.y_test if data.x_test is not None else data.y_train
        x_eval, y_eval = x_eval[:2000], None if y_eval is None else y_eval[:2000]
        latent_scatter(
            model.embed(x_eval),
            y_eval,
            out / "latent_scatter.png",
            title=f"{cls.__name__} latent space ({data.name})",
            class_names=data.class_names,
        )
        save_png(
            interpolation_strip(model, x_eval[:6], x_eval[6:12]), out / "interpolations.png", 2
        )
        save_png(latent_traversals(model, x_eval[0]), out / "traversals.png", 2)
    final = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"trained {cls.__name__}: {final}")
    print(f"wrote {out}/model.keras, PNGs and TensorBoard logs (tensorboard --logdir {out}/logs)")
    return 0


def _generate_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_string(
        "model",
        None,
        "A run folder, a .keras file, a shared model folder or a Hub id (user/repo).",
        flag_values=fv,
    )
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


def _load_trained(fv: flags.FlagValues) -> tuple[Path, Any, dict[str, Any]]:
    """``(model file, model, run_info)`` for ``--model`` (a run folder or a .keras file);
    ``run_info`` is the ``run_info.json`` that ``tfvae train`` wrote beside it, or ``{}``."""
    if not fv.model:
        raise UsageError("--model is required: a run folder (tfvae train --out) or a .keras file")
    import tfvae
    from tfvae.data import NAMED_DATASETS
    from tfvae.models.base.auto_model import resolve_model_path

    path = tfvae.hub.local_folder(fv.model)  # a Hub id is downloaded (cached)
    tfvae.hub.check_safe_to_load(path)
    model_file = resolve_model_path(path)
    model = tfvae.AutoModel.load(model_file)
    info_file, shared = model_file.parent / "run_info.json", model_file.parent / "config.json"
    info: dict[str, Any] = {}
    given_data = fv["data"].value if "data" in fv else None
    if info_file.exists():
        info = safety.read_json(
            info_file, str(info_file), follow_symlinks=safety.is_hub_blob_link(path, info_file)
        )
        if not safety.is_local_record(info):
            # not signed by this user's `tfvae train`: a downloaded folder does not choose
            # which local file is read
            if info.get("data") is not None and not given_data:
                print(
                    f"note: {info_file} is not from a run trained here; its data path "
                    f"{str(info.get('data'))!r:.80} is ignored (pass --data)"
                )
            info = {k: v for k, v in info.items() if k in ("seed", "limit") and type(v) is int}
        elif info.get("data") is not None and not given_data:
            print(f"using the run's data: {info['data']} (from {info_file})")
    elif shared.exists():  # a save_pretrained folder names its training data
        follow = safety.is_hub_blob_link(path, shared)
        data = safety.read_json(shared, str(shared), follow_symlinks=follow).get("data")
        if data in NAMED_DATASETS:  # a dataset name only, never a path from a shared folder
            info = {"data": data}
    return model_file, model, info


def _fitted_sampler(
    fv: flags.FlagValues,
    model: Any,
    info: dict[str, Any],
    model_dir: Path,
    limit: int | None = None,
) -> Any:
    """``--sampler`` (with ``--set`` fields) for ``model``, fitted on the training data of
    ``--data`` or of the run (at most ``limit`` images, default the run's) when it needs
    fitting. The sampler saved beside the model (``save_pretrained``) is used instead when it
    is the one asked for (or ``--sampler saved``) and neither ``--set`` nor ``--data`` is given.
    """
    import tfvae

    saved = model_dir / "sampler.json"
    if fv.sampler == "saved" or (
        saved.exists()
        and not fv.set
        and not fv.data
        and tfvae.hub.read_sampler_meta(model_dir)["sampler"]
        == tfvae.samplers.get_sampler_class(fv.sampler).__name__
    ):
        return tfvae.hub.load_sampler(model_dir, model)  # fitted when it was shared
    sampler_cls = tfvae.samplers.get_sampler_class(fv.sampler)
    sampler = sampler_cls(model, _parse_fields(fv.set, "set"))
    if sampler.needs_fit:
        source = fv.data or info.get("data")
        if source is None:
            raise UsageError(f"--sampler {fv.sampler} must be fitted: pass --data")
        limit = limit if limit is not None else info.get("limit")
        data = tfvae.data.load(source, seed=info.get("seed", 0), limit=limit)
        sampler.fit(data.x_train)
    return sampler


def _generate(fv: flags.FlagValues) -> int:
    import numpy as np

    from tfvae.plots import save_image_grid

    model_file, model, info = _load_trained(fv)
    sampler = _fitted_sampler(fv, model, info, model_file.parent, fv.limit)
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


def _evaluate_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_string(
        "model",
        None,
        "A run folder, a .keras file, a shared model folder or a Hub id (user/repo).",
        flag_values=fv,
    )
    flags.DEFINE_enum(
        "metric",
        "nll",
        ["nll", "fid", "mig", "factor_vae", "beta_vae", "dci"],
        "What to measure: nll (importance-sampled -log p(x), nats per example); fid "
        "(FID and precision/recall of --n samples from --sampler and of test "
        "reconstructions, against test images); or a disentanglement score (mig, "
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
    flags.DEFINE_integer("batch_size", 64, "Examples per pass.", flag_values=fv)
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


def _evaluate(fv: flags.FlagValues) -> int:
    import tfvae

    model_file, model, info = _load_trained(fv)
    if fv.metric == "fid":
        return _evaluate_fid(fv, model_file, model, info)
    if fv.metric != "nll":
        return _evaluate_disentanglement(fv, model_file, model)
    source, x = _held_out_images(fv, info, fv.limit)
    if fv.binarize:
        x = tfvae.data.binarize(x, seed=fv.seed)
    estimate = model.nll(x, n_samples=fv["n-samples"].value, batch_size=fv.batch_size, seed=fv.seed)
    result = {
        "model": type(model).__name__,
        "metric": "nll",
        "data": str(source),
        "binarized": fv.binarize,
        **estimate.to_dict(),
    }
    print(f"{type(model).__name__} test NLL: {estimate}")
    return _write_result(fv, model_file, result)


def _held_out_images(
    fv: flags.FlagValues, info: dict[str, Any], limit: int | None
) -> tuple[Any, Any]:
    """``(source, images)``: the test split (else validation) of ``--data`` or of the run's
    data, at most ``limit`` images."""
    import tfvae

    source = fv.data or info.get("data")
    if source is None:
        raise UsageError("no data recorded for this model: pass --data")
    data = tfvae.data.load(source, seed=info.get("seed", 0), test_limit=limit)
    x = data.x_test if data.x_test is not None else data.x_val
    if x is None:
        raise UsageError(f"{source} has no test or validation split to evaluate")
    return source, x if limit is None else x[:limit]


def _write_result(fv: flags.FlagValues, model_file: Path, result: dict[str, Any]) -> int:
    """Write an evaluation's JSON to ``--out`` (default ``<run>/eval_<metric>.json``)."""
    out = Path(fv.out) if fv.out else model_file.parent / f"eval_{fv.metric}.json"
    # inside the model's folder unless --out says otherwise; never written through a link
    safety.write_json(out, result, None if fv.out else model_file.parent)
    print(f"wrote {out}")
    return 0


def _evaluate_fid(fv: flags.FlagValues, model_file: Path, model: Any, info: dict) -> int:
    import numpy as np

    from tfvae.metrics import ClassifierFeatures, fid, precision_recall

    source, real = _held_out_images(fv, info, fv.n)
    extractor = ClassifierFeatures(fv.features)
    samples = np.asarray(
        _fitted_sampler(fv, model, info, model_file.parent).sample(fv.n, seed=fv.seed)
    )
    recon = np.concatenate(
        [np.asarray(model.reconstruct(real[i : i + 500])) for i in range(0, len(real), 500)]
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
    return _write_result(fv, model_file, record)


def _evaluate_disentanglement(fv: flags.FlagValues, model_file: Path, model: Any) -> int:
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
    return _write_result(fv, model_file, record)


def _export_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_string(
        "model",
        None,
        "A run folder, a .keras file, a shared model folder or a Hub id (user/repo).",
        flag_values=fv,
    )
    flags.DEFINE_enum(
        "format",
        "saved_model",
        ["saved_model", "tflite"],
        "saved_model (signatures serving_default, encode, decode, sample) or tflite "
        "(encoder.tflite, decoder.tflite, sampler.tflite).",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "out", None, "Output folder (default: <run>/export/<format>).", flag_values=fv
    )
    flags.DEFINE_bool("quantize", False, "TFLite dynamic-range quantization.", flag_values=fv)
    flags.DEFINE_bool("overwrite", False, "Replace an existing SavedModel folder.", flag_values=fv)


def _export(fv: flags.FlagValues) -> int:
    from tfvae.export import PARTS, SIGNATURES, saved_model, to_tflite

    model_file, model, _ = _load_trained(fv)
    out = Path(fv.out) if fv.out else model_file.parent / "export" / fv.format
    if not fv.out:  # inside the model's folder: neither export/ nor its format folder a link
        safety.check_output_path(out / "_", model_file.parent)
        safety.check_output_path(out, model_file.parent)
    if fv.format == "saved_model":
        saved_model(model, out, overwrite=fv.overwrite)
        print(
            f"wrote SavedModel {out} (signatures: {', '.join(SIGNATURES)}); inspect it with "
            f"`saved_model_cli show --dir {out} --all`"
        )
    else:
        parts = PARTS if not model.mixture_prior else ("encoder", "decoder")
        written = to_tflite(model, out, parts=parts, quantize=fv.quantize)
        print(f"wrote {', '.join(str(p) for p in written.values())} (checked against Keras)")
    return 0


def _augment_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_string(
        "data",
        "fashion_mnist",
        "Labelled data with a test split: a name or an image folder with one sub-folder per class.",
        flag_values=fv,
    )
    flags.DEFINE_string("model", "vae", "The generative model (one per class).", flag_values=fv)
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
    flags.DEFINE_integer("latent_dim", 16, "Latent dimension.", flag_values=fv)
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
    flags.DEFINE_string(
        "out",
        "runs/augment",
        "Folder for augment.md/.csv, runs.json and synthetic_samples.png.",
        flag_values=fv,
    )


def _augment(fv: flags.FlagValues) -> int:
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
        per_class=fv["per-class"].value,
        synthetic=synthetic,
        seeds=fv.seeds,
        classes=classes,
        latent_dim=fv.latent_dim,
        net=fv.net,
        width=fv.width,
        epochs=fv.epochs,
        sampler=fv.sampler,
        classifier_steps=fv["classifier-steps"].value,
        test_limit=fv["test-limit"].value,
        model_fields=_parse_fields(fv.set, "set"),
    )
    result = augment(fv.data, config, out=fv.out)
    print(result.markdown())
    print(f"wrote {fv.out}/augment.md, augment.csv, runs.json, synthetic_samples.png")
    return 0


def _benchmark_flags(fv: flags.FlagValues) -> None:
    flags.DEFINE_list(
        "models",
        ["VAE", "IWAE", "RAE_L2"],
        "Models (comma-separated); `all` for every registered model.",
        flag_values=fv,
    )
    flags.DEFINE_string(
        "data", "fashion_mnist", "Dataset (shapes adds disentanglement scores).", flag_values=fv
    )
    flags.DEFINE_integer("epochs", 5, "Training epochs of every model.", flag_values=fv)
    flags.DEFINE_integer("limit", 10000, "Training images (0: all).", flag_values=fv)
    flags.DEFINE_integer("latent_dim", 16, "Latent dimension.", flag_values=fv)
    flags.DEFINE_enum("net", "conv", ["mlp", "conv", "resnet"], "Shared networks.", flag_values=fv)
    flags.DEFINE_integer("width", 16, "Network width (conv channels; Pythae: 128).", flag_values=fv)
    flags.DEFINE_integer("batch_size", 64, "Batch size.", flag_values=fv)
    flags.DEFINE_integer("n-eval", 1000, "Test images and samples for MSE and FID.", flag_values=fv)
    flags.DEFINE_integer("nll-examples", 500, "Test images for the NLL.", flag_values=fv)
    flags.DEFINE_integer("n-samples", 100, "Importance samples K of the NLL.", flag_values=fv)
    flags.DEFINE_integer("seed", 0, "Seed of every run.", flag_values=fv)
    flags.DEFINE_string(
        "out", "runs/benchmark", "Folder for benchmark.md/.csv/.json/.png.", flag_values=fv
    )


def _benchmark(fv: flags.FlagValues) -> int:
    from tfvae.workflows import BenchmarkConfig, benchmark

    models = [] if [m.lower() for m in fv.models] == ["all"] else list(fv.models)
    config = BenchmarkConfig(
        models=models,
        data=fv.data,
        epochs=fv.epochs,
        limit=fv.limit or None,
        latent_dim=fv.latent_dim,
        net=fv.net,
        width=fv.width,
        batch_size=fv.batch_size,
        n_eval=fv["n-eval"].value,
        nll_examples=fv["nll-examples"].value,
        nll_samples=fv["n-samples"].value,
        seed=fv.seed,
    )
    result = benchmark(config, out=fv.out)
    print(result.markdown())
    print(f"wrote {fv.out}/benchmark.md, .csv, .json and benchmark.png")
    return 0


def _no_flags(fv: flags.FlagValues) -> None:
    pass


def _models(fv: flags.FlagValues) -> int:
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
    _print_table(("model", "variational", "loss terms", "config fields", "description"), rows)
    return 0


def _samplers(fv: flags.FlagValues) -> int:
    import tfvae

    aliases = {cls: alias for alias, cls in tfvae.samplers.sampler_aliases().items()}
    rows = []
    for name in tfvae.list_samplers():
        cls = tfvae.samplers.get_sampler_class(name)
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        rows.append((aliases.get(name, "-"), name, "yes" if cls.needs_fit else "no", doc))
    _print_table(("name", "class", "fitted on data", "description"), rows)
    return 0


def _print_table(header: Sequence[str], rows: list[Sequence[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "train": ("Train a model and write model.keras, logs and pictures.", _train_flags, _train),
    "generate": ("Generate images from a trained model.", _generate_flags, _generate),
    "evaluate": ("Evaluate a trained model (test NLL).", _evaluate_flags, _evaluate),
    "export": ("Export a trained model for TF Serving or TFLite.", _export_flags, _export),
    "benchmark": (
        "Train models with the same networks, data and budget; compare speed, reconstruction, "
        "NLL, FID (and disentanglement on shapes).",
        _benchmark_flags,
        _benchmark,
    ),
    "augment": (
        "Augmentation study: a classifier on few real images, with and without synthetic "
        "images from per-class generative models.",
        _augment_flags,
        _augment,
    ),
    "models": ("List the available models.", _no_flags, _models),
    "samplers": ("List the available samplers.", _no_flags, _samplers),
}


def _command_help(name: str, fv: flags.FlagValues) -> str:
    lines = [f"usage: tfvae {name} [flags]", "", COMMANDS[name][0], ""]
    for flag in sorted(fv.flags_by_module_dict().get(__name__, []), key=lambda f: f.name):
        default = "" if flag.default is None else f" (default: {flag.default_as_str})"
        lines.append(f"  --{flag.name}: {flag.help}{default}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (``sys.argv`` by default); returns the exit status."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    if name not in COMMANDS:
        print(f"tfvae: unknown command {name!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    _, define, command = COMMANDS[name]
    fv = flags.FlagValues()
    define(fv)
    if any(a in ("-h", "--help", "--helpfull") for a in argv[2:]):
        print(_command_help(name, fv))
        return 0
    try:
        rest = fv([f"tfvae {name}", *argv[2:]])
        if len(rest) > 1:
            raise UsageError(f"unexpected arguments: {' '.join(rest[1:])}")
    except (flags.Error, UsageError) as err:
        print(f"tfvae {name}: error: {err}\n(see `tfvae {name} --help`)", file=sys.stderr)
        return 2
    if name in ("train", "generate", "evaluate", "export", "augment", "benchmark"):
        _import_tensorflow_quietly()
    from tfvae.errors import TfvaeError

    try:
        return command(fv)
    except (UsageError, TfvaeError) as err:  # bad usage or a bad file: one line, status 2
        print(f"tfvae {name}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, FloatingPointError, RuntimeError) as err:
        print(f"tfvae {name}: error: {err}", file=sys.stderr)
        return 1


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
