"""The live "Overblik" sheet: counts, charts and checks computed by formulas.

Every number here is a formula over the entry sheet, so a municipality sees its
own picture while it types. A hidden key column names each figure
("count:q01_koen:Kvinde", "check:missing"), so tests can compare the values a
real client computed with an independent count.
"""

from __future__ import annotations

import math

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from sdexl import layout, workbook_text
from sdexl.generate import checks
from sdexl.generate import form as form_checks
from sdexl.generate.entry import SHEET_PASSWORD, EntryInfo
from sdexl.generate.form import FormInfo
from sdexl.generate.styles import Styles
from sdexl.reference import Municipality
from sdexl.survey.model import Question, Survey

LABEL_COL, VALUE_COL, SHARE_COL, CHART_COL, KEY_COL = 0, 1, 2, 4, 12
ROW_HEIGHT_PX = 20


class OverviewWriter:
    """Writes rows top-down and remembers where each keyed figure is."""

    def __init__(self, wb: Workbook, ws: Worksheet, styles: Styles):
        self.wb, self.ws, self.styles = wb, ws, styles
        self.row = 0

    def ref(self, row: int, col: int = VALUE_COL) -> str:
        return f"${layout.col_letter(col)}${row + 1}"

    def heading(self, text: str, fmt=None) -> None:
        self.ws.write_string(self.row, LABEL_COL, text, fmt or self.styles.subtitle)
        self.row += 1

    def figure(self, label: str, formula: str, key: str, fmt=None, share: str | None = None) -> int:
        """One labelled formula with its key; returns its row."""
        row = self.row
        self.ws.write_string(row, LABEL_COL, label, self.styles.wrap)
        self.ws.write_formula(row, VALUE_COL, formula, fmt or self.styles.count, "")
        if share:
            self.ws.write_formula(row, SHARE_COL, share, self.styles.percent, "")
        self.ws.write_string(row, KEY_COL, key)
        self.row += 1
        return row

    def chart(self, title: str, first: int, last: int, anchor_row: int) -> int:
        """A bar chart of the value column for rows first..last; returns its height in rows."""
        sheet = layout.OVERVIEW_SHEET
        chart = self.wb.add_chart({"type": "bar"})
        chart.add_series({
            "categories": [sheet, first, LABEL_COL, last, LABEL_COL],
            "values": [sheet, first, VALUE_COL, last, VALUE_COL],
            "name": "Antal",
            # No data labels: LibreOffice reads a label without explicit
            # showCatName/showSerName as "show them", cluttering every bar.
            "fill": {"color": "#2E75B6"},
        })
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # categories in the order of the list
        chart.set_x_axis({"min": 0, "major_gridlines": {"visible": True}})
        height = max(220, 26 * (last - first + 1) + 90)
        self.ws.insert_chart(anchor_row, CHART_COL, chart, {"x_scale": 1.25, "y_offset": 2, "object_position": 1,
                                                             "y_scale": height / 288})
        return math.ceil(height / ROW_HEIGHT_PX) + 1


def _setup(wb: Workbook, survey: Survey, kommune: Municipality, styles: Styles) -> OverviewWriter:
    ws = wb.add_worksheet(layout.OVERVIEW_SHEET)
    ws.set_column(LABEL_COL, LABEL_COL, 75)
    ws.set_column(VALUE_COL, SHARE_COL, 11)
    ws.set_column(KEY_COL, KEY_COL, 30, None, {"hidden": True})
    ws.hide_gridlines(2)
    w = OverviewWriter(wb, ws, styles)
    w.heading(f"Overblik – {layout.kommune_caption(kommune.name, kommune.code)}", styles.title)
    w.heading(f"Tallene opdateres automatisk, mens I udfylder fanen {survey.entry_sheet}. De bygger kun på jeres egne svar.", styles.text)
    ws.write_string(w.row, VALUE_COL, "Antal", styles.bold)
    ws.write_string(w.row, SHARE_COL, "Andel", styles.bold)
    w.row += 1
    return w


def _finish(w: OverviewWriter) -> None:
    w.ws.protect(SHEET_PASSWORD, {"format_columns": True})
    w.ws.set_landscape()
    w.ws.set_paper(9)  # A4
    w.ws.fit_to_pages(1, 0)  # tables and charts side by side on each page


# --- case surveys --------------------------------------------------------------


def write_case_overview(wb: Workbook, survey: Survey, kommune: Municipality, styles: Styles, entry: EntryInfo) -> None:
    w = _setup(wb, survey, kommune, styles)
    _case_checks(w, survey, entry)
    for q in survey.questions:
        if q.personal or q.role == "case_ref":
            continue
        w.row += 1
        if q.type == "single":
            _single_table(w, q, entry)
        elif q.type == "multi":
            _multi_table(w, q, entry)
        elif q.is_number:
            _number_table(w, q, entry)
        else:
            _text_table(w, q, entry)
    _finish(w)


def _case_checks(w: OverviewWriter, survey: Survey, entry: EntryInfo) -> None:
    w.heading("Kontrol")
    used = f"SUM({entry.helper_range('used')})"
    ranges = entry.ranges()
    cases = w.figure("Udfyldte sager (rækker i brug)", f"={used}", "check:cases")
    w.figure("Kommunen har angivet, at den ingen sager har", f'=IF({layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}","Ja","Nej")', "check:zero_cases")
    invalid = [checks.invalid_total(ranges[col.key], col.question, entry.lists) for col in entry.columns.values()]
    irrelevant = [checks.irrelevant_total(ranges, q) for q in survey.questions]
    problem_rows = [
        w.figure("Manglende svar på spørgsmål, der skal besvares (gule celler)", f"=SUM({entry.helper_range('missing')})", "check:missing"),
        w.figure("Ugyldige svar: ikke en svarmulighed eller uden for grænserne (røde celler)", _sum(invalid), "check:invalid"),
        w.figure("Svar på spørgsmål, der skal springes over (grå celler)", _sum(irrelevant), "check:irrelevant"),
    ]
    for rule in survey.rules:
        if rule.kind == "band_matches_amount":
            formula = "=" + checks.band_rule_total(ranges, rule, survey.question(rule.band))
        elif rule.kind == "none_if_zero_cases":
            formula = f'=IF(AND({layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}",{used}>0),1,0)'
        else:
            continue
        problem_rows.append(w.figure(f"Regel: {rule.description}", formula, f"rule:{rule.id}"))
    total = "+".join(w.ref(r) for r in problem_rows)
    zero = f'{layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}"'
    status = (
        f'=IF(AND({w.ref(cases)}=0,NOT({zero})),"Skemaet er ikke udfyldt endnu.",'
        f'IF({total}=0,"Klar til at sende.","Ret de markerede celler, før I sender."))'
    )
    w.figure("Status", status, "check:status", w.styles.bold)


def _sum(expressions: list[str | None]) -> str:
    terms = [e for e in expressions if e]
    return "=" + ("+".join(terms) if terms else "0")


def _single_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    _category_table(w, q, q.labels, [f"SUMPRODUCT(({rng}=$A${{row}})*1)" for _ in q.labels], entry, q.id)


def _multi_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    ranges = [entry.column_range(layout.multi_key(q.id, n)) for n in range(1, len(q.labels) + 1)]
    counts = [f'SUMPRODUCT((UPPER({rng})="{layout.MULTI_MARK}")*1)' for rng in ranges]
    answered = "SUMPRODUCT(((" + "+".join(f"LEN({rng})" for rng in ranges) + ")>0)*1)"
    _category_table(w, q, q.labels, counts, entry, q.id, answered_formula=answered)


def _category_table(w, q: Question, labels, count_formulas, entry: EntryInfo, qid: str, answered_formula: str | None = None) -> None:
    title = f"{workbook_text.question_name(q)}: {q.label}"
    header_row = w.row
    w.heading(title, w.styles.section)
    first = w.row
    total_row = first + len(labels)
    for label, formula in zip(labels, count_formulas):
        row = w.row
        w.ws.write_string(row, LABEL_COL, label, w.styles.wrap)
        w.ws.write_formula(row, VALUE_COL, "=" + formula.format(row=row + 1), w.styles.count, "")
        w.ws.write_formula(row, SHARE_COL, f"=IF({w.ref(total_row)}=0,\"\",{w.ref(row)}/{w.ref(total_row)})", w.styles.percent, "")
        w.ws.write_string(row, KEY_COL, f"count:{qid}:{label}")
        w.row += 1
    last = w.row - 1
    answered = answered_formula or f"SUM({w.ref(first)}:{w.ref(last)})"
    note = " (en sag kan have flere svar)" if q.type == "multi" else ""
    w.figure(f"Besvaret i alt{note}", f"={answered}", f"answered:{qid}", w.styles.total)
    blank = f"=SUMPRODUCT(({entry.helper_range('used')}=1)*(" + _blank_test(q, entry) + "))"
    w.figure("Ikke besvaret (blandt udfyldte sager)", blank, f"blank:{qid}")
    rows_used = w.row - header_row
    chart_rows = w.chart(workbook_text.question_name(q), first, last, header_row)
    w.row = header_row + max(rows_used, chart_rows)


def _blank_test(q: Question, entry: EntryInfo) -> str:
    if q.type == "multi":
        keys = [layout.multi_key(q.id, n) for n in range(1, len(q.labels) + 1)]
        return "(" + "+".join(f"LEN({entry.column_range(k)})" for k in keys) + ")=0"
    return f"LEN({entry.column_range(q.id)})=0"


def _number_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    w.heading(f"{workbook_text.question_name(q)}: {q.label}", w.styles.section)
    count = w.figure("Besvaret", f"=COUNT({rng})", f"number:{q.id}:count")
    c = w.ref(count)
    w.figure("Sum", f"=SUM({rng})", f"number:{q.id}:sum", w.styles.count)
    w.figure("Gennemsnit", f'=IF({c}=0,"",AVERAGE({rng}))', f"number:{q.id}:mean", w.styles.count)
    w.figure("Mindste", f'=IF({c}=0,"",MIN({rng}))', f"number:{q.id}:min", w.styles.count)
    w.figure("Største", f'=IF({c}=0,"",MAX({rng}))', f"number:{q.id}:max", w.styles.count)


def _text_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    w.heading(f"{workbook_text.question_name(q)}: {q.label}", w.styles.section)
    w.figure("Antal sager med tekst", f"=SUMPRODUCT((LEN({rng})>0)*1)", f"text:{q.id}:answered")


# --- aggregate surveys ---------------------------------------------------------


def write_form_overview(wb: Workbook, survey: Survey, kommune: Municipality, styles: Styles, info: FormInfo) -> None:
    w = _setup(wb, survey, kommune, styles)
    _form_checks(w, survey, info)
    for section, questions in _number_sections(survey):
        w.row += 1
        header_row = w.row
        w.heading(section, styles.section)
        first = w.row
        total_row = first + len(questions)
        for q in questions:
            ref = info.ref(q.id)
            w.figure(q.short or q.label, f'=IF(ISNUMBER({ref}),{ref},"")', f"value:{q.id}",
                     share=f'=IF(AND(ISNUMBER({w.ref(w.row)}),N({w.ref(total_row)})>0),{w.ref(w.row)}/{w.ref(total_row)},"")')
        last = w.row - 1
        if len(questions) > 1:
            w.figure("I alt", f"=SUM({w.ref(first)}:{w.ref(last)})", f"sum:{questions[0].id}", styles.total)
            rows_used = w.row - header_row
            w.row = header_row + max(rows_used, w.chart(section, first, last, header_row))
    _finish(w)


def _number_sections(survey: Survey) -> list[tuple[str, list[Question]]]:
    sections: dict[str, list[Question]] = {}
    for q in survey.questions:
        if q.is_number:
            sections.setdefault(q.section or "Tal", []).append(q)
    return list(sections.items())


def _form_checks(w: OverviewWriter, survey: Survey, info: FormInfo) -> None:
    w.heading("Kontrol")
    missing = [form_checks.missing_expr(q, info) for q in survey.questions]
    invalid = [form_checks.invalid_expr(q, info) for q in survey.questions]
    rows = [
        w.figure("Manglende svar på spørgsmål, der skal besvares (gule felter)", _count(missing), "check:missing"),
        w.figure("Ugyldige svar: ikke et helt tal eller uden for grænserne (røde felter)", _count(invalid), "check:invalid"),
    ]
    for rule in survey.rules:
        expression = form_checks.rule_expr(rule, info)
        if expression:
            row = w.figure(f"Regel: {rule.description}", f"=IF({expression},1,0)", f"rule:{rule.id}")
            w.ws.write_formula(row, SHARE_COL, f'=IF({w.ref(row)}=1,"Stemmer ikke","OK")', w.styles.check, "")
            rows.append(row)
    total = "+".join(w.ref(r) for r in rows)
    w.figure("Status", f'=IF({total}=0,"Klar til at sende.","Ret de markerede felter, før I sender.")', "check:status", w.styles.bold)


def _count(expressions: list[str | None]) -> str:
    terms = [f"({e})*1" for e in expressions if e]
    return "=" + ("+".join(terms) if terms else "0")
