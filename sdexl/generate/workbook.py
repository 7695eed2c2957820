"""One municipality's workbook, from survey definition to a protected .xlsx file.

Sheets, in the order a municipality meets them: Vejledning, the entry sheet
(Sager or Skema), Overblik; then the hidden Lister and the very hidden _sdexl.
The same writer makes feedback workbooks: ``prefill`` puts a municipality's
returned answers back, and ``problems`` marks cells and adds "Fejl og rettelser".
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sdexl import layout, messages
from sdexl.generate.entry import SHEET_PASSWORD, write_entry
from sdexl.generate.fastsheet import Workbook
from sdexl.generate.feedback_sheet import FEEDBACK_SHEET, write_feedback_sheet
from sdexl.generate.form import write_form
from sdexl.generate.guide import write_guide
from sdexl.generate.lists import list_refs, write_lists
from sdexl.generate.metadata import Metadata, protect_structure, write_atomically, write_metadata
from sdexl.generate.overview import write_case_overview, write_form_overview
from sdexl.generate.styles import Styles, make_styles
from sdexl.reference import Municipality
from sdexl.survey.model import Survey
from sdexl.workspace import Config

__all__ = ["FEEDBACK_SHEET", "Prefill", "Problem", "write_workbook"]

# User-supplied text must stay text: never a formula, a link or a number.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "in_memory": True}  # no temporary files: faster, and nothing left behind on a crash


@dataclass(frozen=True)
class Problem:
    """A problem to show in a feedback workbook.

    ``row`` is the 0-based index into ``Prefill.rows`` (None for the aggregate
    form or a problem with the whole file); ``key`` the column key (question id,
    or "<id>#<n>" for a multi category), None for a problem with the whole file.
    """

    message: str  # Danish, complete
    row: int | None = None
    key: str | None = None
    original_cell: str | None = None  # where it was in the returned file
    severity: str = "error"
    original_sheet: str | None = None  # the sheet it was on in the returned file (None: the entry sheet)
    # "fix": must be corrected (an error); "note": used as it was, nothing to do; "fixed": harvest
    # tolerated it and this workbook already holds the corrected value. Empty: from the severity.
    kind: str = ""
    code: str | None = None  # the catalogue code of the issue, when it came from harvest

    @property
    def action(self) -> str:
        return self.kind or ("fix" if self.severity == "error" else "note")


@dataclass
class Prefill:
    """Answers to put back into a workbook (feedback, tests, the demo)."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # case surveys: one dict per case, column key -> value
    form: dict[str, Any] = field(default_factory=dict)  # aggregate surveys: question id -> value
    zero_cases: bool = False
    problems: list[Problem] = field(default_factory=list)


def write_workbook(
    path: Path,
    survey: Survey,
    kommune: Municipality,
    meta: Metadata,
    config: Config,
    max_rows: int | None = None,
    prefill: Prefill | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    prefill = prefill or Prefill()
    rows = max_rows or config.round(survey.id).max_rows or survey.max_rows
    rows = max(rows, len(prefill.rows))
    buffer = io.BytesIO()
    wb = Workbook(buffer, WORKBOOK_OPTIONS)
    wb.set_properties({"title": survey.title, "subject": f"{kommune.name} ({kommune.code})", "author": config.sender.organisation,
                       "company": config.sender.organisation, "comments": "Lavet med sdexl"})
    styles = make_styles(wb)
    write_guide(wb, survey, kommune, config, styles)
    # Sheet order follows creation order, so the list sheet is written last;
    # the entry sheet only needs the names its dropdowns will point at.
    lists = list_refs(survey)
    if survey.kind == "cases":
        entry = write_entry(wb, survey, kommune, styles, lists, rows, prefill.rows, prefill.zero_cases)
        write_case_overview(wb, survey, kommune, styles, entry)
        problem_cells = _case_problem_cells(entry, prefill.problems)
    else:
        form = write_form(wb, survey, kommune, styles, lists, prefill.form)
        write_form_overview(wb, survey, kommune, styles, form)
        problem_cells = _form_problem_cells(form, prefill.problems)
    if prefill.problems:
        problems = _relocated(survey, prefill.problems, problem_cells)
        _mark_problems(wb, survey, styles, problem_cells, problems)
        _write_feedback_sheet(wb, survey, styles, problems, problem_cells)
    write_lists(wb, survey, styles)
    write_metadata(wb, meta, styles)
    wb.close()
    write_atomically(path, protect_structure(buffer.getvalue()))
    return path


def _case_problem_cells(entry, problems: list[Problem]) -> dict[int, tuple[int, int] | None]:
    cells = {}
    for i, p in enumerate(problems):
        if p.row is not None and p.key in entry.columns:
            cells[i] = (entry.first_row + p.row, entry.columns[p.key].index)
        else:
            cells[i] = None
    return cells


def _form_problem_cells(form, problems: list[Problem]) -> dict[int, tuple[int, int] | None]:
    return {i: (form.rows[p.key], layout.FORM_ANSWER_COL) if p.key in form.rows else None for i, p in enumerate(problems)}


def _relocated(survey: Survey, problems: list[Problem], cells) -> list[Problem]:
    """The problems with each message naming its cell in this workbook, not in the returned file.

    The answers are laid out in the template's places, so a cell can move (rows
    or columns inserted in the returned file); the message then names the new
    cell and adds "(celle E8 i den fil, I sendte)".
    """
    moved = []
    for i, p in enumerate(problems):
        cell = cells.get(i)
        if cell and p.original_cell:
            text = messages.relocate(p.message, p.original_sheet or survey.entry_sheet, p.original_cell,
                                     survey.entry_sheet, layout.cell_ref(*cell))
            p = replace(p, message=text)
        moved.append(p)
    return moved


def _mark_problems(wb, survey: Survey, styles: Styles, cells, problems: list[Problem]) -> None:
    """Orange cells to correct, keeping the value, with the message as a cell note; a note only for the rest.

    What harvest already corrected in this workbook is listed on the feedback sheet but not marked.
    """
    ws = wb.get_worksheet_by_name(survey.entry_sheet)
    notes: dict[tuple[int, int], list[str]] = {}
    to_fix: set[tuple[int, int]] = set()
    for i, cell in cells.items():
        if cell and problems[i].action != "fixed":
            notes.setdefault(cell, []).append(problems[i].message)
            if problems[i].action == "fix":
                to_fix.add(cell)
    for (row, col), texts in notes.items():
        if (row, col) in to_fix:
            # A conditional format wins over the cell format, so the orange mark is
            # a conditional format that always applies; it goes away with the edit.
            ws.conditional_format(row, col, row, col, {"type": "formula", "criteria": "=TRUE", "format": styles.feedback, "stop_if_true": True})
        ws.write_comment(row, col, "\n".join(texts)[:2000], {"x_scale": 3, "y_scale": 2})


def _write_feedback_sheet(wb, survey: Survey, styles: Styles, problems: list[Problem], cells) -> None:
    write_feedback_sheet(wb, survey, styles, problems, cells, SHEET_PASSWORD)
