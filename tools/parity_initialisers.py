"""Why tfvae's WAE_MMD and RAE_L2 prior samples had a worse FID than Pythae's: the initialisers.

Trains each model on the parity table's setting (tools/pythae_parity.py: 1,000 binarised
Fashion-MNIST images, 300 validation, Pythae's conv networks of width 128, latent 16, Adam 1e-3,
batch 64, 4 epochs) twice per seed: with Keras's initialisers (Glorot-uniform kernels, zero
biases) and with PyTorch's defaults (kernels and biases uniform in +-1/sqrt(fan_in)), then
reports the validation loss, the reconstruction error (SSE per image) on 200 test images, the
FID of 1,000 N(0, I) prior samples and the spread of the test codes (mean per-dimension std,
mean |per-dimension mean|). One JSON line per run. The data and the training are
pythae_parity's own (load_split, fit_tfvae).

    python tools/parity_initialisers.py --models WAE_MMD,RAE_L2 --seeds 0,1
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from pythae_parity import fit_tfvae, load_split


def torch_initialise(model, seed: int) -> None:  # noqa: ANN001
    """PyTorch's default for Linear/Conv/ConvTranspose (kaiming_uniform with a=sqrt(5)):
    kernel and bias uniform in +-1/sqrt(fan_in); fan_in counts the kernel's input side
    (ConvTranspose: output channels x kernel size, as torch lays out its weight)."""
    import keras

    rng = np.random.default_rng(seed)
    kinds = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.Conv2DTranspose)
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if not isinstance(layer, kinds):
            continue
        shape = tuple(layer.kernel.shape)
        fan_in = int(np.prod(shape[:-1]))
        if isinstance(layer, keras.layers.Conv2DTranspose):  # [kh, kw, out, in]
            fan_in = shape[0] * shape[1] * shape[2]
        bound = 1.0 / np.sqrt(fan_in)
        layer.kernel.assign(rng.uniform(-bound, bound, shape).astype("float32"))
        if layer.bias is not None:
            layer.bias.assign(rng.uniform(-bound, bound, layer.bias.shape).astype("float32"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="WAE_MMD,RAE_L2")
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tfvae

    x_train, x_val, x_test, real = load_split(tfvae, 1000, 300, 200)
    table = argparse.Namespace(latent_dim=16, batch_size=64, epochs=4)  # pythae_parity's
    for name in args.models.split(","):
        for init in ("keras", "torch"):
            for seed in (int(s) for s in args.seeds.split(",")):
                start = time.perf_counter()
                initialise = torch_initialise if init == "torch" else None
                model, history = fit_tfvae(
                    tfvae, name, seed, x_train, x_val, table, initialise=initialise
                )
                codes = np.asarray(model.encode(x_test))
                samples = np.asarray(model.generate(1000, seed=seed))
                recon = np.asarray(model.reconstruct(x_test))
                row = {
                    "model": name,
                    "init": init,
                    "seed": seed,
                    "val_loss": float(history["val_loss"][-1]),
                    "recon_sse": float(np.mean(np.sum((recon - x_test) ** 2, axis=(1, 2, 3)))),
                    "fid_prior": float(tfvae.metrics.fid(real, np.clip(samples, 0, 1))),
                    "code_std": float(codes.std(0).mean()),
                    "code_mean_abs": float(np.abs(codes.mean(0)).mean()),
                    "seconds": round(time.perf_counter() - start, 1),
                }
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
