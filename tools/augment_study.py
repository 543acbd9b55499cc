"""The augmentation study of the README: Fashion-MNIST, 50 labelled images per class.

    python tools/augment_study.py                        # VAE, 3 seeds (~10 min on 2 CPUs)
    python tools/augment_study.py --model rhvae --out docs/augment_rhvae  # the manifold sampler
    python tools/augment_study.py --conditional --out docs/augment_conditional  # one model

For each seed: 50 training images per class are drawn, one generative model per class is
trained on its 50 images, 500 / 2,000 / 5,000 synthetic images per class are generated, and the
same small CNN (600 Adam steps, batch 64) is trained on real, real + synthetic and synthetic
only images, then scored on the 10,000 test images. Writes augment.md, augment.csv,
runs.json and synthetic_samples.png (one row per class) to --out. With ``--conditional``, one
class-conditional model is trained on the 500 labelled images instead of one per class (the
same epochs, about the same gradient steps) and each class is generated from it.
"""

from __future__ import annotations

import argparse

import tfvae
from tfvae.workflows import AugmentConfig, augment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="vae")
    parser.add_argument("--per_class", type=int, default=50)
    parser.add_argument("--synthetic", default="500,2000,5000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument(
        "--conditional", action="store_true", help="one class-conditional model for all classes"
    )
    parser.add_argument("--out", default="docs/augment")
    args = parser.parse_args()
    extra = {}
    if args.model.lower() == "rhvae":  # the seed's sampler; every training code is a centroid
        # (one model sees every class's images when conditional: Fashion-MNIST has 10 classes)
        capacity = args.per_class * (10 if args.conditional else 1)
        extra = {
            "sampler": "rhvae_manifold",
            "sampler_fields": {"mcmc_steps_nbr": 30},
            "model_fields": {"metric_capacity": capacity, "eps_lf": 0.01},
        }
    config = AugmentConfig(
        model=args.model,
        per_class=args.per_class,
        seeds=args.seeds,
        synthetic=[int(n) for n in args.synthetic.split(",")],
        epochs=args.epochs,
        latent_dim=args.latent_dim,
        conditional=args.conditional,
        **extra,
    )
    data = tfvae.data.load("fashion_mnist", seed=0)
    result = augment(data, config, out=args.out)
    print(result.markdown())


if __name__ == "__main__":
    main()
