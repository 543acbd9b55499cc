"""Writing a workflow's table: Markdown with its caption, and the same rows as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfvae.safety import check_output_dir, safe_write


def write_table(
    out: str | Path,
    stem: str,
    caption: str,
    markdown: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
) -> Path:
    """``<out>/<stem>.md`` (caption, blank line, table) and ``<out>/<stem>.csv`` (``columns``
    of ``rows``); creates ``out`` and returns it."""
    out = check_output_dir(Path(out))
    safe_write(out / f"{stem}.md", f"{caption}\n\n{markdown}\n", out)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    safe_write(out / f"{stem}.csv", text.getvalue(), out)
    return out
