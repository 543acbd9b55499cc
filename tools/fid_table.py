"""Sample quality of the autoencoder families on Fashion-MNIST, same networks and budget.

Trains AE, VAE, RAE_L2, RAE_GP, WAE_MMD, Adversarial_AE and VAEGAN with the same conv networks
(Pythae's 28x28 benchmark nets scaled by ``--width``) for the same number of epochs, then
computes, on the features of the shipped Fashion-MNIST classifier (tfvae.metrics), the FID of
``--n`` samples from a 10-component GMM fitted on the training codes (ex-post density
estimation, the same sampler for every model), the FID of test reconstructions, and the
precision / recall of the samples. Prints a Markdown table, writes it (and a CSV) with
``--out``, and a PNG of samples side by side with ``--pictures``.

    python tools/fid_table.py --out docs/fid/table.md --pictures docs/fid
"""

from __future__ import annotations

import argparse
import os
import time

from table_common import common_arguments, write_table

MODELS = {
    "AE": {},
    "VAE": {},
    "RAE_L2": {"embedding_weight": 1e-2, "reg_weight": 1e-4},
    "RAE_GP": {"embedding_weight": 1e-2, "reg_weight": 1e-4},
    "WAE_MMD": {"kernel_choice": "imq", "reg_weight": 100.0},
    "Adversarial_AE": {},
    "VAEGAN": {},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(
        parser, MODELS, epochs=10, train=10000, latent_dim=16, pictures="folder for the samples PNG"
    )
    parser.add_argument("--n", type=int, default=2000, help="samples and test images for FID")
    parser.add_argument("--width", type=int, default=8, help="conv width (Pythae: 128)")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import tfvae
    from tfvae.metrics import ClassifierFeatures, fid, precision_recall
    from tfvae.plots import image_grid, save_png

    data = tfvae.data.load(
        "fashion_mnist",
        batch_size=args.batch_size,
        limit=args.train,
        validation_split=0.0,
        seed=args.seed,
    )
    real = data.x_test[: args.n]
    extractor = ClassifierFeatures()
    rows, grids = [], []
    for name in args.models.split(","):
        cls = tfvae.get_model_class(name)
        name = cls.__name__
        keras.utils.set_random_seed(args.seed)
        model = tfvae.build_model(
            name,
            input_shape=(28, 28, 1),
            latent_dim=args.latent_dim,
            networks="conv",
            width=args.width,
            reconstruction_loss="mse",
            seed=args.seed,
            **MODELS.get(name, {}),
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        start = time.perf_counter()
        model.fit(data.train, epochs=args.epochs, verbose=0, callbacks=data.callbacks())
        train_s = time.perf_counter() - start
        sampler = tfvae.build_sampler("gmm", model, n_components=10).fit(data.x_train)
        samples = np.asarray(sampler.sample(args.n, seed=args.seed))
        recon = np.concatenate(
            [np.asarray(model.reconstruct(real[i : i + 500])) for i in range(0, len(real), 500)]
        )
        scores = {
            "fid_samples": fid(real, samples, extractor),
            "fid_reconstructions": fid(real, recon, extractor),
            **precision_recall(real, samples, extractor),
        }
        rows.append((name, MODELS.get(name, {}), scores, train_s))
        grids.append(image_grid(samples[:36], ncols=6))
        print(
            f"{name}: "
            + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
            + f" (train {train_s:.0f} s)",
            flush=True,
        )

    lines = [
        f"Fashion-MNIST, {len(data.x_train)} training images, {args.epochs} epochs, conv nets "
        f"width {args.width}, latent {args.latent_dim}, Adam 1e-3, batch {args.batch_size}, "
        f"seed {args.seed}; {args.n} GMM samples (10 components) and {len(real)} test images, "
        "features of the shipped Fashion-MNIST classifier.",
        "",
        "| model | settings | FID samples (GMM) | FID reconstructions | precision | recall "
        "| train s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, fields, s, train_s in rows:
        settings = ", ".join(f"{k}={v}" for k, v in fields.items()) or "-"
        lines.append(
            f"| {name} | {settings} | {s['fid_samples']:.2f} | "
            f"{s['fid_reconstructions']:.2f} | {s['precision']:.3f} | "
            f"{s['recall']:.3f} | {train_s:.0f} |"
        )
    keys = ("fid_samples", "fid_reconstructions", "precision", "recall")
    write_table(
        "\n".join(lines),
        ["model", *keys, "train_s"],
        [[name, *(f"{s[k]:.4f}" for k in keys), f"{t:.0f}"] for name, _, s, t in rows],
        args.out,
    )
    if args.pictures:
        pad = np.ones((grids[0].shape[0], 4, *grids[0].shape[2:]), grids[0].dtype)
        strip = np.concatenate([part for g in grids for part in (g, pad)][:-1], axis=1)
        save_png(strip, os.path.join(args.pictures, "samples_gmm.png"), scale=2)


if __name__ == "__main__":
    main()
