"""Test helpers: fill a generated workbook as a municipality would, read figures back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from python_calamine import CalamineWorkbook

from sdexl import layout
from sdexl.generate.overview import KEY_COL, VALUE_COL


def fill_cases(path: Path, rows: list[dict[str, Any]], out: Path, zero_cases: bool = False, sheet: str = "Sager") -> Path:
    """Type answers into the entry rows with openpyxl, finding columns by the id row."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    ids = {ws.cell(layout.ID_ROW + 1, c).value: c for c in range(1, ws.max_column + 1)}
    for offset, answers in enumerate(rows):
        for key, value in answers.items():
            cell = ws.cell(layout.FIRST_DATA_ROW + 1 + offset, ids[key])
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text, even "=..."
    if zero_cases:
        ws.cell(layout.ZERO_CASES_ROW + 1, layout.ZERO_CASES_INPUT_COL + 1).value = layout.ZERO_CASES_YES
    wb.save(out)
    return out


def fill_form(path: Path, answers: dict[str, Any], out: Path, sheet: str = "Skema") -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    rows = {ws.cell(r, layout.FORM_ID_COL + 1).value: r for r in range(1, ws.max_row + 1)}
    for qid, value in answers.items():
        ws.cell(rows[qid], layout.FORM_ANSWER_COL + 1).value = value
    wb.save(out)
    return out


def overview_figures(path: Path) -> dict[str, Any]:
    """Key -> computed value from the Overblik sheet of a recalculated workbook."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.OVERVIEW_SHEET).to_python(skip_empty_area=False)
    return {row[KEY_COL]: row[VALUE_COL] for row in rows if len(row) > KEY_COL and row[KEY_COL]}
