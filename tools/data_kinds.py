"""The README's "Data of every kind" figures and pictures: one run per kind.

- tables: breast cancer (30 real features), a VAE with a unit-variance vs a learned-variance
  Gaussian, test NLL in nats per row (data units); GMM samples' per-feature mean/std ratios;
- sequences: GunPoint (UCR, from aeon's wheel), Conv1D VAE, logistic regression on its codes;
- volumes: procedural 32^3 solids and 16^3 patches of nibabel's anatomical MRI, Conv3D VAEs;
- bits/dim: Fashion-MNIST, the same conv VAE with a Bernoulli likelihood (binarised data,
  nats) and with the discretized logistic (8-bit data, nats and bits/dim).

    python tools/data_kinds.py --out docs/data_kinds      # about 10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/data_kinds")
    parser.add_argument("--fashion-train", type=int, default=10000)
    parser.add_argument("--fashion-test", type=int, default=1000)
    parser.add_argument("--fashion-epochs", type=int, default=5)
    parser.add_argument("--k", type=int, default=256, help="importance samples for the NLL")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import nibabel
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    import tfvae
    from tfvae.data import normalize_intensity, patches, read_nifti

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"Measured {time.strftime('%Y-%m-%d')} by `python tools/data_kinds.py` (2 CPU cores)."]

    def fit(model, x, epochs, batch_size, lr=3e-3):
        model.compile(keras.optimizers.Adam(lr))
        start = time.time()
        history = model.fit(x, epochs=epochs, batch_size=batch_size, verbose=0)
        return history.history["loss"], time.time() - start

    # -- tables ------------------------------------------------------------------------
    data = tfvae.data.load("breast_cancer", validation_split=0.0, seed=0)
    lines += [
        "",
        "| breast cancer (455 train / 114 test rows, 30 features) | test NLL, nats per row |",
    ]
    lines += ["|---|---|"]
    models = {}
    for loss in ("mse", "gaussian_learned"):
        keras.utils.set_random_seed(0)
        model = tfvae.build_model(
            "vae",
            input_shape=(30,),
            latent_dim=8,
            width=128,
            reconstruction_loss=loss,
            preprocessing="standardize",
        )
        fit(model, data.x_train, 60, 64)
        est = model.nll(data.x_test, n_samples=args.k, seed=1)
        models[loss] = model
        lines.append(f'| VAE, `reconstruction_loss="{loss}"` | {est.nll:.1f} +- {est.stderr:.1f} |')
    gmm = tfvae.build_sampler("gmm", models["gaussian_learned"], n_components=30).fit(data.x_train)
    rows = gmm.sample(4000, seed=3, noise=True)
    mean_ratio = rows.mean(0) / data.x_train.mean(0)
    std_ratio = rows.std(0) / data.x_train.std(0)
    names = [str(n) for n in load_breast_cancer().feature_names]
    tfvae.plots.feature_histograms(data.x_train, rows, out / "breast_cancer.png", names=names)
    lines += [
        "",
        f"Generated rows (GMM on the codes, `noise=True`) against the training rows: per-feature "
        f"mean ratio {mean_ratio.min():.3f}-{mean_ratio.max():.3f}, std ratio "
        f"{std_ratio.min():.3f}-{std_ratio.max():.3f}.",
    ]

    # -- sequences ---------------------------------------------------------------------
    series = tfvae.data.load("ucr:GunPoint", validation_split=0.0)
    keras.utils.set_random_seed(0)
    seq = tfvae.build_model(
        "vae",
        input_shape=(150, 1),
        latent_dim=8,
        networks="conv",
        width=16,
        reconstruction_loss="gaussian_learned",
        preprocessing="standardize",
    )
    losses, seconds = fit(seq, series.x_train, 200, 10)
    clf = LogisticRegression(max_iter=5000).fit(seq.embed(series.x_train), series.y_train)
    acc = clf.score(seq.embed(series.x_test), series.y_test)
    recon = np.asarray(seq.reconstruct(series.x_test[:8]))
    tfvae.plots.sequence_plot(series.x_test[:8], recon, out / "gunpoint.png")
    lines += [
        "",
        f"GunPoint: Conv1D VAE (latent 8, width 16), 200 epochs on the 50 training series "
        f"({seconds:.0f} s), loss {losses[0]:.0f} -> {losses[-1]:.0f}; logistic regression on the "
        f"codes: **{acc:.1%}** test accuracy on the 150 test series (chance 50%).",
    ]

    # -- volumes -----------------------------------------------------------------------
    vols = tfvae.data.load("volumes", batch_size=16, validation_split=0.0)
    keras.utils.set_random_seed(0)
    vae3d = tfvae.build_model(
        "vae",
        input_shape=vols.input_shape,
        latent_dim=8,
        networks="conv",
        width=8,
        reconstruction_loss="bce",
    )
    losses, seconds = fit(vae3d, vols.x_train, 10, 16)
    picture = np.concatenate(
        [
            vols.x_test[:3],
            np.asarray(vae3d.reconstruct(vols.x_test[:3])),
            np.asarray(vae3d.generate(3)),
        ]
    )
    tfvae.plots.volume_slices(picture, out / "volumes.png")
    lines += [
        "",
        f"Procedural 32^3 volumes: Conv3D VAE (width 8, {vae3d.count_params():,} parameters), 10 "
        f"epochs on 1,000 volumes ({seconds:.0f} s), loss {losses[0]:.0f} -> {losses[-1]:.0f}.",
    ]
    mri = normalize_intensity(read_nifti(Path(nibabel.__path__[0]) / "tests/data/anatomical.nii"))
    x = patches(mri, 16, stride=4)
    keras.utils.set_random_seed(0)
    mri_vae = tfvae.build_model(
        "vae",
        input_shape=x.shape[1:],
        latent_dim=8,
        networks="conv",
        width=8,
        reconstruction_loss="gaussian_learned",
        preprocessing="standardize",
    )
    losses, seconds = fit(mri_vae, x, 60, 16)
    tfvae.plots.volume_slices(
        np.concatenate([x[:3], np.asarray(mri_vae.reconstruct(x[:3]))]), out / "mri.png", scale=4
    )
    lines.append(
        f"MRI patches: {len(x)} patches of 16^3 from nibabel's anatomical.nii, 60 epochs "
        f"({seconds:.0f} s), loss {losses[0]:.0f} -> {losses[-1]:.0f}."
    )

    # -- bits/dim ----------------------------------------------------------------------
    fashion = tfvae.data.load(
        "fashion_mnist", limit=args.fashion_train, validation_split=0.0, seed=0
    )
    x_test = fashion.x_test[: args.fashion_test]
    lines += [
        "",
        f"Fashion-MNIST, the same conv VAE (Pythae's 28x28 nets at width 16, latent 16), "
        f"{args.fashion_epochs} epochs on {args.fashion_train} images, K={args.k} on "
        f"{args.fashion_test} test images:",
        "",
        "| likelihood | data | test NLL, nats | bits/dim |",
        "|---|---|---|---|",
    ]
    for loss in ("bce", "discretized_logistic"):
        keras.utils.set_random_seed(0)
        model = tfvae.build_model(
            "vae",
            input_shape=(28, 28, 1),
            latent_dim=16,
            networks="conv",
            width=16,
            reconstruction_loss=loss,
        )
        if loss == "bce":
            train = tfvae.data.load(
                "fashion_mnist", limit=args.fashion_train, validation_split=0.0, binarize=True
            ).train
            model.compile(keras.optimizers.Adam(1e-3))
            model.fit(train, epochs=args.fashion_epochs, verbose=0)
            est = model.nll(tfvae.data.binarize(x_test, seed=0), n_samples=args.k)
            lines.append(
                f"| Bernoulli (`bce`) | binarised | {est.nll:.1f} +- {est.stderr:.1f} | - |"
            )
        else:
            fit(model, fashion.x_train, args.fashion_epochs, 64, lr=1e-3)
            est = model.nll(x_test, n_samples=args.k)
            lines.append(
                f"| discretized logistic | 8-bit | {est.nll:.1f} +- {est.stderr:.1f} | "
                f"**{est.bits_per_dim:.3f}** |"
            )
    text = "\n".join(lines) + "\n"
    tfvae.safety.safe_write(out / "figures.md", text)  # never through a link
    print(text)


if __name__ == "__main__":
    main()
