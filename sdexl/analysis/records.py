"""Making a snapshot's records table complete before anything reads it.

Harvest may hand over an empty table without columns (every participant said
"ingen sager"), integer codes, or leave out a question nobody answered. The
analysis reads columns by name, so every expected column is put in place here,
once, instead of guarding every read.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE, Snapshot


def expected_columns(snapshot: Snapshot) -> list[str]:
    survey = snapshot.survey
    columns = [KOMMUNEKODE] + ([CASE_REF] if survey.kind == "cases" else [])
    return columns + [q.id for q in survey.analysis_questions if q.role != "case_ref" and q.id not in columns]


def complete(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every expected column present and kommunekode as text."""
    records = snapshot.records.copy() if snapshot.records is not None else pd.DataFrame()
    for column in expected_columns(snapshot):
        if column not in records.columns:
            records[column] = pd.Series([None] * len(records), index=records.index, dtype=object)
    if len(records):
        records[KOMMUNEKODE] = [_code(v) for v in records[KOMMUNEKODE]]
    else:
        records[KOMMUNEKODE] = records[KOMMUNEKODE].astype(object)
    submissions = snapshot.submissions if snapshot.submissions is not None else pd.DataFrame()
    issues = snapshot.issue_counts if snapshot.issue_counts is not None else pd.DataFrame()
    return dataclasses.replace(
        snapshot,
        records=records,
        participants=[_code(c) for c in snapshot.participants],
        zero_cases=[_code(c) for c in snapshot.zero_cases],
        submissions=submissions,
        issue_counts=issues,
    )


def _code(value) -> str:
    """'101' for 101, 101.0 or '0101': the form the reference data uses."""
    text = str(value).strip()
    text = text.removesuffix(".0")
    return str(int(text)) if text.isdigit() else text
