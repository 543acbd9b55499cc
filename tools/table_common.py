"""What the comparison-table tools share: their common flags and how they write a table."""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Sequence


def common_arguments(
    parser: argparse.ArgumentParser,
    models: Sequence[str],
    epochs: int,
    train: int,
    latent_dim: int,
    pictures: str,
) -> None:
    """``--models --epochs --train --latent_dim --batch_size --seed --out --pictures``."""
    parser.add_argument("--models", default=",".join(models))
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--train", type=int, default=train, help="training images")
    parser.add_argument("--latent_dim", type=int, default=latent_dim)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the table (and a .csv) here")
    parser.add_argument("--pictures", default=None, help=pictures)


def write_table(
    markdown: str, header: Sequence[str], rows: Sequence[Sequence[object]], out: str | None
) -> None:
    """Print the Markdown table; with ``out``, write it there and the rows as a CSV beside it."""
    print("\n" + markdown)
    if not out:
        return
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as fh:
        fh.write(markdown + "\n")
    with open(os.path.splitext(out)[0] + ".csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
