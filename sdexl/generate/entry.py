"""The case entry sheet ("Sager"): one row per citizen, one column per question.

Rows: title, the zero-cases statement, question numbers, question texts, and
the question ids harvest maps columns by; then ``max_rows`` input rows. Input
cells are unlocked, everything else is locked; the sheet allows sorting,
filtering and resizing columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sdexl import layout, workbook_text
from sdexl.generate import checks
from sdexl.generate.lists import MARK_LIST, YES_LIST, ListRef
from sdexl.generate.styles import Styles
from sdexl.reference import Municipality
from sdexl.survey.model import Question, Survey

SHEET_PASSWORD = "sdexl"  # guards against accidents, not people (documented in the README)
PROTECT_OPTIONS = {"sort": True, "autofilter": True, "format_columns": True, "format_rows": True}


@dataclass(frozen=True)
class EntryInfo:
    """What the overview needs to know about the entry sheet."""

    sheet: str
    columns: dict[str, layout.Column]
    helper_cols: dict[str, int]
    first_row: int
    last_row: int  # zero-based, inclusive: the template area
    zero_cases_cell: str  # A1 reference on the entry sheet
    lists: dict[str, ListRef]

    def column_range(self, key: str, extra_rows: int = 0) -> str:
        """Absolute range of one input column over the template area (plus extra rows)."""
        letter = layout.col_letter(self.columns[key].index)
        return f"'{self.sheet}'!${letter}${self.first_row + 1}:${letter}${self.last_row + 1 + extra_rows}"

    def ranges(self) -> dict[str, str]:
        """Column range by column key: what the overview's totals are computed over."""
        return {key: self.column_range(key) for key in self.columns}

    def helper_range(self, name: str) -> str:
        letter = layout.col_letter(self.helper_cols[name])
        return f"'{self.sheet}'!${letter}${self.first_row + 1}:${letter}${self.last_row + 1}"


def write_entry(
    wb: Workbook,
    survey: Survey,
    kommune: Municipality,
    styles: Styles,
    lists: dict[str, ListRef],
    max_rows: int,
    prefill: list[dict[str, Any]] | None = None,
    zero_cases: bool = False,
) -> EntryInfo:
    ws = wb.add_worksheet(survey.entry_sheet)
    columns = {c.key: c for c in layout.entry_columns(survey)}
    kontrol_col = layout.check_column(survey)
    helper_cols = {name: kontrol_col + 1 + i for i, name in enumerate(checks.HELPERS)}
    first, last = layout.FIRST_DATA_ROW, layout.FIRST_DATA_ROW + max_rows - 1
    info = EntryInfo(survey.entry_sheet, columns, helper_cols, first, last, layout.cell_ref(layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL), lists)

    _write_title(ws, survey, kommune, styles)
    _write_zero_cases(wb, ws, survey, styles, zero_cases)
    _write_headers(ws, columns, kontrol_col, helper_cols, styles)
    for col in columns.values():
        _format_column(ws, col, styles, first, last, lists)
    _write_row_numbers_and_checks(ws, survey, columns, lists, helper_cols, kontrol_col, first, last, styles)
    _conditional_formats(ws, survey, columns, lists, helper_cols, first, last, styles)
    if prefill:
        write_prefill(ws, columns, prefill, first, styles)

    ws.freeze_panes(first, layout.FIRST_QUESTION_COL + 1)
    ws.autofilter(layout.ID_ROW, 0, last, kontrol_col)
    ws.protect(SHEET_PASSWORD, PROTECT_OPTIONS)
    _print_setup(ws, kontrol_col)
    return info


def _write_title(ws: Worksheet, survey: Survey, kommune: Municipality, styles: Styles) -> None:
    caption = layout.kommune_caption(kommune.name, kommune.code)
    ws.write_string(layout.TITLE_ROW, 0, f"{survey.title} – {caption} – pr. {survey.reference_text}", styles.title)
    ws.set_row(layout.TITLE_ROW, 24)


def _write_zero_cases(wb: Workbook, ws: Worksheet, survey: Survey, styles: Styles, zero_cases: bool) -> None:
    row, col = layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL
    # The label fills the cells up to the answer cell, right-aligned and wrapped, so
    # it never runs into the answer; the answer cell has Excel's "Input" look.
    label = f"{layout.ZERO_CASES_LABEL} pr. {survey.reference_text}:"
    if col - 1 > layout.ZERO_CASES_LABEL_COL:
        ws.merge_range(row, layout.ZERO_CASES_LABEL_COL, row, col - 1, label, styles.label_right)
    else:
        ws.write_string(row, layout.ZERO_CASES_LABEL_COL, label, styles.label_right)
    ws.set_row(row, 32)
    if zero_cases:
        ws.write_string(row, col, layout.ZERO_CASES_YES, styles.input_marked)
    else:
        ws.write_blank(row, col, None, styles.input_marked)
    ws.write_string(row, col + 1, "Vælg Ja, hvis kommunen ingen borgere har, der opfylder definitionen. Lad ellers feltet stå tomt.", styles.check)
    ws.data_validation(row, col, row, col, {
        "validate": "list", "source": f"={YES_LIST}",
        "input_title": "Ingen sager", "input_message": "Vælg Ja, hvis kommunen ingen sager har. Udfyld så ingen rækker.",
        "error_title": "Ugyldigt svar", "error_message": "Vælg Ja eller lad feltet stå tomt.",
    })
    wb.define_name(layout.ZERO_CASES_NAME, f"='{survey.entry_sheet}'!${layout.col_letter(col)}${row + 1}")


def _write_headers(ws: Worksheet, columns: dict[str, layout.Column], kontrol_col: int, helper_cols: dict[str, int], styles: Styles) -> None:
    ws.write_string(layout.NUMBER_ROW, layout.ROW_NUMBER_COL, "", styles.header_number)
    ws.write_string(layout.LABEL_ROW, layout.ROW_NUMBER_COL, "Nr.", styles.header)
    ws.write_string(layout.ID_ROW, layout.ROW_NUMBER_COL, "id", styles.header_id)
    ws.set_column(layout.ROW_NUMBER_COL, layout.ROW_NUMBER_COL, 5)
    for col in columns.values():
        q = col.question
        ws.write_string(layout.NUMBER_ROW, col.index, q.number or "", styles.header_number)
        label = f"{q.header}: {col.choice}" if col.choice else q.header
        if q.required and not col.choice:
            label += " *"
        ws.write_string(layout.LABEL_ROW, col.index, label, styles.header)
        ws.write_string(layout.ID_ROW, col.index, col.key, styles.header_id)
        if q.label != q.header:
            ws.write_comment(layout.LABEL_ROW, col.index, f"{workbook_text.question_name(q)}: {q.label}", {"x_scale": 2, "y_scale": 1.2})
    ws.write_string(layout.NUMBER_ROW, kontrol_col, "", styles.header_number)
    ws.write_string(layout.LABEL_ROW, kontrol_col, "Manglende svar i rækken (opdateres automatisk)", styles.header)
    ws.write_string(layout.ID_ROW, kontrol_col, "_kontrol", styles.header_id)
    ws.set_column(kontrol_col, kontrol_col, 30)
    for name, index in helper_cols.items():
        ws.write_string(layout.ID_ROW, index, f"_{name}", styles.header_id)
    first_helper = min(helper_cols.values())
    ws.set_column(first_helper, max(helper_cols.values()), 6, None, {"hidden": True})
    ws.set_row(layout.LABEL_ROW, 90)
    ws.set_row(layout.ID_ROW, 11)


def _width(q: Question, col: layout.Column) -> float:
    if q.width:
        return q.width
    if col.choice:
        return max(6, min(14, len(col.choice) + 2))
    if q.type == "single":
        return max(12, min(36, max(len(label) for label in q.labels) * 0.9))
    if q.type in ("amount", "integer", "date"):
        return 14
    return 20


def _input_format(q: Question, styles: Styles):
    return {
        "amount": styles.input_amount,
        "integer": styles.input_int,
        "date": styles.input_date,
        "text": styles.input_text,
        "other_text": styles.input_text,
    }.get(q.type, styles.input)


def _format_column(ws: Worksheet, col: layout.Column, styles: Styles, first: int, last: int, lists: dict[str, ListRef]) -> None:
    q = col.question
    # The column's default format is unlocked input, so rows added below the
    # template area can be typed in too; header cells carry their own locked format.
    ws.set_column(col.index, col.index, _width(q, col), _input_format(q, styles))
    ws.data_validation(first, col.index, last, col.index, validation_options(q, lists))


def validation_options(q: Question, lists: dict[str, ListRef]) -> dict[str, Any]:
    options: dict[str, Any] = {
        "input_title": workbook_text.input_title(q),
        "input_message": workbook_text.input_message(q),
        "error_title": workbook_text.error_title(q),
        "error_message": workbook_text.error_message(q),
        "error_type": "stop",
    }
    if q.type == "single":
        options.update(validate="list", source=f"={lists[q.id].name}")
    elif q.type == "multi":
        options.update(validate="list", source=f"={MARK_LIST}")
    elif q.type in ("integer", "amount"):
        options.update(
            validate="integer" if q.type == "integer" else "decimal",
            criteria="between",
            minimum=q.min if q.min is not None else 0,
            maximum=q.max if q.max is not None else 1e12,
        )
    elif q.type == "date":
        options.update(validate="date", criteria="between", minimum=dt.date(1900, 1, 1), maximum=dt.date(2100, 12, 31))
    else:
        options.update(validate="any")
        for key in ("error_title", "error_message", "error_type"):
            options.pop(key)
    return options


def _write_row_numbers_and_checks(ws, survey, columns, lists, helper_cols, kontrol_col, first, last, styles) -> None:
    ref_key = survey.case_ref.id
    letter = layout.col_letter(columns[ref_key].index)
    ref_column = f"${letter}${first + 1}:${letter}${last + 1}"
    for row in range(first, last + 1):
        ws.write_number(row, layout.ROW_NUMBER_COL, row - first + 1, styles.locked_number)
        ctx = checks.RowContext(survey, columns, lists, row, helper_cols["used"])
        # Empty cached values: LibreOffice then computes the formulas on load
        # instead of showing a stale 0 (see EXCEL-FACTS.md).
        ws.write_formula(row, helper_cols["used"], checks.row_used(ctx), styles.locked_number, "")
        ws.write_formula(row, helper_cols["missing"], checks.row_missing(ctx), styles.locked_number, "")
        ws.write_formula(row, helper_cols["dup"], checks.row_duplicate_ref(ctx.ref(ref_key), ref_column), styles.locked_number, "")
        ws.write_formula(row, kontrol_col, checks.kontrol_text(row, helper_cols), styles.check, "")


def _conditional_formats(ws, survey, columns, lists, helper_cols, first, last, styles) -> None:
    """Mark problem cells as the municipality types: yellow missing, red invalid, grey skip."""
    ctx = checks.RowContext(survey, columns, lists, first, helper_cols["used"])
    for col in columns.values():
        q = col.question
        rules = [
            (checks.invalid_cell(ctx, q, col.key), styles.invalid),
            (checks.irrelevant(ctx, q), styles.irrelevant),
            (checks.missing(ctx, q), styles.missing),
        ]
        for rule in survey.rules:
            if rule.kind == "band_matches_amount" and q.id in (rule.band, rule.amount):
                rules.append((checks.rule_broken(ctx, rule), styles.invalid))
        if q.role == "case_ref":
            rules.append((f"${layout.col_letter(helper_cols['dup'])}{first + 1}=1", styles.invalid))
        for expression, fmt in rules:
            if expression:
                ws.conditional_format(first, col.index, last, col.index, {"type": "formula", "criteria": "=" + expression, "format": fmt})


def write_prefill(ws: Worksheet, columns: dict[str, layout.Column], rows: list[dict[str, Any]], first: int, styles: Styles) -> None:
    """Write answers into the entry rows (feedback workbooks and tests)."""
    for offset, answers in enumerate(rows):
        for key, value in answers.items():
            if key in columns and value is not None and value != "":
                write_value(ws, first + offset, columns[key].index, columns[key].question, value, styles)


def write_value(ws: Worksheet, row: int, col: int, q: Question, value: Any, styles: Styles) -> None:
    """One answer, typed: text always as text, never as a formula."""
    fmt = _input_format(q, styles)
    if isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(row, col, value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time()), styles.input_date)
    else:
        ws.write_string(row, col, str(value), fmt)


def _print_setup(ws: Worksheet, kontrol_col: int) -> None:
    # Too wide for one page: A3 landscape at 70 %, with the headers and the
    # case number repeated on every page, prints legibly across pages.
    ws.set_landscape()
    ws.set_paper(8)  # A3
    ws.set_print_scale(70)
    ws.repeat_rows(layout.NUMBER_ROW, layout.LABEL_ROW)
    ws.repeat_columns(layout.ROW_NUMBER_COL, layout.FIRST_QUESTION_COL)
    ws.set_header("&L&\"Calibri,Bold\"&A")
    ws.set_footer("&L&D&CSide &P af &N")
