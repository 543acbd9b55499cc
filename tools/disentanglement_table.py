"""Disentanglement of the VAE family on the procedural shapes dataset, same networks and budget.

Trains VAE, BetaVAE, BetaTCVAE, FactorVAE and DisentangledBetaVAE with the same MLP networks
(Chen et al.'s dSprites architecture: 4096-1200-1200-D and back) on ``tfvae.data.load("shapes")``
for the same number of epochs, then scores each with MIG, the FactorVAE score, the beta-VAE
score and DCI (tfvae.metrics; MIG on disentanglement_lib's 10,000 points, ``--scale``
multiplies the sample sizes of the others).
``--seeds N`` repeats each training with N seeds and reports mean +- std: MIG varies across
seeds as much as across models at this budget, so one seed cannot rank them.
Prints a Markdown table, writes it (and a CSV, one row per seed) with ``--out``, and with
``--pictures DIR`` a latent-traversal PNG per model (first seed).

    python tools/disentanglement_table.py --seeds 3 --out docs/disentanglement/table.md \
        --pictures docs/disentanglement
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from table_common import common_arguments, write_table

MODELS = {
    "VAE": {},
    "BetaVAE": {"beta": 8.0},
    "BetaTCVAE": {"beta": 6.0},
    "FactorVAE": {"gamma": 35.0},
    # C = 5 nats per example: a capacity below the data's ~13.5 nats (log of the 737,280
    # factor combinations) keeps only the factors that matter most to the reconstruction
    "DisentangledBetaVAE": {"beta": 100.0, "C": 5.0},
}
COLUMNS = (
    ("MIG", "mig", "mig"),
    ("FactorVAE score", "factor_vae", "eval_accuracy"),
    ("beta-VAE score", "beta_vae", "eval_accuracy"),
    ("DCI disent.", "dci", "disentanglement"),
    ("DCI compl.", "dci", "completeness"),
    ("DCI inform.", "dci", "informativeness_test"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(
        parser,
        MODELS,
        epochs=10,
        train=20000,
        latent_dim=10,
        pictures="folder for latent traversal PNGs",
    )
    parser.add_argument("--hidden", type=int, default=1200)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="train each model with seeds seed..seed+N-1 (weights, noise; the data order "
        "stays --seed's); cells show mean +- std",
    )
    parser.add_argument("--steps_per_execution", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3, help="the models' Adam learning rate")
    parser.add_argument("--scale", type=float, default=0.1, help="metric sample-size multiplier")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="MODEL.FIELD=VALUE",
        help="override a model's setting, e.g. FactorVAE.gamma=10 (repeatable)",
    )
    parser.add_argument(
        "--warmup_fraction",
        type=float,
        default=0.5,
        help="DisentangledBetaVAE: capacity warm-up over this share of steps",
    )
    parser.add_argument(
        "--disc_lr",
        type=float,
        default=1e-3,
        help="FactorVAE's discriminator learning rate (Kim & Mnih: 1e-4)",
    )
    args = parser.parse_args()
    settings = {name: dict(fields) for name, fields in MODELS.items()}
    for item in args.set:
        key, _, value = item.partition("=")
        model, _, field = key.partition(".")
        if model not in settings or not field or not value:
            parser.error(f"--set {item!r}: expected MODEL.FIELD=VALUE with MODEL in {list(MODELS)}")
        settings[model][field] = float(value)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tfvae

    data = tfvae.data.load(
        "shapes", batch_size=args.batch_size, limit=args.train, validation_split=0.0, seed=args.seed
    )
    seeds = range(args.seed, args.seed + args.seeds)
    rows = []
    for name in args.models.split(","):
        name = tfvae.get_model_class(name).__name__
        runs = [train_and_score(name, settings, data, args, seed) for seed in seeds]
        fields = runs[0][0]
        scores = {(m, k): [r[1][m][k] for r in runs] for _, m, k in COLUMNS}
        rows.append((name, fields, scores, [r[2] for r in runs], [r[3] for r in runs]))

    seed_text = (
        f"seed {args.seed}" if args.seeds == 1 else f"seeds {seeds[0]}-{seeds[-1]}, mean +- std"
    )
    lines = [
        f"Disentanglement on the procedural shapes dataset (tfvae.data.shapes, {len(data.x_train)} "
        f"training images), {args.epochs} epochs, MLP {args.hidden}-{args.hidden}, latent "
        f"{args.latent_dim}, Adam {args.lr:g}, batch {args.batch_size}, {seed_text}; MIG on "
        f"10,000 points, the other metrics with {args.scale} x disentanglement_lib's sample "
        f"sizes; FactorVAE's discriminator: Adam {args.disc_lr:g} (betas 0.5, 0.9).",
        "",
        "| model | settings | " + " | ".join(t for t, _, _ in COLUMNS) + " | recon | train s |",
        "|---|---|" + "---|" * len(COLUMNS) + "---|---|",
    ]
    for name, fields, scores, recons, train_s in rows:
        described = ", ".join(f"{k}={v:g}" for k, v in fields.items()) or "-"
        cells = " | ".join(cell(scores[m, k], 3) for _, m, k in COLUMNS)
        lines.append(
            f"| {name} | {described} | {cells} | {cell(recons, 1)} | "
            f"{statistics.mean(train_s):.0f} |"
        )
    header = ["model", "seed", *(t for t, _, _ in COLUMNS), "reconstruction", "train_s"]
    csv_rows = [
        [
            name,
            seed,
            *(f"{scores[m, k][i]:.4f}" for _, m, k in COLUMNS),
            f"{recons[i]:.2f}",
            f"{train_s[i]:.0f}",
        ]
        for name, _, scores, recons, train_s in rows
        for i, seed in enumerate(seeds)
    ]
    write_table("\n".join(lines), header, csv_rows, args.out)


def train_and_score(name: str, settings: dict, data, args, seed: int) -> tuple:
    """Train one model with one seed; return (its fields, its scores, final recon, train s)."""
    import keras

    import tfvae
    from tfvae.data.shapes import Shapes
    from tfvae.metrics import evaluate_disentanglement, mig
    from tfvae.plots import latent_traversals, save_png
    from tfvae.training import FusedAdam

    cls = tfvae.get_model_class(name)
    keras.utils.set_random_seed(seed)
    hidden = (args.hidden, args.hidden)
    encoder = tfvae.nn.MLPEncoder(args.latent_dim, hidden=hidden, name="encoder")
    decoder = tfvae.nn.MLPDecoder(
        (64, 64, 1), hidden=hidden, output_activation="linear", name="decoder"
    )
    fields = dict(settings.get(name, {}))
    steps = args.epochs * -(-len(data.x_train) // args.batch_size)
    if name == "DisentangledBetaVAE":
        fields["warmup_steps"] = int(args.warmup_fraction * steps)
    config = cls.config_class(
        input_shape=(64, 64, 1),
        latent_dim=args.latent_dim,
        reconstruction_loss="bce",
        seed=seed,
        **fields,
    )
    model = cls(config, encoder=encoder, decoder=decoder)
    model.prepare_for_data(len(data.x_train))
    extra = {}
    if name == "FactorVAE":  # Kim & Mnih's discriminator betas
        extra["optimizers"] = {
            "discriminator_loss": FusedAdam(args.disc_lr, beta_1=0.5, beta_2=0.9)
        }
    model.compile(
        optimizer=FusedAdam(args.lr), steps_per_execution=args.steps_per_execution, **extra
    )
    start = time.perf_counter()
    history = model.fit(data.train, epochs=args.epochs, verbose=0, callbacks=data.callbacks())
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    scores = evaluate_disentanglement(
        model, Shapes(), ("factor_vae", "beta_vae", "dci"), seed=seed, scale=args.scale
    )
    scores["mig"] = mig(model, Shapes(), seed=seed, num_train=10000)
    eval_s = time.perf_counter() - start
    recon = history.history["reconstruction"][-1]
    shown = {title: round(scores[m][k], 3) for title, m, k in COLUMNS}
    print(
        f"{name} seed {seed}: {shown} recon {recon:.1f} (train {train_s:.0f} s, "
        f"metrics {eval_s:.0f} s)",
        flush=True,
    )
    if args.pictures and seed == args.seed:
        example = data.x_train[3]
        save_png(
            latent_traversals(model, example),
            os.path.join(args.pictures, f"traversals_{name.lower()}.png"),
            scale=1,
        )
    return fields, scores, recon, train_s


def cell(values: list[float], digits: int) -> str:
    """``mean`` of one seed's value, ``mean +- std`` of several."""
    mean = statistics.mean(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} +- {statistics.stdev(values):.{digits}f}"


if __name__ == "__main__":
    main()
