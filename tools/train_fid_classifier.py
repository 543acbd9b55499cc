"""Train the small Fashion-MNIST classifier whose penultimate layer is tfvae's default feature
extractor for FID and precision/recall on 28x28 grayscale images.

Writes ``tfvae/metrics/assets/fashion_mnist_classifier/model.keras`` (safe-mode loadable,
2.7 MB, shipped as package data) and its model card ``README.md`` with the test accuracy
measured here.

    python tools/train_fid_classifier.py            # about 5 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

CARD = """# Fashion-MNIST feature classifier

tfvae's default feature extractor for FID and precision/recall on 28x28 grayscale images
(`tfvae.metrics.features.ClassifierFeatures`): the {features}-d output of the layer named
`features` (the penultimate layer) of this small CNN.

- Architecture: Conv(32, 3x3) - MaxPool - Conv(64, 3x3) - MaxPool - Dense({features}, ReLU,
  `features`) - Dropout(0.3) - Dense(10); {params:,} parameters.
- Data: Fashion-MNIST, 60,000 training images in [0, 1] (Debian's `dataset-fashion-mnist`).
- Training: {epochs} epochs, Adam 1e-3, batch 128, seed {seed}
  (`python tools/train_fid_classifier.py`).
- Test accuracy: **{accuracy:.4f}** on the 10,000 test images.
- Loading: `keras.models.load_model(path, safe_mode=True)`; no custom objects.

FID values computed with these features are comparable with each other, not with published
Inception-v3 FIDs (use `InceptionFeatures(weights_path)` for those).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="tfvae/metrics/assets/fashion_mnist_classifier")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import tfvae

    keras.utils.set_random_seed(args.seed)
    data = tfvae.data.load("fashion_mnist", batch_size=128, validation_split=0.0, seed=args.seed)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(args.features, activation="relu", name="features"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(10, name="logits"),
        ],
        name="fashion_mnist_classifier",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(data.x_train, data.y_train, batch_size=128, epochs=args.epochs, verbose=2)
    _, accuracy = model.evaluate(data.x_test, data.y_test, batch_size=1000, verbose=0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.keras")
    (out / "README.md").write_text(
        CARD.format(
            features=args.features,
            params=model.count_params(),
            epochs=args.epochs,
            seed=args.seed,
            accuracy=accuracy,
        )
    )
    size = (out / "model.keras").stat().st_size / 1e6
    print(f"test accuracy {accuracy:.4f}; wrote {out}/model.keras ({size:.2f} MB) and README.md")


if __name__ == "__main__":
    main()
