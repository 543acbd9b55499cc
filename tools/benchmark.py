"""Every landed model on Fashion-MNIST with the same networks, data, seed and budget.

    python tools/benchmark.py --out docs/benchmark            # all models (~25 min, 2 CPUs)
    python tools/benchmark.py --models vae,iwae --epochs 10

The same as ``tfvae benchmark``: trains each model (conv networks of width 8, latent 16,
Adam 1e-3, batch 64) on 5,000 images for 3 epochs, then measures the training time and
throughput, the test reconstruction MSE, the NLL (variational models, K=50 on 200 images), the
FID of samples (each model's own sampler) and of reconstructions on 500 test images; writes
benchmark.md/.csv/.json and benchmark.png (samples side by side, metric bars).
"""

from __future__ import annotations

import sys

from tfvae import cli

DEFAULTS = [
    "--models",
    "all",
    "--epochs",
    "3",
    "--limit",
    "5000",
    "--width",
    "8",
    "--n-eval",
    "500",
    "--nll-examples",
    "200",
    "--n-samples",
    "50",
    "--out",
    "docs/benchmark",
]

if __name__ == "__main__":
    sys.exit(cli.main(["tfvae", "benchmark", *DEFAULTS, *sys.argv[1:]]))
