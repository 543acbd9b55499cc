"""Writing a workflow's table: Markdown with its caption, and the same rows as CSV."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def write_table(out: str | Path, stem: str, caption: str, markdown: str,
                rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> Path:  # fmt: skip
    """``<out>/<stem>.md`` (caption, blank line, table) and ``<out>/<stem>.csv`` (``columns``
    of ``rows``); creates ``out`` and returns it."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(f"{caption}\n\n{markdown}\n")
    with open(out / f"{stem}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return out
