"""Disentanglement of the VAE family on the procedural shapes dataset, same networks and budget.

Trains VAE, BetaVAE, BetaTCVAE, FactorVAE and DisentangledBetaVAE with the same MLP networks
(Chen et al.'s dSprites architecture: 4096-1200-1200-D and back) on ``tfvae.data.load("shapes")``
for the same number of epochs, then scores each with MIG, the FactorVAE score, the beta-VAE
score and DCI (tfvae.metrics; MIG on disentanglement_lib's 10,000 points, ``--scale``
multiplies the sample sizes of the others).
Prints a Markdown table, writes it (and a CSV) with ``--out``, and with ``--pictures DIR`` a
latent-traversal PNG per model.

    python tools/disentanglement_table.py --out docs/disentanglement.md --pictures docs
"""

from __future__ import annotations

import argparse
import os
import time

from table_common import common_arguments, write_table

MODELS = {
    "VAE": {},
    "BetaVAE": {"beta": 8.0},
    "BetaTCVAE": {"beta": 6.0},
    "FactorVAE": {"gamma": 35.0},
    "DisentangledBetaVAE": {"beta": 100.0, "C": 25.0},
}
COLUMNS = (("MIG", "mig", "mig"), ("FactorVAE score", "factor_vae", "eval_accuracy"),
           ("beta-VAE score", "beta_vae", "eval_accuracy"),
           ("DCI disent.", "dci", "disentanglement"), ("DCI compl.", "dci", "completeness"),
           ("DCI inform.", "dci", "informativeness_test"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser, MODELS, epochs=10, train=20000, latent_dim=10,
                     pictures="folder for latent traversal PNGs")  # fmt: skip
    parser.add_argument("--hidden", type=int, default=1200)
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
        default=0.8,
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
    import keras

    import tfvae
    from tfvae.data.shapes import Shapes
    from tfvae.metrics import evaluate_disentanglement, mig
    from tfvae.plots import latent_traversals, save_png

    data = tfvae.data.load("shapes", batch_size=args.batch_size, limit=args.train,
                           validation_split=0.0, seed=args.seed)  # fmt: skip
    hidden = (args.hidden, args.hidden)
    rows = []
    for name in args.models.split(","):
        cls = tfvae.get_model_class(name)
        name = cls.__name__
        keras.utils.set_random_seed(args.seed)
        encoder = tfvae.nn.MLPEncoder(args.latent_dim, hidden=hidden, name="encoder")
        decoder = tfvae.nn.MLPDecoder((64, 64, 1), hidden=hidden, output_activation="linear",
                                      name="decoder")  # fmt: skip
        fields = dict(settings.get(name, {}))
        steps = args.epochs * -(-len(data.x_train) // args.batch_size)
        if name == "DisentangledBetaVAE":
            fields["warmup_steps"] = int(args.warmup_fraction * steps)
        config = cls.config_class(input_shape=(64, 64, 1), latent_dim=args.latent_dim,
                                  reconstruction_loss="bce", seed=args.seed, **fields)  # fmt: skip
        model = cls(config, encoder=encoder, decoder=decoder)
        model.prepare_for_data(len(data.x_train))
        extra = {}
        if name == "FactorVAE":  # Kim & Mnih's discriminator betas, a faster rate for the budget
            extra["optimizers"] = {"discriminator_loss": keras.optimizers.Adam(
                args.disc_lr, beta_1=0.5, beta_2=0.9)}  # fmt: skip
        model.compile(optimizer=keras.optimizers.Adam(1e-3), **extra)
        start = time.perf_counter()
        history = model.fit(data.train, epochs=args.epochs, verbose=0, callbacks=data.callbacks())
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        scores = evaluate_disentanglement(model, Shapes(), ("factor_vae", "beta_vae", "dci"),
                                          seed=args.seed, scale=args.scale)  # fmt: skip
        scores["mig"] = mig(model, Shapes(), seed=args.seed, num_train=10000)
        eval_s = time.perf_counter() - start
        recon = history.history["reconstruction"][-1]
        rows.append((name, fields, scores, recon, train_s, eval_s))
        shown = {title: round(scores[m][k], 3) for title, m, k in COLUMNS}
        print(f"{name}: {shown} recon {recon:.1f} (train {train_s:.0f} s, metrics {eval_s:.0f} s)",
              flush=True)  # fmt: skip
        if args.pictures:
            example = data.x_train[3]
            save_png(latent_traversals(model, example), os.path.join(
                args.pictures, f"traversals_{name.lower()}.png"), scale=1)  # fmt: skip

    lines = [
        f"Disentanglement on the procedural shapes dataset (tfvae.data.shapes, {len(data.x_train)} "
        f"training images), {args.epochs} epochs, MLP {args.hidden}-{args.hidden}, latent "
        f"{args.latent_dim}, Adam 1e-3, batch {args.batch_size}, seed {args.seed}; MIG on 10,000 "
        f"points, the other metrics with {args.scale} x disentanglement_lib's sample sizes; "
        f"FactorVAE's discriminator: Adam {args.disc_lr:g} (betas 0.5, 0.9).",
        "",
        "| model | settings | " + " | ".join(t for t, _, _ in COLUMNS) + " | recon | train s |",
        "|---|---|" + "---|" * len(COLUMNS) + "---|---|",
    ]
    for name, fields, scores, recon, train_s, _ in rows:
        settings = ", ".join(f"{k}={v}" for k, v in fields.items()) or "-"
        cells = " | ".join(f"{scores[m][k]:.3f}" for _, m, k in COLUMNS)
        lines.append(f"| {name} | {settings} | {cells} | {recon:.1f} | {train_s:.0f} |")
    header = ["model", *(t for t, _, _ in COLUMNS), "reconstruction", "train_s"]
    csv_rows = [[name, *(f"{scores[m][k]:.4f}" for _, m, k in COLUMNS), f"{recon:.2f}",
                 f"{train_s:.0f}"] for name, _, scores, recon, train_s, _ in rows]  # fmt: skip
    write_table("\n".join(lines), header, csv_rows, args.out)


if __name__ == "__main__":
    main()
