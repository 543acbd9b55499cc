"""The clustering figure of the talk: latent spaces of a Gaussian, a Poincare and a
hyperspherical VAE side by side, coloured by class, on Fashion-MNIST.

    python tools/latent_spaces.py                       # the models that have landed
    python tools/latent_spaces.py --models vae --epochs 5 --out docs/latent_spaces.png

Each model: conv benchmark networks for 28x28 (width 16), a 2-D latent space (3-D embedding
for the sphere, drawn on the sphere), trained on the Fashion-MNIST training images; the codes
of 3,000 test images are drawn with :func:`tfvae.plots.latent_space` in the model's geometry.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import tfvae
from tfvae.plots import latent_space

#: (registered name, latent_dim) of the figure's panels, in order
PANELS = (("VAE", 2), ("PoincareVAE", 2), ("SVAE", 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    landed = [
        name for name, _ in PANELS if name.lower() in {m.lower() for m in tfvae.list_models()}
    ]
    parser.add_argument("--models", default=",".join(landed))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=None, help="training images")
    parser.add_argument("--out", default="docs/latent_spaces.png")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = dict(PANELS)
    names = [tfvae.get_model_class(m).__name__ for m in args.models.split(",")]
    data = tfvae.data.load("fashion_mnist", batch_size=64, seed=0, limit=args.limit)
    fig = plt.figure(figsize=(5 * len(names), 5), dpi=100)
    for i, name in enumerate(names):
        keras.utils.set_random_seed(0)
        dim = dims.get(name, 2)
        model = tfvae.build_model(
            name,
            input_shape=data.input_shape,
            latent_dim=dim,
            networks="conv",
            width=16,
            reconstruction_loss="bce",
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        model.fit(data.train, epochs=args.epochs, verbose=2, callbacks=data.callbacks())
        geometry = model.latent_geometry
        ax = fig.add_subplot(
            1, len(names), i + 1, projection="3d" if dim == 3 and geometry == "sphere" else None
        )
        latent_space(
            model, data.x_test[:3000], data.y_test[:3000], ax=ax, class_names=data.class_names
        )
        print(
            f"{name}: drawn ({geometry}, latent_dim {dim}); test codes spread "
            f"{np.asarray(model.embed(data.x_test[:3000])).std(0).round(2)}"
        )
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
