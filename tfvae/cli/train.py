"""``tfvae train``: train a model; write model.keras, logs, pictures, checkpoints."""

from __future__ import annotations

from pathlib import Path

from absl import flags

from tfvae import safety
from tfvae.cli.common import (
    Flags,
    UsageError,
    parse_fields,
)


def define(fv: flags.FlagValues) -> None:
    flags.DEFINE_string("model", None, "Model name (see `tfvae models`), e.g. vae.", flag_values=fv)
    flags.DEFINE_string(
        "data",
        "fashion_mnist",
        "fashion_mnist, digits, shapes, volumes, breast_cancer, wine, ucr:GunPoint, a .npz / "
        ".npy / .csv / .parquet / IDX file, a folder of images or NIfTI volumes, or tfds:NAME.",
        flag_values=fv,
    )
    flags.DEFINE_enum(
        "kind",
        None,
        ["vector", "sequence", "image", "volume"],
        "Data kind of an array whose rank is ambiguous ([N, T, C] sequences vs [N, H, W]).",
        flag_values=fv,
    )
    flags.DEFINE_string("label-column", None, "Tables: the label column.", flag_values=fv)
    flags.DEFINE_list("columns", None, "Tables: feature columns (default: all).", flag_values=fv)
    flags.DEFINE_list(
        "categorical", None, "Tables: columns modelled as categories.", flag_values=fv
    )
    flags.DEFINE_enum(
        "reconstruction-loss",
        None,
        ["bce", "mse", "gaussian_learned", "laplace", "discretized_logistic"],
        "The likelihood p(x|z) (default: the model config's, mse).",
        flag_values=fv,
    )
    flags.DEFINE_enum(
        "preprocessing",
        "auto",
        ["auto", "none", "standardize", "minmax"],
        "Fitted preprocessing saved with the model. auto: none for data in [0, 1], else "
        "standardize (minmax for bce / discretized_logistic).",
        flag_values=fv,
    )
    flags.DEFINE_enum(
        "condition",
        None,
        ["class"],
        "Train a class-conditional model p(x | y) on the data's labels (generate a class "
        "with `tfvae generate --condition K`).",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "condition-embedding",
        None,
        "With --condition class: a learned label embedding of this size (default: one-hot).",
        flag_values=fv,
    )
    flags.DEFINE_string("out", None, "Run folder (default: runs/<model>).", flag_values=fv)
    flags.DEFINE_integer("epochs", 10, "Number of epochs.", flag_values=fv)
    flags.DEFINE_integer("batch-size", 64, "Examples per batch.", flag_values=fv)
    flags.DEFINE_integer("latent-dim", 16, "Latent dimension.", flag_values=fv)
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
    flags.DEFINE_integer("checkpoint-every", 1, "Checkpoint every N epochs.", flag_values=fv)
    flags.DEFINE_float(
        "write-interval",
        30.0,
        "Least seconds between two checkpoints (and two epochs' image grids); 0: every "
        "--checkpoint-every epochs.",
        lower_bound=0.0,
        flag_values=fv,
    )
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
        "cpu-replicas",
        None,
        "Split the CPU into this many logical devices (for --strategy mirrored without GPUs).",
        flag_values=fv,
    )
    flags.DEFINE_integer(
        "verbose", 1, "1: progress bar, 2: one line per epoch, 0: quiet.", flag_values=fv
    )


def run(fv: Flags) -> int:
    if not fv.model:
        raise UsageError("--model is required (see `tfvae models`)")
    import keras

    import tfvae
    from tfvae.plots import (
        class_grid,
        feature_histograms,
        interpolation_strip,
        latent_scatter,
        latent_traversals,
        save_png,
    )

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
    fields = parse_fields(fv.set, "set")
    out = Path(fv.out or f"runs/{cls.__name__.lower()}")
    keras.utils.set_random_seed(fv.seed)
    data = tfvae.data.load(
        fv.data,
        batch_size=fv.batch_size,
        seed=fv.seed,
        limit=fv.limit,
        binarize=fv.binarize,
        kind=fv.kind,
        label_column=fv.label_column,
        columns=fv.columns,
        categorical=fv.categorical,
        labels=fv.condition is not None,
    )
    if fv.condition:
        fields.update(condition_fields(data, fv.condition_embedding))
    if fv.reconstruction_loss:
        fields.setdefault("reconstruction_loss", fv.reconstruction_loss)
    fields.setdefault("preprocessing", choose_preprocessing(fv.preprocessing, data, fields))
    fields.update(data.model_fields())
    # the model's default networks for a plain --net mlp, else the benchmark networks
    default = fv.net == "mlp" and fv.width is None
    model = tfvae.build_model(
        fv.model,
        input_shape=data.input_shape,
        latent_dim=fv.latent_dim,
        networks=None if default else fv.net,
        width=fv.width,
        seed=fv.seed,
        **fields,
    )
    trainer = tfvae.TrainerConfig(
        output_dir=str(out),
        epochs=fv.epochs,
        batch_size=fv.batch_size,
        learning_rate=fv.lr,
        optimizer=fv.optimizer,
        seed=fv.seed,
        checkpoint_every=fv.checkpoint_every,
        write_interval_s=fv.write_interval,
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
        # how the data were read (tables, sequences): generate/evaluate read them the same way
        "kind": fv.kind,
        "label_column": fv.label_column,
        "columns": fv.columns,
        "categorical": fv.categorical,
        "condition": fv.condition,
    }
    if pipeline.is_chief:
        # signed with this user's key: generate/evaluate trust its data path for this run only
        safety.write_json(out / "run_info.json", safety.sign_local_record(run_info), out)
    history = pipeline(data)
    if not pipeline.is_chief:
        return 0
    x_eval = data.x_test if data.x_test is not None else data.x_train
    y_eval = data.y_test if data.x_test is not None else data.y_train
    x_eval, y_eval = x_eval[:2000], None if y_eval is None else y_eval[:2000]
    c_eval = y_eval if model.conditional else None
    if len(model.code_shape) == 1:
        latent_scatter(
            model.embed(x_eval, condition=c_eval),
            y_eval,
            out / "latent_scatter.png",
            title=f"{cls.__name__} latent space ({data.name})",
            class_names=data.class_names,
        )
    if data.schema is not None:  # a table: generated rows in the table's own columns
        rows = tfvae.data.to_frame(
            model, model.generate(len(x_eval), condition=c_eval), sample=True
        )
        with safety.safe_output(out / "samples.csv", out) as tmp:
            rows.to_csv(tmp, index=False)
        real = data.schema.decode(x_eval)
        feature_histograms(real, rows, out / "samples.png")
    if len(data.input_shape) == 3:
        strip = interpolation_strip(
            model, x_eval[:6], x_eval[6:12], condition=None if c_eval is None else c_eval[:6]
        )
        save_png(strip, out / "interpolations.png", 2)
        first = None if c_eval is None else c_eval[0]
        save_png(latent_traversals(model, x_eval[0], condition=first), out / "traversals.png", 2)
        if model.conditional:  # one row per class
            save_png(class_grid(model, per_class=10), out / "samples_by_class.png", 2)
    final = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"trained {cls.__name__}: {final}")
    print(f"wrote {out}/model.keras, PNGs and TensorBoard logs (tensorboard --logdir {out}/logs)")
    return 0


def condition_fields(data: object, embedding: int | None) -> dict:
    """Model config fields of ``--condition class`` on ``data``'s labels (0 .. C-1)."""
    labels = data.y_train
    if labels is None or labels.size == 0:
        raise UsageError(f"--condition class needs labelled data; {data.name} has no labels")
    classes = int(labels.max()) + 1
    if data.class_names:
        classes = max(classes, len(data.class_names))
    if classes < 2:
        raise UsageError(f"--condition class needs at least 2 classes; {data.name} has 1")
    return {"condition": "class", "num_classes": classes, "condition_embedding_dim": embedding}


def choose_preprocessing(choice: str, data: object, fields: dict) -> str | None:
    """``--preprocessing`` resolved: ``auto`` keeps data in [0, 1] as they are and otherwise
    standardises (min-max scales for likelihoods that need [0, 1])."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    x = data.x_train
    loss = fields.get("reconstruction_loss", "mse")
    if float(x.min()) >= 0.0 and float(x.max()) <= 1.0 and data.schema is None:
        return None
    return "minmax" if loss in ("bce", "discretized_logistic") else "standardize"
