"""Time series: the UCR/UEA ``.ts`` format and the datasets ``aeon`` ships inside its wheel.

``read_ts`` parses a ``.ts`` file itself (bounded, no code run, no ``aeon`` import: aeon pulls
in numba); :func:`load_ucr` finds the bundled files (GunPoint, ArrowHead, BasicMotions,
JapaneseVowels, ...) in an installed ``aeon`` without importing it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from tfvae import safety
from tfvae.errors import DataError

#: what ``aeon``'s wheel ships that suits a sequence VAE (equal-length classification sets)
UCR_DATASETS = ("GunPoint", "ArrowHead", "BasicMotions", "JapaneseVowels", "ItalyPowerDemand")
#: lengths the unequal-length datasets are padded to
_PAD_TO = {"JapaneseVowels": 29}


def read_ts(
    path: str | Path, pad_to: int | None = None
) -> tuple[np.ndarray, np.ndarray | None, list[str] | None]:
    """Read a ``.ts`` file (sktime/aeon format).

    Args:
        pad_to: series of unequal lengths (JapaneseVowels) are refused unless given: each is
            then padded to this length by repeating its last value (longer ones refused).

    Returns:
        ``x: [N, T, C]`` float32 (C dimensions of each series), integer labels ``[N]`` (or
        ``None`` without ``@classLabel true``) and the class names in label order.
    Raises:
        DataError: not a ``.ts`` file, missing values, unequal lengths, over the size limit,
            a label not declared in the header (named with the line).
    """
    path = Path(path)
    text = safety.read_bytes(
        path, safety.LIMITS.data_bytes, "time-series file", follow_symlinks=True, error=DataError
    ).decode("utf-8", errors="replace")
    declared: list[str] | None = None
    has_labels = False
    rows: list[list[list[float]]] = []
    labels: list[str] = []
    in_data = False
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                raise DataError(f"{path}:{number}: not a .ts header line: {line[:60]!r}")
            key, *rest = line.split()
            key = key.lower()
            if key == "@classlabel":
                has_labels = bool(rest) and rest[0].lower() == "true"
                declared = rest[1:] if has_labels else None
            elif key == "@data":
                in_data = True
            continue
        fields = line.split(":")
        if has_labels:
            label, fields = fields[-1].strip(), fields[:-1]
            if declared and label not in declared:
                raise DataError(f"{path}:{number}: class label {label!r} not in {declared}")
            labels.append(label)
        try:
            dims = [[float(v) for v in f.split(",")] for f in fields]
        except ValueError as err:
            raise DataError(f"{path}:{number}: a value that is not a number ({err})") from None
        rows.append(dims)
        if sum(len(d) for d in dims) > safety.LIMITS.array_elements:
            raise DataError(f"{path}:{number}: series over the element limit")
    if not in_data:
        raise DataError(f"{path}: no @data section: not a .ts file")
    if not rows:
        raise DataError(f"{path}: no series after @data")
    if pad_to is not None:
        for i, r in enumerate(rows):
            if max(len(d) for d in r) > pad_to:
                raise DataError(f"{path}: series {i} is longer than pad_to={pad_to}")
            rows[i] = [d + [d[-1]] * (pad_to - len(d)) for d in r]
    shapes = {(len(r), len(r[0])) for r in rows} | {(len(r), len(d)) for r in rows for d in r}
    if len(shapes) > 1:
        raise DataError(
            f"{path}: series of unequal lengths or dimensions {sorted(shapes)[:4]} "
            "(pass pad_to=LENGTH to pad them)"
        )
    x = np.transpose(np.asarray(rows, np.float32), (0, 2, 1))  # [N, C, T] -> [N, T, C]
    if not np.isfinite(x).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise DataError(f"{path}: missing or infinite values (first at {first})")
    if not has_labels:
        return x, None, None
    names = declared or sorted(set(labels))
    index = {name: i for i, name in enumerate(names)}
    return x, np.asarray([index[label] for label in labels], np.int64), list(names)


def ucr_folder(name: str) -> Path:
    """The folder of a dataset bundled in the installed ``aeon`` wheel (not imported).

    Raises:
        DataError: ``aeon`` is not installed (``pip install 'tfvae[series]'``), or it has no
            such dataset (the available names are listed).
    """
    spec = importlib.util.find_spec("aeon")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the UCR dataset {name!r} is read from the files inside the aeon wheel, and aeon "
            "is not installed: pip install 'tfvae[series]' (or pip install aeon)"
        )
    root = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    folder = root / name
    if not (folder / f"{name}_TRAIN.ts").is_file():
        available = sorted(p.name for p in root.iterdir() if (p / f"{p.name}_TRAIN.ts").is_file())
        raise DataError(f"aeon ships no UCR dataset {name!r}; available: {', '.join(available)}")
    return folder


def load_ucr(
    name: str,
) -> tuple[tuple[np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray | None], list[str]]:
    """``((x_train, y_train), (x_test, y_test), class_names)`` of a UCR dataset shipped in
    aeon's wheel; ``x: [N, T, C]`` float32 (the archive's own values; JapaneseVowels padded
    to 29 steps by repeating each series' last value)."""
    folder = ucr_folder(name)
    pad = _PAD_TO.get(name)
    x, y, names = read_ts(folder / f"{name}_TRAIN.ts", pad_to=pad)
    x_test, y_test, names_test = read_ts(folder / f"{name}_TEST.ts", pad_to=pad)
    if x_test.shape[1:] != x.shape[1:]:
        raise DataError(
            f"{name}: test series {x_test.shape[1:]} differ from training {x.shape[1:]}"
        )
    return (x, y), (x_test, y_test), list(names or names_test or [])
