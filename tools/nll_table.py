"""Test NLL of the importance-weighted family against the VAE, same networks and budget.

Trains VAE, IWAE, MIWAE, PIWAE, CIWAE and VAMP with the same conv networks (Pythae's 28x28
benchmark nets, scaled by ``--width``) on dynamically binarised Fashion-MNIST for the same
number of epochs, then estimates -log p(x) on one fixed binarisation of the test set with
K importance samples. Prints a Markdown table (and writes it with ``--out``).

    python tools/nll_table.py                          # the README's table
    python tools/nll_table.py --epochs 10 --train 60000 --test 10000 --k 5000
"""

from __future__ import annotations

import argparse
import os
import time

MODELS = {
    "VAE": {},
    "IWAE": {"number_samples": 5},
    "MIWAE": {"number_samples": 5, "number_gradient_estimates": 2},
    "PIWAE": {"number_samples": 5, "number_gradient_estimates": 2},
    "CIWAE": {"number_samples": 5, "beta": 0.5},
    "VAMP": {"number_components": 50},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train", type=int, default=10000, help="training images")
    parser.add_argument("--test", type=int, default=1000, help="test images")
    parser.add_argument("--k", type=int, default=1000, help="importance samples for the NLL")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--width", type=int, default=8, help="conv width (Pythae: 128)")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import tfvae

    data = tfvae.data.load(
        "fashion_mnist",
        batch_size=args.batch_size,
        limit=args.train,
        validation_split=0.0,
        binarize=True,
        seed=args.seed,
    )
    x_test = tfvae.data.binarize(data.x_test[: args.test], seed=args.seed)
    rows = []
    for name in args.models.split(","):
        cls = tfvae.get_model_class(name)
        keras.utils.set_random_seed(args.seed)
        model = tfvae.build_model(
            name,
            input_shape=(28, 28, 1),
            latent_dim=args.latent_dim,
            networks="conv",
            width=args.width,
            reconstruction_loss="bce",
            seed=args.seed,
            **MODELS.get(cls.__name__, {}),
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        start = time.perf_counter()
        model.fit(data.train, epochs=args.epochs, verbose=0, callbacks=data.callbacks())
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        nll = model.nll(x_test, n_samples=args.k, batch_size=100, seed=args.seed)
        nll_s = time.perf_counter() - start
        rows.append((cls.__name__, model.config, nll, train_s, nll_s))
        print(f"{cls.__name__}: {nll} (train {train_s:.0f} s, nll {nll_s:.0f} s)", flush=True)

    lines = [
        f"Test NLL (nats, K={args.k}, {args.test} test images binarised once), after "
        f"{args.epochs} epochs on {args.train} dynamically binarised Fashion-MNIST images; conv "
        f"nets width {args.width}, latent {args.latent_dim}, Adam 1e-3, batch {args.batch_size}.",
        "",
        "| model | settings | test NLL | train s | NLL s |",
        "|---|---|---|---|---|",
    ]
    for name, _config, nll, train_s, nll_s in rows:
        settings = ", ".join(f"{k}={v}" for k, v in MODELS.get(name, {}).items()) or "-"
        lines.append(
            f"| {name} | {settings} | {nll.nll:.2f} +- {nll.stderr:.2f} | "
            f"{train_s:.0f} | {nll_s:.0f} |"
        )
    table = "\n".join(lines)
    print("\n" + table)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(table + "\n")


if __name__ == "__main__":
    main()
