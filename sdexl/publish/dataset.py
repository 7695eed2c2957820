"""The harvested answers as a flat data set: data.csv and data.parquet.

One row per accepted case (case surveys) or per municipality (aggregate
surveys): kommunekode, kommune, kkr, the case reference, then one column per
analysis question id. Personal questions are never in the snapshot; free text
is kept but CPR-like numbers are masked, as everywhere that text leaves sdexl.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sdexl import atomic
from sdexl.analysis.records import complete
from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE, Snapshot
from sdexl.analysis.tables import KKR, KOMMUNE, present, with_places
from sdexl.publish.masking import mask_cpr
from sdexl.survey.model import TEXT_TYPES


def dataset(snapshot: Snapshot) -> pd.DataFrame:
    """The analysis-safe records with place columns, in a fixed column order."""
    survey = snapshot.survey
    questions = [q for q in survey.analysis_questions if q.role != "case_ref"]
    columns = [KOMMUNEKODE, KOMMUNE, KKR]
    if survey.kind == "cases":
        columns.append(CASE_REF)
    frame = with_places(complete(snapshot).records)
    for q in questions:
        if q.id not in frame.columns:
            frame[q.id] = None
        if q.type in TEXT_TYPES:
            frame[q.id] = [mask_cpr(v) if present(v) else None for v in frame[q.id]]
        elif q.type == "integer":
            frame[q.id] = pd.array([int(v) if present(v) else None for v in frame[q.id]], dtype="Int64")
    if CASE_REF in frame.columns:
        frame[CASE_REF] = [mask_cpr(str(v)) if present(v) else None for v in frame[CASE_REF]]
    frame = frame[columns + [q.id for q in questions]]
    return frame.sort_values([KOMMUNEKODE] + ([CASE_REF] if CASE_REF in columns else []), key=_sort_key).reset_index(
        drop=True
    )


def _sort_key(column: pd.Series) -> pd.Series:
    if column.name == KOMMUNEKODE:
        return column.astype(int)
    return column.astype(str)


def write_dataset(snapshot: Snapshot, folder: Path) -> list[Path]:
    """data.csv (UTF-8, comma-separated) and data.parquet when pyarrow is installed."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = dataset(snapshot)
    csv_path = folder / "data.csv"
    with atomic.atomic_path(csv_path) as temp:  # whole or not at all, as every output
        _for_csv(frame).to_csv(temp, index=False, encoding="utf-8")
    written = [csv_path]
    try:
        import pyarrow  # noqa: F401 - optional dependency
    except ImportError:
        return written
    parquet_path = folder / "data.parquet"
    with atomic.atomic_path(parquet_path) as temp:
        _for_parquet(frame).to_parquet(temp, index=False)
    written.append(parquet_path)
    return written


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """Text a spreadsheet would run as a formula gets a leading ' (CSV only; parquet keeps the text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if not pd.api.types.is_numeric_dtype(out[name]):
            out[name] = out[name].astype(object).map(csv_safe)
    return out


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding only text become strings so Arrow types them plainly."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object:
            values = [v for v in out[name] if present(v)]
            if all(isinstance(v, str) for v in values):
                out[name] = out[name].astype("string")
            elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                out[name] = pd.to_numeric(out[name])
    return out
