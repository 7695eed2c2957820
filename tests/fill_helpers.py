"""Filling generated workbooks the way a municipality does, for the read and feedback tests.

openpyxl edits a generated workbook like a person in Excel would (it drops the
overview charts, which harvest never reads). LibreOffice converts and resaves.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sdexl import layout
from sdexl.survey.model import Survey

SOFFICE = shutil.which("soffice")


def require_soffice() -> str:
    """Skip without LibreOffice, except in CI, where a missing soffice is a failure."""
    if SOFFICE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def convert(src: Path, fmt: str, outdir: Path) -> Path:
    """soffice --convert-to, with a private profile so parallel runs do not share a lock."""
    soffice = require_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    profile = f"file:///tmp/lo_prof_sdexl_tests_{os.getpid()}"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


def columns(survey: Survey) -> dict[str, int]:
    return {c.key: c.index for c in layout.entry_columns(survey)}


def put(ws, row: int, col: int, value: Any) -> None:
    """Zero-based row/col. Text stays text (openpyxl would make '=...' a formula)."""
    cell = ws.cell(row=row + 1, column=col + 1)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        cell.number_format = "DD-MM-YYYY"


def cell_values(answers: dict[str, Any], survey: Survey) -> dict[str, Any]:
    """Canonical answers (question id -> value) as the cells a person fills (column key -> value)."""
    cells: dict[str, Any] = {}
    for q in survey.questions:
        value = answers.get(q.id)
        if value is None:
            continue
        if q.type == "multi":
            chosen = value.split(layout.MULTI_SEPARATOR)
            for n, label in enumerate(q.labels, start=1):
                if label in chosen:
                    cells[layout.multi_key(q.id, n)] = layout.MULTI_MARK
        elif q.type == "date":
            cells[q.id] = dt.date.fromisoformat(value) if isinstance(value, str) else value
        else:
            cells[q.id] = value
    return cells


def fill_cases(
    src: Path,
    dst: Path,
    survey: Survey,
    rows: list[dict[str, Any]],
    zero: str | None = None,
    first_row: int = layout.FIRST_DATA_ROW,
    edit: Callable[[Any], None] | None = None,
) -> Path:
    """Write rows (column key -> value) from ``first_row`` down, then apply ``edit`` to the sheet."""
    wb = openpyxl.load_workbook(src)
    ws = wb[survey.entry_sheet]
    cols = columns(survey)
    for offset, row in enumerate(rows):
        for key, value in row.items():
            put(ws, first_row + offset, cols[key], value)
    if zero is not None:
        put(ws, layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL, zero)
    if edit is not None:
        edit(ws)
    wb.save(dst)
    return dst


def form_rows(survey: Survey, src: Path) -> dict[str, int]:
    """Zero-based sheet row of each question on a generated form, read from its id column."""
    wb = openpyxl.load_workbook(src, read_only=True)
    ws = wb[survey.entry_sheet]
    rows = {}
    for r, row in enumerate(ws.iter_rows(values_only=True)):
        if len(row) > layout.FORM_ID_COL and row[layout.FORM_ID_COL] in {q.id for q in survey.questions}:
            rows[row[layout.FORM_ID_COL]] = r
    wb.close()
    return rows


def fill_form(
    src: Path, dst: Path, survey: Survey, answers: dict[str, Any], edit: Callable[[Any], None] | None = None
) -> Path:
    rows = form_rows(survey, src)
    wb = openpyxl.load_workbook(src)
    ws = wb[survey.entry_sheet]
    for qid, value in answers.items():
        put(ws, rows[qid], layout.FORM_ANSWER_COL, value)
    if edit is not None:
        edit(ws)
    wb.save(dst)
    return dst


def simple_valid_answers(survey: Survey, case_ref: str = "S1") -> dict[str, Any]:
    """A valid case: the first category of each required question that is asked."""
    answers: dict[str, Any] = {}
    for q in survey.questions:
        if q.personal:
            continue
        if q.role == "case_ref":
            answers[q.id] = case_ref
            continue
        if q.relevant is not None and not q.relevant.holds(answers.get(q.relevant.question)):
            continue
        if q.required and q.is_choice:
            answers[q.id] = q.labels[0]
    return answers


def expected_answers(survey: Survey, answers: dict[str, Any]) -> dict[str, Any]:
    """What Record.answers holds for ``answers``: every non-personal question, None when unanswered."""
    return {q.id: answers.get(q.id) for q in survey.questions if not q.personal}


def valid_form(survey: Survey, over: int = 6) -> dict[str, Any]:
    """A consistent aggregate form: all bands in the first category, exit reasons empty."""
    answers: dict[str, Any] = {}
    first_of: set[str] = set()
    for q in survey.questions:
        if not q.required:
            continue
        if q.indicator in ("cost_band", "age_band"):
            answers[q.id] = over if q.indicator not in first_of else 0
            first_of.add(q.indicator)
        elif q.indicator == "cases":
            answers[q.id] = over
        else:
            answers[q.id] = over + 10
    return answers
