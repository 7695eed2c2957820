"""The aggregate form ("Skema"): one question per row, the answer in column C.

Each row carries its question id in column E, and each answer cell has a
defined name ``q_<id>``, so harvest finds answers even if rows are moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlsxwriter.workbook import Workbook

from sdexl import layout, workbook_text
from sdexl.generate import checks
from sdexl.generate.entry import PROTECT_OPTIONS, SHEET_PASSWORD, validation_options, write_value
from sdexl.generate.lists import ListRef
from sdexl.generate.styles import Styles
from sdexl.reference import Municipality
from sdexl.survey.model import Question, Rule, Survey


@dataclass(frozen=True)
class FormInfo:
    sheet: str
    rows: dict[str, int]  # question id -> zero-based row of its answer

    def ref(self, qid: str, absolute: bool = True) -> str:
        row = self.rows[qid] + 1
        col = layout.col_letter(layout.FORM_ANSWER_COL)
        return f"'{self.sheet}'!${col}${row}" if absolute else f"{col}{row}"


def write_form(
    wb: Workbook,
    survey: Survey,
    kommune: Municipality,
    styles: Styles,
    lists: dict[str, ListRef],
    prefill: dict[str, Any] | None = None,
) -> FormInfo:
    ws = wb.add_worksheet(survey.entry_sheet)
    caption = layout.kommune_caption(kommune.name, kommune.code)
    ws.write_string(0, 0, f"{survey.title} – {caption}", styles.title)
    ws.set_row(0, 24)  # the 16 pt title, clear of the line below
    ws.write_string(1, 0, f"Opgøres pr. {survey.reference_text}. Felter med * skal udfyldes.", styles.text)
    headers = {layout.FORM_NUMBER_COL: "Nr.", layout.FORM_LABEL_COL: "Spørgsmål", layout.FORM_ANSWER_COL: layout.FORM_ANSWER_HEADER,
               layout.FORM_HELP_COL: "Hjælp", layout.FORM_ID_COL: layout.FORM_ID_HEADER}
    for col, text in headers.items():
        ws.write_string(layout.FORM_HEADER_ROW, col, text, styles.header)
    for col, width in ((0, 6), (1, 70), (2, 18), (3, 60), (4, 20)):
        ws.set_column(col, col, width)

    rows: dict[str, int] = {}
    row = layout.FORM_FIRST_ROW
    section = None
    for q in survey.questions:
        if q.section and q.section != section:
            section = q.section
            if len(section) > 60:  # wider than the question column: wrapped, on a row high enough for two lines
                ws.write_string(row, layout.FORM_LABEL_COL, section, styles.section_wrap)
                ws.set_row(row, 30)
            else:
                ws.write_string(row, layout.FORM_LABEL_COL, section, styles.section)
            row += 1
        _write_question(wb, ws, survey, q, row, styles, lists)
        if prefill and prefill.get(q.id) not in (None, ""):
            write_value(ws, row, layout.FORM_ANSWER_COL, q, prefill[q.id], styles)
        rows[q.id] = row
        row += 1
    info = FormInfo(survey.entry_sheet, rows)
    _conditional_formats(ws, survey, info, styles)
    ws.freeze_panes(layout.FORM_FIRST_ROW, 0)
    ws.protect(SHEET_PASSWORD, PROTECT_OPTIONS)
    ws.set_portrait()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(layout.FORM_HEADER_ROW, layout.FORM_HEADER_ROW)
    ws.set_header("&L&\"Calibri,Bold\"&A")
    ws.set_footer("&L&D&CSide &P af &N")
    return info


def _write_question(wb, ws, survey: Survey, q: Question, row: int, styles: Styles, lists) -> None:
    label = q.label + (" *" if q.required else "")
    ws.write_string(row, layout.FORM_NUMBER_COL, q.number or "", styles.bold)
    ws.write_string(row, layout.FORM_LABEL_COL, label, styles.wrap)
    answer_format = styles.input_text if q.type in ("text", "other_text") else styles.input_int if q.type == "integer" else styles.input
    ws.write_blank(row, layout.FORM_ANSWER_COL, None, answer_format)
    ws.write_string(row, layout.FORM_HELP_COL, workbook_text.input_message(q), styles.check)
    ws.write_string(row, layout.FORM_ID_COL, q.id, styles.header_id)
    ws.data_validation(row, layout.FORM_ANSWER_COL, row, layout.FORM_ANSWER_COL, validation_options(q, lists))
    wb.define_name(f"q_{q.id}", f"='{survey.entry_sheet}'!${layout.col_letter(layout.FORM_ANSWER_COL)}${row + 1}")
    if q.type in ("text", "other_text"):
        ws.set_row(row, 60)
    elif len(q.label) > 70:
        ws.set_row(row, 30)


def missing_expr(q: Question, info: FormInfo) -> str | None:
    return f"LEN({info.ref(q.id)})=0" if q.required else None


def invalid_expr(q: Question, info: FormInfo) -> str | None:
    """True when harvest cannot use the answer; a number typed as text is read (a warning), so it is checked as a number."""
    if not q.is_number:
        return None
    return checks.invalid_number(q, info.ref(q.id))


def number_text_expr(q: Question, info: FormInfo) -> str | None:
    """True when a number answer is typed as text that reads as a number (harvest: 'number-as-text')."""
    if not q.is_number:
        return None
    ref = info.ref(q.id)
    return f"AND(LEN({ref})>0,NOT(ISNUMBER({ref})),{checks.number_text(ref)})"


def rule_expr(rule: Rule, info: FormInfo) -> str | None:
    """True when a sheet-level rule is broken (only once all its numbers are given)."""
    if rule.kind == "sum_equals":
        parts = ",".join(info.ref(p) for p in rule.parts)
        whole = info.ref(rule.whole)
        return f"AND(COUNT({parts})={len(rule.parts)},ISNUMBER({whole}),SUM({parts})<>{whole})"
    if rule.kind == "at_most":
        part, whole = info.ref(rule.part), info.ref(rule.whole)
        return f"AND(ISNUMBER({part}),ISNUMBER({whole}),{part}>{whole})"
    return None


def _conditional_formats(ws, survey: Survey, info: FormInfo, styles: Styles) -> None:
    col = layout.FORM_ANSWER_COL
    for q in survey.questions:
        row = info.rows[q.id]
        for expression, fmt in ((invalid_expr(q, info), styles.invalid), (missing_expr(q, info), styles.missing)):
            if expression:
                ws.conditional_format(row, col, row, col, {"type": "formula", "criteria": "=" + expression, "format": fmt})
    for rule in survey.rules:
        expression = rule_expr(rule, info)
        if expression:
            for qid in rule.question_ids:
                row = info.rows[qid]
                ws.conditional_format(row, col, row, col, {"type": "formula", "criteria": "=" + expression, "format": styles.invalid})
