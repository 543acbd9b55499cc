"""What the safety checks cost when loading a model: the checks alone vs the whole load.

    python tools/load_overhead.py [--rounds 5]

For each folder of saved_models/, times (median of --rounds) ``tfvae.safety.check_safe_to_load``
plus the archive check ``AutoModel.load`` repeats, and the whole ``tfvae.hub.load_pretrained``
(checks + Keras load), and prints the checks' share of the load. Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import tfvae
from tfvae import safety

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tfvae.hub.load_pretrained(ROOT / "saved_models" / "vae_fashion_mnist")  # warm-up (imports)
    print("| folder | checks (ms) | whole load (ms) | checks' share |")
    print("|---|---|---|---|")
    for folder in sorted((ROOT / "saved_models").iterdir()):

        def checks(folder: Path = folder) -> None:
            safety.check_safe_to_load(folder)
            safety.read_keras_config(folder / "model.keras")  # AutoModel.load reads its config

        check_s = _median_seconds(checks, args.rounds)
        load_s = _median_seconds(lambda f=folder: tfvae.hub.load_pretrained(f), args.rounds)
        print(
            f"| {folder.name} | {check_s * 1e3:.1f} | {load_s * 1e3:.0f} | "
            f"{100 * check_s / load_s:.1f}% |"
        )


if __name__ == "__main__":
    main()
