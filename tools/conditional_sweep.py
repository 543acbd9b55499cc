"""How far the class accuracy of conditional samples moves with the budget, the KL weight and
the sampling temperature: one conditional conv model on Fashion-MNIST, then the per-class GMM
sampler at each temperature, scored by the shipped classifier (``tfvae.metrics.class_accuracy``).

It trains with ``tools/conditional_table.py``'s ``train_vae`` and samples as that table does
(same seed, networks, optimizer and batches; the table's "per-class GMM samples" column is this script's temperature
1 row), without the unconditional model and the NLLs, so a larger budget fits in minutes:

    python tools/conditional_sweep.py                                  # 10,000 images, 8 epochs
    python tools/conditional_sweep.py --train 60000 --epochs 10        # the whole training set
    python tools/conditional_sweep.py --model beta_vae --beta 0.1      # a lighter KL term
    python tools/conditional_sweep.py --condition_dropout 0.15 --guidance 0,2,4  # guidance
    python tools/conditional_sweep.py --condition_dropout 0.3 --guidance 4 --consistent
    python tools/conditional_sweep.py --condition_dropout 0.3 --guidance 8 --rescales 0,0.5
    python tools/conditional_sweep.py --condition_dropout 0.3 --guidance 2,4 --components 10,1 --fid

Prints one markdown row per temperature: the mean over classes and each class's accuracy
(``--fid``: and the FID of all classes' samples against the test images, the price in
variety).
"""

from __future__ import annotations

import argparse
import os

from conditional_table import train_vae


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=10000, help="training images")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--width", type=int, default=32, help="conv width (Pythae: 128)")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--model", default="vae", help="a registered model (vae, beta_vae, ...)")
    parser.add_argument("--beta", type=float, default=None, help="beta_vae's KL weight")
    parser.add_argument("--temperatures", default="1,0.5", help="GMM temperatures, comma-separated")
    parser.add_argument(
        "--condition_dropout",
        type=float,
        default=0.0,
        help="train with the null condition on this share of the examples (for guidance)",
    )
    parser.add_argument(
        "--guidance", default="0", help="classifier-free guidance weights, comma-separated"
    )
    parser.add_argument(
        "--rescales",
        default=None,
        help="guidance rescales phi in [0, 1], comma-separated (adds a column; default: 0)",
    )
    parser.add_argument(
        "--consistent",
        action="store_true",
        help="also score consistent samples (the ones the model classifies as their class)",
    )
    parser.add_argument(
        "--components",
        default=None,
        help="GMM components per class, comma-separated (adds a column; default: 10)",
    )
    parser.add_argument(
        "--fid",
        action="store_true",
        help="add the FID of each row's samples against --fid_test test images",
    )
    parser.add_argument("--fid_test", type=int, default=5000, help="test images of the FID")
    parser.add_argument("--per_class", type=int, default=200, help="samples per class")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tfvae

    data = tfvae.data.load(
        "fashion_mnist", limit=args.train, validation_split=0.0, seed=args.seed, labels=True
    )
    x, y = data.x_train, data.y_train
    fields = {} if args.beta is None else {"beta": args.beta}
    model, seconds = train_vae(
        x,
        y,
        model=args.model,
        latent_dim=args.latent_dim,
        width=args.width,
        batch_size=64,
        epochs=args.epochs,
        seed=args.seed,
        condition_dropout=args.condition_dropout,
        **fields,
    )
    components = [10] if args.components is None else [int(v) for v in args.components.split(",")]
    fitted = {
        c: tfvae.build_sampler("gmm", model, n_components=c).fit(x, condition=y) for c in components
    }
    x_fid, y_fid = data.x_test[: args.fid_test], data.y_test[: args.fid_test]
    classifier = tfvae.metrics.ClassifierFeatures()
    names = data.class_names or [str(k) for k in range(10)]
    setting = (
        f"{args.model}{'' if args.beta is None else f' beta={args.beta:g}'}, {args.train} "
        f"images, {args.epochs} epochs, width {args.width}, latent {args.latent_dim}, "
        f"condition dropout {args.condition_dropout:g}, seed {args.seed}"
    )
    print(f"{setting}: trained in {seconds:.0f} s")
    consistency = (False, True) if args.consistent else (False,)
    rescales = [0.0] if args.rescales is None else [float(v) for v in args.rescales.split(",")]
    comp_head = " components |" if args.components is not None else ""
    phi_head = " rescale |" if args.rescales is not None else ""
    kept = " consistent |" if args.consistent else ""
    fid_head = " FID |" if args.fid else ""
    print(
        f"| setting |{comp_head} temperature | guidance |{phi_head}{kept} mean | worst |"
        f"{fid_head} " + " | ".join(names) + " |"
    )
    extra = (args.components is not None) + args.consistent + (args.rescales is not None) + args.fid
    print("|---" * (15 + extra) + "|")
    for c, t in ((c, float(t)) for c in components for t in args.temperatures.split(",")):
        sampler = tfvae.build_sampler("gmm", model, temperature=t, n_components=c)
        sampler.set_state(fitted[c].get_state())  # the same mixtures, drawn at temperature t
        comp_cell = f" {c} |" if args.components is not None else ""
        for w in (float(v) for v in args.guidance.split(",")):
            for phi in rescales:
                for consistent in consistency:
                    samples = tfvae.metrics.class_samples(  # scored for accuracy and FID
                        sampler,
                        n_per_class=args.per_class,
                        seed=args.seed,
                        guidance=w,
                        guidance_rescale=phi,
                        consistent=consistent,
                    )
                    acc = tfvae.metrics.class_accuracy(
                        model, classifier=classifier, samples=samples
                    )
                    cells = " | ".join(f"{acc.per_class[k]:.0%}" for k in range(10))
                    fid_cell = ""
                    if args.fid:
                        score = tfvae.metrics.per_class_fid(
                            None, x_fid, y_fid, n_per_class=args.per_class, samples=samples
                        )
                        fid_cell = f" {score['overall']:.1f} |"
                    phi_cell = f" {phi:g} |" if args.rescales is not None else ""
                    flag = f" {'yes' if consistent else 'no'} |" if args.consistent else ""
                    print(
                        f"| {setting} |{comp_cell} {t:g} | {w:g} |{phi_cell}{flag} "
                        f"{acc.mean:.1%} | {acc.worst:.0%} |{fid_cell} {cells} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
