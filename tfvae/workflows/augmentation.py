"""Data augmentation in the low-sample regime: does synthetic data help a classifier?

Any labelled data kind: images, tables (an MLP classifier, a learned-variance Gaussian
generator on standardised features), sequences and volumes (a small Conv1D / Conv3D CNN).

The workflow of the talk tfvae comes from (a geometry-aware VAE trained on 50 MRIs per class
raised a CNN's balanced accuracy from 66.3 to 74.1): for each seed, draw ``per_class``
labelled training images per class, train one generative model per class on them, generate
synthetic images per class, then train the same small CNN on real images, on real +
synthetic images (for each requested number) and on synthetic images only, and score each on
the full test set (balanced accuracy, macro sensitivity and specificity). Results are
mean +- std over seeds, written as Markdown and CSV with a PNG of synthetic samples per class.
With ``conditional=True`` one class-conditional model is trained on all the labelled images
instead (it learns what the classes share) and generates each class on demand::

    result = tfvae.workflows.augment("fashion_mnist", AugmentConfig(model="vae", seeds=3))
    print(result.markdown())
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfvae.config import BaseConfig
from tfvae.data import DataSplits, load, make_dataset
from tfvae.models import build_model
from tfvae.plots import example_picture, feature_histograms, save_image_grid
from tfvae.safety import write_json
from tfvae.samplers import build_sampler
from tfvae.workflows.tables import write_table


@dataclasses.dataclass
class AugmentConfig(BaseConfig):
    """Settings of :func:`augment`.

    Attributes:
        model: the generative model's registered name (``vae``, ``rhvae``...).
        per_class: labelled training images per class (the low-sample regime).
        synthetic: numbers of synthetic images per class to add, one row each.
        seeds: repetitions (each draws its own labelled subset and trains its own models).
        classes: restrict to these class labels (``None``: all classes of the data).
        latent_dim: the generative model's latent dimension.
        net: its networks: ``mlp`` or ``conv`` (benchmark networks for 28/32/64 images).
        width: hidden units (``mlp``) or channel multiplier (``conv``); ``None``: default.
        epochs: the generative model's training epochs (on ``per_class`` images).
        learning_rate: its Adam learning rate.
        model_fields: extra fields of the model's config (``{"beta": 2.0}``).
        sampler: how synthetic codes are drawn (``normal``: the prior; ``gmm``;
            ``rhvae_manifold`` for RHVAE...).
        sampler_fields: the sampler's config fields.
        classifier_steps: gradient steps of every classifier run (the same for every
            training set, so a larger set is not also a longer training).
        classifier_batch: the classifier's batch size.
        test_limit: score on at most this many test images (``None``: all).
        conditional: train ONE class-conditional model (``condition="class"``) on all the
            labelled images and generate each class from it, instead of one model per class
            on that class's images; the same epochs, so about the same gradient steps.
    """

    model: str = "vae"
    per_class: int = 50
    synthetic: list[int] = dataclasses.field(default_factory=lambda: [500, 2000, 5000])
    seeds: int = 3
    classes: list[int] | None = None
    latent_dim: int = 16
    net: str = "mlp"
    width: int | None = None
    epochs: int = 300
    learning_rate: float = 1e-3
    model_fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    sampler: str = "normal"
    sampler_fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    classifier_steps: int = 600
    classifier_batch: int = 64
    test_limit: int | None = None
    conditional: bool = False

    def validate(self) -> None:
        self.check_positive(
            "per_class",
            "seeds",
            "latent_dim",
            "epochs",
            "learning_rate",
            "classifier_steps",
            "classifier_batch",
        )
        self.check("synthetic", all(n > 0 for n in self.synthetic), "positive numbers")
        self.check("net", self.net in ("mlp", "conv", "resnet"), "'mlp', 'conv' or 'resnet'")


@dataclasses.dataclass
class AugmentResult:
    """The table of :func:`augment`: one row per training set, mean and std over seeds.

    Attributes:
        rows: ``{"training set", "train images", "balanced accuracy", ... "_std"}`` dicts.
        runs: every (seed, training set) score, as rows of the same keys plus ``seed``.
        config: the settings used.
    """

    rows: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    config: AugmentConfig

    METRICS = ("balanced accuracy", "sensitivity", "specificity")

    def markdown(self) -> str:
        head = "| training set | images | " + " | ".join(self.METRICS) + " |"
        lines = [head, "|" + "---|" * (2 + len(self.METRICS))]
        for row in self.rows:
            cells = [f"{100 * row[m]:.1f} +- {100 * row[m + ' std']:.1f}" for m in self.METRICS]
            lines.append(
                f"| {row['training set']} | {row['train images']} | " + " | ".join(cells) + " |"
            )
        return "\n".join(lines)

    def write(self, out: str | Path) -> None:
        """``augment.md``, ``augment.csv``, ``runs.json`` and ``config.json`` in ``out``."""
        cfg = self.config
        kind = "one conditional model" if cfg.conditional else "one model per class"
        caption = (
            f"{cfg.model} ({kind}), {cfg.per_class} real images per class, {cfg.seeds} seeds; "
            "percent on the test set, mean +- std over seeds"
        )
        out = write_table(out, "augment", caption, self.markdown(), self.rows, list(self.rows[0]))
        write_json(out / "runs.json", self.runs, out)
        cfg.to_json(out / "config.json")


def class_scores(y_true: np.ndarray, y_pred: np.ndarray, classes: np.ndarray) -> dict[str, float]:
    """Balanced accuracy and macro-averaged one-vs-rest sensitivity and specificity.

    Args:
        y_true, y_pred: ``[N]`` integer labels.
        classes: the labels to average over.
    Returns:
        fractions in [0, 1]; balanced accuracy equals the macro sensitivity.
    """
    sens, spec = [], []
    for c in classes:
        pos, pred = y_true == c, y_pred == c
        sens.append((pos & pred).sum() / max(pos.sum(), 1))
        spec.append((~pos & ~pred).sum() / max((~pos).sum(), 1))
    return {
        "balanced accuracy": float(np.mean(sens)),
        "sensitivity": float(np.mean(sens)),
        "specificity": float(np.mean(spec)),
    }


def small_cnn(input_shape: tuple[int, ...], n_classes: int) -> keras.Model:
    """The fixed classifier of the study, by the data's kind: for images two conv blocks,
    dropout, a dense layer; the same with Conv1D for sequences and Conv3D (8 and 16 filters)
    for volumes; for vectors and tables an MLP (two hidden layers of 128 and 64, dropout)
    on standardised features."""
    rank = len(input_shape)
    if rank == 1:
        return keras.Sequential(
            [
                keras.Input(input_shape),
                keras.layers.Normalization(name="standardize"),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dropout(0.3),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(n_classes),
            ],
            name="augment_classifier",
        )
    conv, pool = {
        2: (keras.layers.Conv1D, keras.layers.MaxPooling1D),
        3: (keras.layers.Conv2D, keras.layers.MaxPooling2D),
        4: (keras.layers.Conv3D, keras.layers.MaxPooling3D),
    }[rank]
    filters = (8, 16) if rank == 4 else (32, 64)
    return keras.Sequential(
        [
            keras.Input(input_shape),
            conv(filters[0], 3, padding="same", activation="relu"),
            pool(),
            conv(filters[1], 3, padding="same", activation="relu"),
            pool(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(n_classes),
        ],
        name="augment_classifier",
    )


def train_classifier(
    x: np.ndarray, y: np.ndarray, n_classes: int, cfg: AugmentConfig, seed: int
) -> tuple[keras.Model, int]:
    """Train :func:`small_cnn` for ``cfg.classifier_steps`` steps on ``(x, y)`` (shuffled,
    repeated); returns the model and the number of distinct images it was trained on."""
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = small_cnn(x.shape[1:], n_classes)
    if x.ndim == 2:
        model.get_layer("standardize").adapt(x.astype(np.float32))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    ds = (
        tf.data.Dataset.from_tensor_slices((x.astype(np.float32), y.astype(np.int32)))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(cfg.classifier_batch)
        .prefetch(tf.data.AUTOTUNE)
    )
    model.fit(ds, steps_per_epoch=cfg.classifier_steps, epochs=1, verbose=0)
    return model, len(x)


def likelihood_fields(x: np.ndarray) -> dict[str, Any]:
    """The likelihood for data ``x``: Bernoulli for values in [0, 1] (images, volumes of
    intensities), else a learned-variance Gaussian on standardised features (tables)."""
    if float(x.min()) >= 0.0 and float(x.max()) <= 1.0:
        return {"reconstruction_loss": "bce"}
    return {"reconstruction_loss": "gaussian_learned", "preprocessing": "standardize"}


def _generator(
    x: np.ndarray,
    cfg: AugmentConfig,
    seed: int,
    fields: dict[str, Any],
    labels: np.ndarray | None = None,
    num_classes: int | None = None,
) -> Any:
    """A generative model trained on ``x`` (one class's examples; or every class's, with
    their ``labels`` in ``0..num_classes-1``, for a class-conditional model) and its fitted
    sampler."""
    keras.utils.set_random_seed(seed)
    condition = {} if labels is None else {"condition": "class", "num_classes": num_classes}
    model = build_model(
        cfg.model,
        input_shape=x.shape[1:],
        latent_dim=cfg.latent_dim,
        networks=cfg.net,
        width=cfg.width,
        seed=seed,
        **{**fields, **cfg.model_fields, **condition},
    )
    model.prepare_for_data(len(x))
    model.adapt(x)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate))
    ds = make_dataset(x, min(len(x), 64), shuffle=True, seed=seed, labels=labels)
    model.fit(ds, epochs=cfg.epochs, verbose=0)
    sampler = build_sampler(cfg.sampler, model, **cfg.sampler_fields)
    return sampler.fit(x) if labels is None else sampler.fit(x, condition=labels)


def _subset(
    y: np.ndarray, classes: np.ndarray, per_class: int, rng: np.random.Generator
) -> np.ndarray:
    picked = []
    for c in classes:
        where = np.flatnonzero(y == c)
        if len(where) < per_class:
            raise ValueError(
                f"class {c} has {len(where)} training images, fewer than per_class={per_class}"
            )
        picked.append(rng.choice(where, per_class, replace=False))
    return np.concatenate(picked)


def augment(
    data: Any,
    config: AugmentConfig | dict | None = None,
    out: str | Path | None = None,
    verbose: bool = True,
) -> AugmentResult:
    """Run the augmentation study (see the module doc).

    Args:
        data: a :class:`~tfvae.data.DataSplits` with labels and a test split, or a name/path
            for :func:`tfvae.data.load` (``"fashion_mnist"``, an image folder with one
            sub-folder per class...).
        config: :class:`AugmentConfig` (or its dict).
        out: write the table (Markdown, CSV), every run and ``synthetic_samples.png`` there.
        verbose: print progress.
    Returns:
        :class:`AugmentResult`.
    Raises:
        ValueError: the data have no labels or no test split, or a class has fewer than
            ``per_class`` training images.
    """
    cfg = AugmentConfig.coerce(config, "augment")
    splits = data if isinstance(data, DataSplits) else load(data, seed=0)
    if splits.y_train is None or splits.x_test is None or splits.y_test is None:
        raise ValueError("augment needs labelled training images and a labelled test split")
    x_all = (
        np.concatenate([splits.x_train, splits.x_val])
        if splits.x_val is not None
        else splits.x_train
    )
    y_all = (
        np.concatenate([splits.y_train, splits.y_val])
        if splits.y_val is not None
        else splits.y_train
    )
    classes = np.array(sorted(set(np.unique(y_all)) if cfg.classes is None else cfg.classes))
    missing = set(classes) - set(np.unique(y_all))
    if missing:
        raise ValueError(f"classes {sorted(int(c) for c in missing)} are not in the data's labels")
    keep = np.isin(splits.y_test, classes)
    x_test, y_test = splits.x_test[keep], splits.y_test[keep]
    if cfg.test_limit is not None:
        x_test, y_test = x_test[: cfg.test_limit], y_test[: cfg.test_limit]
    index = {c: i for i, c in enumerate(classes)}  # classifier outputs 0..K-1
    to_idx = np.vectorize(index.get)
    runs: list[dict[str, Any]] = []
    most = max(cfg.synthetic)
    grid = []
    for seed in range(cfg.seeds):
        rng = np.random.default_rng(seed)
        pick = _subset(y_all, classes, cfg.per_class, rng)
        x_real, y_real = x_all[pick], y_all[pick]
        synthetic = {}
        fields = likelihood_fields(x_all)
        noise = "preprocessing" in fields  # real-valued rows: draws of p(x|z), not means
        shared = None
        if cfg.conditional:  # one model of p(x | class) on every labelled image
            shared = _generator(
                x_real, cfg, 1000 * seed, fields, to_idx(y_real).astype(np.int32), len(classes)
            )
        for c in classes:
            if shared is not None:
                synthetic[c] = shared.sample(most, seed=seed, noise=noise, condition=index[c])
            else:
                sampler = _generator(x_real[y_real == c], cfg, 1000 * seed + int(c), fields)
                synthetic[c] = sampler.sample(most, seed=seed, noise=noise)
            if seed == 0:
                grid.append(synthetic[c][:10])
            if verbose:
                print(f"seed {seed}: generated {most} images of class {c} with {cfg.model}")
        sets = [("real", x_real, y_real)]
        for n in sorted(cfg.synthetic):
            xs = np.concatenate([synthetic[c][:n] for c in classes])
            ys = np.repeat(classes, n)
            sets.append(
                (
                    f"real + {n} synthetic/class",
                    np.concatenate([x_real, xs]),
                    np.concatenate([y_real, ys]),
                )
            )
            sets.append((f"{n} synthetic/class only", xs, ys))
        for name, x, y in sets:
            clf, seen = train_classifier(x, to_idx(y), len(classes), cfg, seed=seed)
            logits = clf.predict(x_test, batch_size=512, verbose=0)
            scores = class_scores(
                to_idx(y_test), np.argmax(logits, axis=1), np.arange(len(classes))
            )
            runs.append({"seed": seed, "training set": name, "train images": seen, **scores})
            if verbose:
                print(
                    f"seed {seed}: {name:32s} ({seen} images) balanced accuracy "
                    f"{scores['balanced accuracy']:.3f}"
                )
    order = list(dict.fromkeys(r["training set"] for r in runs))
    rows = []
    for name in order:
        mine = [r for r in runs if r["training set"] == name]
        row: dict[str, Any] = {"training set": name, "train images": mine[0]["train images"]}
        for metric in AugmentResult.METRICS:
            values = np.array([r[metric] for r in mine])
            row[metric], row[metric + " std"] = float(values.mean()), float(values.std())
        rows.append(row)
    result = AugmentResult(rows, runs, cfg)
    if out is not None:
        result.write(out)
        picture = Path(out) / "synthetic_samples.png"
        if x_all.ndim == 4:
            save_image_grid(np.concatenate(grid), picture, ncols=10)
        elif x_all.ndim == 2:  # tables: real vs synthetic feature histograms
            feature_histograms(x_all, np.concatenate(list(synthetic.values())), picture)
        else:  # sequences: line plots; volumes: mid-slices (two per class)
            example_picture(np.concatenate([g[:2] for g in grid]), None, picture)
    return result
