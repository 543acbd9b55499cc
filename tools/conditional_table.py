"""Class-conditional generation on Fashion-MNIST: does a sample of class k look like class k?

Trains a conditional conv VAE (``condition="class"``) and the same VAE without the label, on
the same images, networks and budget, then reports:

- per-class accuracy of generated samples under the shipped Fashion-MNIST classifier
  (``tfvae.metrics.class_accuracy``), for prior sampling (``model.generate(n, condition=k)``)
  and for the per-class GMM sampler (codes of class k's examples);
- the same classifier on the real test images of each class, and on the conditional model's
  reconstructions of them: the ceilings a sample can be judged against (a blurry decoder mean
  of a sandal is not recognisable even when it reconstructs a real sandal);
- test NLL of both models on the same binarised test images: ``-log p(x | y)`` against
  ``-log p(x)``, with the paired difference and its standard error;
- the same per-class mixtures drawn at a lower temperature (``--cold``: codes nearer each
  component's mean, the classes' most typical codes);
- both with classifier-free guidance (``--guidance``: the model is trained with the null
  condition on ``--condition_dropout`` of its examples, and the decoder's mean moves away from
  its mean under the null condition), rescaled (``--rescale``: each guided sample's spread
  pulled back towards the unguided one, so strong guidance does not saturate it);
- the cold guided draws made consistent (``consistent=True``: only the samples the model
  itself classifies as their class, by its own likelihoods; the others are redrawn);
- one Gaussian per class (``n_components=1``) drawn cold and guided (``--single_temperature``,
  ``--single_guidance``): codes around each class's mean code, the class's most typical;
- the FID of each column's samples (all classes, in the test set's proportions) against
  ``--fid_test`` test images: what the recognisability costs in variety and fidelity;
- pictures: one row of samples per class (``docs/conditional/class_grid*.png``).

    python tools/conditional_table.py --out docs/conditional/table.md   # the README's table
    python tools/conditional_table.py --train 2000 --epochs 2 --width 16  # a quick look
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def train_vae(
    x: np.ndarray,
    y: np.ndarray | None,
    *,
    latent_dim: int,
    width: int,
    batch_size: int,
    epochs: int,
    seed: int,
    model: str = "vae",
    condition_dropout: float = 0.0,
    **fields: object,
) -> tuple[object, float]:
    """A conv ``model`` (Pythae's 28x28 nets at ``width``, Bernoulli likelihood, Adam 1e-3)
    fitted on images ``x: [N, 28, 28, 1]`` in [0, 1], class-conditional on labels ``y: [N]``
    in 0..9 when given (with the null condition on ``condition_dropout`` of the examples, for
    guidance); returns it and the training seconds. ``tools/conditional_sweep.py`` trains
    with it too, so that its rows and this table's are the same models."""
    import keras

    import tfvae

    keras.utils.set_random_seed(seed)
    condition = (
        {}
        if y is None
        else {"condition": "class", "num_classes": 10, "condition_dropout": condition_dropout}
    )
    vae = tfvae.build_model(
        model,
        input_shape=(28, 28, 1),
        latent_dim=latent_dim,
        networks="conv",
        width=width,
        reconstruction_loss="bce",
        **condition,
        **fields,
    )
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    start = time.perf_counter()
    vae.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    return vae, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=10000, help="training images")
    parser.add_argument("--test", type=int, default=1000, help="test images (NLL, ceilings)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--width", type=int, default=32, help="conv width (Pythae: 128)")
    parser.add_argument("--latent_dim", type=int, default=16)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--k", type=int, default=200, help="importance samples for the NLL")
    parser.add_argument("--per_class", type=int, default=200, help="samples per class")
    parser.add_argument(
        "--cold", type=float, default=0.3, help="temperature of the per-class GMM's cold columns"
    )
    parser.add_argument(
        "--condition_dropout",
        type=float,
        default=0.3,
        help="share of training examples under the null condition (what guidance needs)",
    )
    parser.add_argument(
        "--guidance", type=float, default=4.0, help="guidance weight of the guided columns"
    )
    parser.add_argument(
        "--rescale", type=float, default=0.0, help="guidance rescale of the guided columns"
    )
    parser.add_argument(
        "--single_temperature",
        type=float,
        default=0.3,
        help="temperature of the one-Gaussian-per-class column",
    )
    parser.add_argument(
        "--single_guidance",
        type=float,
        default=2.0,
        help="guidance weight of the one-Gaussian-per-class column",
    )
    parser.add_argument("--fid_test", type=int, default=5000, help="test images of the FIDs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the table here (and the grid)")
    args = parser.parse_args()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import tfvae
    from tfvae import safety
    from tfvae.plots import class_grid, save_png

    data = tfvae.data.load(
        "fashion_mnist", limit=args.train, validation_split=0.0, seed=args.seed, labels=True
    )
    x, y = data.x_train, data.y_train
    x_test, y_test = data.x_test[: args.test], data.y_test[: args.test]
    x_bin = tfvae.data.binarize(x_test, seed=args.seed + 1)
    classifier = tfvae.metrics.ClassifierFeatures()
    models, seconds = {}, {}
    for condition in ("class", None):
        model, seconds[condition] = train_vae(
            x,
            y if condition else None,
            latent_dim=args.latent_dim,
            width=args.width,
            batch_size=args.batch_size,
            epochs=args.epochs,
            seed=args.seed,
            condition_dropout=args.condition_dropout,
        )
        models[condition] = model
        print(f"trained {'conditional' if condition else 'unconditional'} VAE", flush=True)
    cvae = models["class"]
    gmm = tfvae.build_sampler("gmm", cvae).fit(x, condition=y)
    cold = tfvae.build_sampler("gmm", cvae, temperature=args.cold)
    cold.set_state(gmm.get_state())  # the same mixtures, drawn nearer their means
    single = tfvae.build_sampler(
        "gmm", cvae, n_components=1, temperature=args.single_temperature
    ).fit(x, condition=y)
    w, phi = args.guidance, args.rescale
    unguided = {"guidance": 0.0, "guidance_rescale": 0.0}
    guide = {"guidance": w, "guidance_rescale": phi}
    single_guide = {"guidance": args.single_guidance, "guidance_rescale": 0.0}
    drawn = [  # (source, guidance and rescale, consistent) of each column, in order
        (cvae, unguided, False),
        (gmm, unguided, False),
        (cold, unguided, False),
        (gmm, guide, False),
        (cold, guide, False),
        (cold, guide, True),
        (single, single_guide, False),
    ]
    x_fid, y_fid = data.x_test[: args.fid_test], data.y_test[: args.fid_test]
    columns, fids = [], []
    for source, g, c in drawn:  # one draw per column serves its accuracy and its FID
        samples = tfvae.metrics.class_samples(
            source, n_per_class=args.per_class, seed=args.seed, consistent=c, **g
        )
        columns.append(tfvae.metrics.class_accuracy(cvae, classifier=classifier, samples=samples))
        score = tfvae.metrics.per_class_fid(
            None, x_fid, y_fid, n_per_class=args.per_class, samples=samples
        )
        fids.append(score["overall"])
    real = classifier.predict(x_test)
    recon = classifier.predict(np.asarray(cvae.reconstruct(x_test, y_test)))
    nll_c = cvae.nll(x_bin, n_samples=args.k, condition=y_test, seed=args.seed)
    nll_u = models[None].nll(x_bin, n_samples=args.k, seed=args.seed)
    gain = nll_u.per_example - nll_c.per_example
    names = data.class_names or [str(k) for k in range(10)]

    rescaled = f", rescale {phi:g}" if phi else ""
    lines = [
        f"Fashion-MNIST, {args.train} training images, {args.epochs} epochs, conv VAE (Pythae's "
        f"28x28 nets, width {args.width}), latent {args.latent_dim}, Bernoulli likelihood, "
        f"Adam 1e-3, batch {args.batch_size}, seed {args.seed}, null condition on "
        f"{args.condition_dropout:g} of the examples; {args.per_class} samples per "
        f"class; the classifier is tfvae's shipped Fashion-MNIST CNN; ceilings on "
        f"{args.test} test images",
        "",
        "| class | prior samples | per-class GMM | per-class GMM, temperature "
        f"{args.cold:g} | per-class GMM, guidance {w:g}{rescaled} | per-class GMM, "
        f"temperature {args.cold:g}, guidance {w:g}{rescaled} | the same, consistent | "
        f"one Gaussian per class, temperature {args.single_temperature:g}, guidance "
        f"{args.single_guidance:g} | real test images | reconstructions of them |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for k in range(10):
        mine = y_test == k
        cells = " | ".join(f"{c.per_class[k]:.0%}" for c in columns)
        lines.append(
            f"| {k} {names[k]} | {cells} | {np.mean(real[mine] == k):.0%} | "
            f"{np.mean(recon[mine] == k):.0%} |"
        )
    means = " | ".join(f"**{c.mean:.1%}**" for c in columns)
    worst = " | ".join(f"{c.worst:.0%}" for c in columns)
    lines.append(
        f"| **mean** | {means} | {np.mean(real == y_test):.1%} | {np.mean(recon == y_test):.1%} |"
    )
    lines.append(f"| worst class | {worst} | | |")
    fid_cells = " | ".join(f"{f:.1f}" for f in fids)
    lines.append(f"| FID against {len(x_fid)} test images | {fid_cells} | | |")
    lines += [
        "",
        f"Test NLL on the same {args.test} binarised images (K={args.k}): conditional "
        f"-log p(x|y) {nll_c.nll:.2f} ± {nll_c.stderr:.2f}, unconditional -log p(x) "
        f"{nll_u.nll:.2f} ± {nll_u.stderr:.2f} nats; paired difference {gain.mean():.2f} ± "
        f"{gain.std(ddof=1) / np.sqrt(len(gain)):.2f}. Training took "
        f"{seconds['class']:.0f} s (conditional) and {seconds[None]:.0f} s (unconditional).",
    ]
    markdown = "\n".join(lines)
    print("\n" + markdown)
    if args.out:
        safety.safe_write(args.out, markdown + "\n")
        folder = os.path.dirname(args.out) or "."
        save_png(class_grid(cvae, per_class=12, seed=args.seed), f"{folder}/class_grid.png", 2)
        picture = class_grid(cvae, per_class=12, seed=args.seed, sampler=gmm)
        save_png(picture, f"{folder}/class_grid_gmm.png", 2)
        picture = class_grid(cvae, per_class=12, seed=args.seed, sampler=cold)
        save_png(picture, f"{folder}/class_grid_gmm_cold.png", 2)
        picture = class_grid(cvae, per_class=12, seed=args.seed, sampler=cold, **guide)
        save_png(picture, f"{folder}/class_grid_guided.png", 2)
        picture = class_grid(
            cvae, per_class=12, seed=args.seed, sampler=cold, consistent=True, **guide
        )
        save_png(picture, f"{folder}/class_grid_consistent.png", 2)
        picture = class_grid(cvae, per_class=12, seed=args.seed, sampler=single, **single_guide)
        save_png(picture, f"{folder}/class_grid_single.png", 2)


if __name__ == "__main__":
    main()
