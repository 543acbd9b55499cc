"""Tables: CSV and Parquet files (through pandas) with numeric and categorical columns.

A :class:`TableSchema` fitted on the training table encodes rows as one vector each: the
numeric columns first (as they are; the model standardises them), then a one-hot block per
categorical column. Models trained on such vectors get a categorical likelihood per one-hot
block and a real-valued one for the numeric part (the layout of TVAE in SDV), and
:meth:`TableSchema.decode` turns generated vectors back into a DataFrame with the original
column names, order, dtypes and categories. pandas (and pyarrow for Parquet) are the optional
extra ``tfvae[tables]``, imported only when a table is read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from tfvae import safety
from tfvae.errors import DataError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def require_pandas() -> Any:
    try:
        import pandas  # optional extra, imported only to read or write tables
    except ImportError as err:
        raise DataError("reading tables needs pandas: pip install 'tfvae[tables]'") from err
    return pandas


def read_table(path: str | Path, max_bytes: int | None = None) -> Any:
    """A CSV or Parquet file as a ``pandas.DataFrame`` (a regular file within
    :attr:`tfvae.safety.Limits.data_bytes`, read from memory).

    Raises:
        DataError: another suffix, not a regular file, over the limit, unparsable.
    """
    import io

    pd = require_pandas()
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(f"{path}: a table must be .csv or .parquet")
    raw = safety.read_bytes(
        path,
        max_bytes or safety.LIMITS.data_bytes,
        "table",
        follow_symlinks=True,
        error=DataError,
    )
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(io.BytesIO(raw))
        return pd.read_parquet(io.BytesIO(raw))
    except Exception as err:  # pandas/pyarrow raise many types for a malformed file
        raise DataError(f"{path}: cannot parse the table ({type(err).__name__}: {err})") from None


@dataclasses.dataclass
class TableSchema:
    """How a table's columns become one float32 vector per row, and back.

    Attributes:
        columns: the feature columns in their original order.
        numeric: the numeric columns (first in the vector).
        categorical: ``{column: categories}`` (one-hot blocks after the numeric part, in
            ``columns`` order), categories as strings.
        dtypes: ``{column: dtype name}`` restored by :meth:`decode`.
    """

    columns: list[str]
    numeric: list[str]
    categorical: dict[str, list[str]]
    dtypes: dict[str, str]

    @property
    def categorical_sizes(self) -> tuple[int, ...]:
        """The one-hot block sizes, in vector order (``config.categorical_sizes``)."""
        return tuple(len(self.categorical[c]) for c in self.columns if c in self.categorical)

    @property
    def width(self) -> int:
        """D: the vector length."""
        return len(self.numeric) + sum(self.categorical_sizes)

    @classmethod
    def fit(
        cls, frame: Any, categorical: list[str] | None = None, name: str = "table"
    ) -> TableSchema:
        """Infer the schema: numeric dtypes are numeric, ``object``/``category``/``bool``/string
        columns are categorical only when listed in ``categorical`` or of dtype ``category``
        or ``bool`` (a text column is never guessed at).

        Raises:
            DataError: a column that is neither numeric nor declared categorical, a listed
                column that is missing, NaN in a column (named with its row).
        """
        pd = require_pandas()
        declared = list(categorical or [])
        missing = [c for c in declared if c not in frame.columns]
        if missing:
            raise DataError(f"{name}: categorical columns {missing} are not in the table")
        numeric, cats, dtypes = [], {}, {}
        for col in frame.columns:
            series = frame[col]
            dtypes[str(col)] = str(series.dtype)
            if series.isna().any():
                row = int(np.flatnonzero(series.isna().to_numpy())[0])
                raise DataError(f"{name}: column {col!r} has missing values (first at row {row})")
            if (
                col in declared
                or isinstance(series.dtype, pd.CategoricalDtype)
                or series.dtype == bool
            ):
                values = series.astype(str)
                if isinstance(series.dtype, pd.CategoricalDtype):
                    order = [str(c) for c in series.cat.categories]
                else:
                    order = sorted(values.unique())
                cats[str(col)] = order
            elif pd.api.types.is_numeric_dtype(series.dtype):
                numeric.append(str(col))
            else:
                raise DataError(
                    f"{name}: column {col!r} has dtype {series.dtype} (e.g. {series.iloc[0]!r}): "
                    "neither numeric nor declared categorical; pass categorical=[...] or drop it"
                )
        return cls([str(c) for c in frame.columns], numeric, cats, dtypes)

    def encode(self, frame: Any, name: str = "table") -> np.ndarray:
        """Rows as vectors ``[N, width]`` float32: numeric columns, then one-hot blocks.

        Raises:
            DataError: a missing column, NaN, a category not seen when the schema was fitted.
        """
        absent = [c for c in self.columns if c not in frame.columns]
        if absent:
            raise DataError(f"{name}: columns {absent} are missing")
        parts = []
        if self.numeric:
            block = frame[self.numeric].to_numpy(dtype=np.float64)
            if not np.isfinite(block).all():
                r, c = np.argwhere(~np.isfinite(block))[0]
                raise DataError(f"{name}: column {self.numeric[c]!r} has NaN/Inf at row {r}")
            parts.append(block)
        for col in self.columns:
            if col not in self.categorical:
                continue
            cats = self.categorical[col]
            values = frame[col].astype(str).to_numpy()
            index = {c: i for i, c in enumerate(cats)}
            unseen = [v for v in values if v not in index]
            if unseen:
                raise DataError(
                    f"{name}: column {col!r} has category {unseen[0]!r}, unseen in training "
                    f"(known: {cats[:10]})"
                )
            onehot = np.zeros((len(values), len(cats)))
            onehot[np.arange(len(values)), [index[v] for v in values]] = 1.0
            parts.append(onehot)
        return np.concatenate(parts, axis=1).astype(np.float32)

    def decode(self, x: Any, sample: bool = False, seed: int = 0) -> Any:
        """Vectors ``[N, width]`` (model outputs in data units: numeric values, then category
        probabilities per block) as a DataFrame with the original columns, order and dtypes;
        each category the block's most probable one, or drawn from it when ``sample``."""
        pd = require_pandas()
        x = np.asarray(x, np.float64)
        if x.ndim != 2 or x.shape[1] != self.width:
            raise DataError(f"TableSchema.decode: expected [N, {self.width}], got {x.shape}")
        rng = np.random.default_rng(seed)
        out: dict[str, Any] = {}
        for i, col in enumerate(self.numeric):
            out[col] = x[:, i]
        start = len(self.numeric)
        for col in self.columns:
            if col not in self.categorical:
                continue
            cats = self.categorical[col]
            probs = np.clip(x[:, start : start + len(cats)], 0.0, None)
            start += len(cats)
            if sample:
                probs = probs / np.maximum(probs.sum(1, keepdims=True), 1e-12)
                idx = (rng.random((len(probs), 1)) > np.cumsum(probs, 1)).sum(1)
                idx = np.minimum(idx, len(cats) - 1)
            else:
                idx = probs.argmax(1)
            out[col] = np.asarray(cats, dtype=object)[idx]
        frame = pd.DataFrame({c: out[c] for c in self.columns})
        for col, dtype in self.dtypes.items():
            if col in self.categorical:
                if dtype == "bool":
                    frame[col] = frame[col] == "True"
                elif dtype == "category":
                    frame[col] = pd.Categorical(frame[col], categories=self.categorical[col])
                else:
                    frame[col] = frame[col].astype(dtype if dtype != "object" else object)
            elif dtype.startswith(("int", "uint")):
                frame[col] = np.rint(frame[col]).astype(dtype)
            else:
                frame[col] = frame[col].astype(dtype)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableSchema:
        try:
            return cls(
                [str(c) for c in data["columns"]],
                [str(c) for c in data["numeric"]],
                {str(k): [str(v) for v in vals] for k, vals in data["categorical"].items()},
                {str(k): str(v) for k, v in data["dtypes"].items()},
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise DataError(f"not a table schema: {err}") from None


def table_arrays(
    frame: Any,
    label_column: str | None = None,
    columns: list[str] | None = None,
    categorical: list[str] | None = None,
    name: str = "table",
) -> tuple[np.ndarray, np.ndarray | None, TableSchema, list[str] | None]:
    """``(x [N, D], integer labels or None, schema, class names)`` of a DataFrame: the
    feature ``columns`` (default: all but the label) encoded by a fitted :class:`TableSchema`."""
    if label_column is not None and label_column not in frame.columns:
        raise DataError(f"{name}: label column {label_column!r} not in {list(frame.columns)[:20]}")
    features = list(columns) if columns else [c for c in frame.columns if c != label_column]
    absent = [c for c in features if c not in frame.columns]
    if absent:
        raise DataError(f"{name}: columns {absent} are not in the table")
    schema = TableSchema.fit(frame[features], categorical, name)
    x = schema.encode(frame[features], name)
    y = names = None
    if label_column is not None:
        labels = frame[label_column]
        if labels.isna().any():
            raise DataError(f"{name}: the label column {label_column!r} has missing values")
        names = sorted(labels.astype(str).unique())
        index = {n: i for i, n in enumerate(names)}
        y = np.asarray([index[v] for v in labels.astype(str)], np.int64)
    return x, y, schema, names


def to_frame(model: Any, x: Any, sample: bool = False, seed: int = 0) -> Any:
    """Vectors ``[N, D]`` of a table model (``model.generate(n)``, reconstructions) as a
    DataFrame, through the :class:`TableSchema` saved in ``model.config.table_schema``."""
    schema = getattr(getattr(model, "config", None), "table_schema", None)
    if not schema:
        raise DataError("this model was not trained on a table (its config has no table_schema)")
    return TableSchema.from_dict(schema).decode(x, sample=sample, seed=seed)
