"""The hidden "Lister" sheet: every dropdown's categories, reached through defined names.

A defined name (``=L_q01_koen``) rather than a direct cross-sheet range keeps the
validation intact when a file is later rewritten by openpyxl, and has no 255
character limit (see EXCEL-FACTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.workbook import Workbook

from sdexl import layout
from sdexl.generate.styles import Styles
from sdexl.survey.model import Survey

YES_LIST = "L_ja"  # the single "Ja" of the zero-cases statement
MARK_LIST = "L_x"  # the single "X" of a multiple-choice column
NO_UPPER_BOUND = 1e15  # stands for "no upper bound" in a band's max column


@dataclass(frozen=True)
class ListRef:
    name: str  # defined name of the labels
    min_name: str | None = None  # defined names of band bounds, when the categories have them
    max_name: str | None = None


def list_refs(survey: Survey) -> dict[str, ListRef]:
    """The defined names behind each single-choice question's dropdown."""
    refs = {}
    for q in survey.questions:
        if q.type == "single":
            name = layout.list_name(q.id)
            bounded = any(c.min is not None for c in q.choices)
            refs[q.id] = ListRef(name, f"{name}_min" if bounded else None, f"{name}_max" if bounded else None)
    return refs


def write_lists(wb: Workbook, survey: Survey, styles: Styles) -> None:
    ws = wb.add_worksheet(layout.LISTS_SHEET)
    col = 0
    col = _write_list(wb, ws, styles, col, YES_LIST, "ingen_sager", [layout.ZERO_CASES_YES])
    col = _write_list(wb, ws, styles, col, MARK_LIST, "multi", [layout.MULTI_MARK])
    for q in survey.questions:
        if q.type != "single":
            continue
        name = layout.list_name(q.id)
        col = _write_list(wb, ws, styles, col, name, q.id, q.labels)
        if any(c.min is not None for c in q.choices):
            col = _write_list(wb, ws, styles, col, f"{name}_min", f"{q.id} min", [c.min if c.min is not None else 0 for c in q.choices])
            col = _write_list(wb, ws, styles, col, f"{name}_max", f"{q.id} max",
                              [c.max if c.max is not None else NO_UPPER_BOUND for c in q.choices])
    ws.hide()
    ws.protect()


def _write_list(wb, ws, styles: Styles, col: int, name: str, header: str, values: list) -> int:
    ws.write_string(0, col, header, styles.bold)
    for row, value in enumerate(values, start=1):
        if isinstance(value, str):
            ws.write_string(row, col, value)
        else:
            ws.write_number(row, col, value)
    letter = layout.col_letter(col)
    wb.define_name(name, f"='{layout.LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}")
    ws.set_column(col, col, max(12, min(60, max(len(str(v)) for v in values))))
    return col + 1
