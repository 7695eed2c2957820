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
HEADER_ROWS = 3  # title, explanation, "Antal / Andel": repeated on every printed page
# Rows of 20 px that fit on one A4 landscape page at the fit-to-width scale (measured with
# LibreOffice and Carlito, Calibri's metric twin, so as in Excel: about 49), less a margin for
# labels that wrap onto two lines and the header rows repeated on each page.
PAGE_ROWS = 44
LABEL_CHARS = 80  # a longer label wraps onto a second line, which gets the height for it


def question_title(q: Question) -> str:
    """'Spørgsmål 3: Samlet udgift ...', or just the label of an unnumbered question (not "Bemærkninger: Bemærkninger")."""
    return f"{workbook_text.question_name(q)}: {q.label}" if q.number else q.label


class OverviewWriter:
    """Writes rows top-down and remembers where each keyed figure is."""

    def __init__(self, wb: Workbook, ws: Worksheet, styles: Styles):
        self.wb, self.ws, self.styles = wb, ws, styles
        self.row = 0
        self.page_start = 0  # first row of the current printed page
        self.breaks: list[int] = []
        self.tall: set[int] = set()  # rows of double height

    def keep_together(self, start: int) -> None:
        """The block from ``start`` to the current row prints on one page: break before it if needed."""
        height = self.row - self.page_start + sum(self.page_start <= r < self.row for r in self.tall)
        if height > PAGE_ROWS and start > self.page_start:
            self.breaks.append(start)
            self.page_start = start

    def ref(self, row: int, col: int = VALUE_COL) -> str:
        return f"${layout.col_letter(col)}${row + 1}"

    def heading(self, text: str, fmt=None) -> None:
        self.ws.write_string(self.row, LABEL_COL, text, fmt or self.styles.subtitle)
        self.row += 1

    def figure(self, label: str, formula: str, key: str, fmt=None, share: str | None = None) -> int:
        """One labelled formula with its key; returns its row."""
        row = self.row
        self.ws.write_string(row, LABEL_COL, label, self.styles.wrap)
        if len(label) > LABEL_CHARS:
            self.ws.set_row(row, 30)
            self.tall.add(row)
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
            # The count at the end of each bar, as a whole number: the chart is live, so no
            # axis unit chosen now fits every municipality, and a client's automatic unit
            # for small counts is 0,5 (a count axis reading 0 0,5 1 1,5).
            "data_labels": {"value": True, "num_format": "0"},
            "fill": {"color": "#2E75B6"},
        })
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # categories in the order of the list
        chart.set_x_axis({"min": 0, "num_format": "0", "label_position": "none", "major_gridlines": {"visible": False}})
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
    ws.set_row(0, 24)  # the 16 pt title
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
    w.ws.fit_to_pages(1, 0)  # fit to width: tables and charts side by side on each page
    w.ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.6)
    w.ws.repeat_rows(0, HEADER_ROWS - 1)
    w.ws.set_h_pagebreaks(w.breaks)  # between tables, never through one
    w.ws.set_header("&L&\"Calibri,Bold\"&A")
    w.ws.set_footer("&L&D&CSide &P af &N")


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
    """Errors (what harvest cannot use: must be corrected) apart from notes (read with a warning).

    The split follows the harvest catalogue (sdexl.messages): a missing required
    answer, an answer that is no category or number, and a broken rule are errors;
    a spelling harvest forgives, an answer to a skipped question and a personal
    field are notes, which never stop the status from saying "Klar til at sende".
    """
    w.heading("Kontrol")
    used = f"SUM({entry.helper_range('used')})"
    ranges = entry.ranges()
    cases = w.figure("Udfyldte sager (rækker i brug)", f"={used}", "check:cases")
    w.figure("Kommunen har angivet, at den ingen sager har", f'=IF({layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}","Ja","Nej")', "check:zero_cases")
    columns = list(entry.columns.values())
    invalid = [checks.invalid_total(ranges[col.key], col.question, entry.lists) for col in columns]
    normalised = [checks.normalised_total(ranges[col.key], col.question, entry.lists) for col in columns
                  if not col.question.personal]
    personal = [checks.normalised_total(ranges[col.key], col.question, entry.lists) for col in columns if col.question.personal]
    irrelevant = [checks.irrelevant_total(ranges, q) for q in survey.questions]
    w.ws.write_string(w.row, LABEL_COL, "Skal rettes, før I sender:", w.styles.bold)
    w.row += 1
    errors = [
        w.figure("Manglende svar på spørgsmål, der skal besvares (gule celler)", f"=SUM({entry.helper_range('missing')})", "check:missing"),
        w.figure("Ugyldige svar: ikke en svarmulighed eller uden for grænserne (røde celler)", _sum(invalid), "check:invalid"),
        w.figure("Rækker med et sagsnummer, der også står i en anden række (røde celler)",
                 f"=SUM({entry.helper_range('dup')})", "check:duplicate_refs"),
    ]
    for rule in survey.rules:
        if rule.kind == "band_matches_amount":
            formula = "=" + checks.band_rule_total(ranges, rule, survey.question(rule.band))
        elif rule.kind == "none_if_zero_cases":
            formula = f'=IF(AND({layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}",{used}>0),1,0)'
        else:
            continue
        errors.append(w.figure(f"Regel: {rule.description}", formula, f"rule:{rule.id}"))
    w.ws.write_string(w.row, LABEL_COL, "Bemærk (bliver læst, når vi modtager skemaet; ret dem gerne):", w.styles.bold)
    w.row += 1
    notes = [
        w.figure("Svar, der er stavet anderledes end på listen (fx store/små bogstaver, mellemrum, x i stedet for X)",
                 _sum(normalised), "check:normalised"),
        w.figure("Svar på spørgsmål, der skal springes over (grå celler); de bliver ikke brugt", _sum(irrelevant), "check:irrelevant"),
    ]
    if personal:
        notes.append(w.figure("Fødselsdatoer, der ikke er skrevet som en dato (kun til jeres eget overblik)", _sum(personal),
                              "check:personal"))
    error_total = "+".join(w.ref(r) for r in errors)
    note_total = "+".join(w.ref(r) for r in notes)
    zero = f'{layout.ZERO_CASES_NAME}="{layout.ZERO_CASES_YES}"'
    status = (
        f'=IF(AND({w.ref(cases)}=0,NOT({zero})),"Skemaet er ikke udfyldt endnu.",'
        f'IF({error_total}>0,"Ret de markerede celler, før I sender.",'
        f'IF({note_total}>0,"Klar til at sende. Se gerne bemærkningerne ovenfor.","Klar til at sende.")))'
    )
    w.figure("Status", status, "check:status", w.styles.bold)
    w.keep_together(HEADER_ROWS)


def _sum(expressions: list[str | None]) -> str:
    terms = [e for e in expressions if e]
    return "=" + ("+".join(terms) if terms else "0")


def _single_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    # TRIM: "Kvinde " counts as Kvinde, as harvest reads it ("=" already ignores case).
    counts = [f"SUMPRODUCT((TRIM({rng})=$A${{row}})*1)" for _ in q.labels]
    invalid = checks.invalid_total(rng, q, entry.lists)
    _category_table(w, q, q.labels, counts, entry, q.id, invalid=invalid)


def _multi_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    ranges = [entry.column_range(layout.multi_key(q.id, n)) for n in range(1, len(q.labels) + 1)]
    counts = [f"SUMPRODUCT({checks.tolerated_mark(rng)}*1)" for rng in ranges]
    # A case with one unreadable mark is an invalid answer, not an answered one.
    bad = "+".join(f"(LEN({rng})>0)*(1-{checks.tolerated_mark(rng)})" for rng in ranges)
    invalid = f"SUMPRODUCT((({bad})>0)*1)"
    any_filled = "SUMPRODUCT(((" + "+".join(f"LEN({rng})" for rng in ranges) + ")>0)*1)"
    _category_table(w, q, q.labels, counts, entry, q.id, answered_formula=f"{any_filled}-{invalid}", invalid=invalid)


def _category_table(w, q: Question, labels, count_formulas, entry: EntryInfo, qid: str, answered_formula: str | None = None,
                    invalid: str | None = None) -> None:
    """Counts per category, then answered + not answered + invalid = the cases in use."""
    header_row = w.row
    w.heading(question_title(q), w.styles.section)
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
    note = " (en sag kan have flere svar; andelene er af de besvarede sager)" if q.type == "multi" else " (andelene er af de besvarede)"
    w.figure(f"Besvaret i alt{note}", f"={answered}", f"answered:{qid}", w.styles.total)
    blank = f"=SUMPRODUCT(({entry.helper_range('used')}=1)*(" + _blank_test(q, entry) + "))"
    w.figure("Ikke besvaret (blandt udfyldte sager)", blank, f"blank:{qid}")
    w.figure("Ugyldige svar (røde celler: tælles ikke med ovenfor)", f"={invalid or 0}", f"invalid:{qid}")
    rows_used = w.row - header_row
    chart_rows = w.chart(f"{q.header} – antal sager", first, last, header_row)
    w.row = header_row + max(rows_used, chart_rows)
    w.keep_together(header_row)


def _blank_test(q: Question, entry: EntryInfo) -> str:
    if q.type == "multi":
        keys = [layout.multi_key(q.id, n) for n in range(1, len(q.labels) + 1)]
        return "(" + "+".join(f"LEN({entry.column_range(k)})" for k in keys) + ")=0"
    return f"LEN({entry.column_range(q.id)})=0"


def _number_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    start = w.row
    w.heading(question_title(q), w.styles.section)
    count = w.figure("Besvaret", f"=COUNT({rng})", f"number:{q.id}:count")
    c = w.ref(count)
    w.figure("Sum", f"=SUM({rng})", f"number:{q.id}:sum", w.styles.amount)
    w.figure("Gennemsnit", f'=IF({c}=0,"",AVERAGE({rng}))', f"number:{q.id}:mean", w.styles.amount)
    w.figure("Mindste", f'=IF({c}=0,"",MIN({rng}))', f"number:{q.id}:min", w.styles.amount)
    w.figure("Største", f'=IF({c}=0,"",MAX({rng}))', f"number:{q.id}:max", w.styles.amount)
    w.figure("Ugyldige svar (røde celler)", f"={checks.invalid_total(rng, q, entry.lists) or 0}", f"invalid:{q.id}")
    w.keep_together(start)


def _text_table(w: OverviewWriter, q: Question, entry: EntryInfo) -> None:
    rng = entry.column_range(q.id)
    start = w.row
    w.heading(question_title(q), w.styles.section)
    w.figure("Antal sager med tekst", f"=SUMPRODUCT((LEN({rng})>0)*1)", f"text:{q.id}:answered")
    w.keep_together(start)


# --- aggregate surveys ---------------------------------------------------------


def write_form_overview(wb: Workbook, survey: Survey, kommune: Municipality, styles: Styles, info: FormInfo) -> None:
    w = _setup(wb, survey, kommune, styles)
    _form_checks(w, survey, info)
    for section, questions in _number_sections(survey):
        w.row += 1
        subsets = _subsets(survey, questions)
        if subsets:
            _subset_table(w, section, questions, subsets, info)
        else:
            _sum_table(w, section, questions, info)
    _finish(w)


def _subsets(survey: Survey, questions: list[Question]) -> dict[str, str]:
    """Part -> whole for the section's questions that an at_most rule makes a subset of another one."""
    ids = {q.id for q in questions}
    return {r.part: r.whole for r in survey.rules if r.kind == "at_most" and r.part in ids and r.whole in ids}


def _value_formula(ref: str) -> str:
    """The number in an answer cell, also when typed as text (harvest reads it so), else empty."""
    return f'=IF(ISNUMBER({ref}),{ref},IF({checks.number_text(ref)},VALUE(TRIM({ref})),""))'


def _sum_table(w: OverviewWriter, section: str, questions: list[Question], info: FormInfo) -> None:
    """Parts of one whole (the bands, the exit reasons): each with its share of their sum."""
    header_row = w.row
    w.heading(section, w.styles.section)
    first = w.row
    total_row = first + len(questions)
    for q in questions:
        w.figure(q.short or q.label, _value_formula(info.ref(q.id)), f"value:{q.id}",
                 share=f'=IF(AND(ISNUMBER({w.ref(w.row)}),N({w.ref(total_row)})>0),{w.ref(w.row)}/{w.ref(total_row)},"")')
    last = w.row - 1
    if len(questions) > 1:
        w.figure("I alt (andelene er af dette tal)", f"=SUM({w.ref(first)}:{w.ref(last)})", f"sum:{questions[0].id}", w.styles.total)
        rows_used = w.row - header_row
        w.row = header_row + max(rows_used, w.chart(f"{section.rstrip(':')} – antal borgere", first, last, header_row))
    w.keep_together(header_row)


def _subset_table(w: OverviewWriter, section: str, questions: list[Question], subsets: dict[str, str], info: FormInfo) -> None:
    """A whole and the parts that are subsets of it (2 is a part of 1): no sum, each part as a share of its whole.

    Adding a subset to its whole counts its citizens twice (820 + 31 = 851), so the
    share is "31 af 820 = 3,8 %", written out as words as well.
    """
    header_row = w.row
    w.heading(section, w.styles.section)
    rows: dict[str, int] = {}
    for q in questions:
        rows[q.id] = w.figure(q.short or q.label, _value_formula(info.ref(q.id)), f"value:{q.id}")
    by_id = {q.id: q for q in questions}
    for part, whole in subsets.items():
        p, t = w.ref(rows[part]), w.ref(rows[whole])
        w.ws.write_formula(rows[part], SHARE_COL, f'=IF(AND(ISNUMBER({p}),N({t})>0),{p}/{t},"")', w.styles.percent, "")
        part_name, whole_name = by_id[part].short or by_id[part].label, by_id[whole].short or by_id[whole].label
        # FIXED(...,1,TRUE) then "," for ".": the same "3,8" in every locale (no thousands separator below 100 %).
        words = (f'=IF(AND(ISNUMBER({p}),N({t})>0),"{part_name} ("&{p}&") af {whole_name.lower()} ("&{t}&") = "'
                 f'&SUBSTITUTE(FIXED(100*{p}/{t},1,TRUE),".",",")&" %","")')
        w.ws.write_formula(w.row, LABEL_COL, words, w.styles.text, "")
        w.ws.write_formula(w.row, VALUE_COL, f'=IF(AND(ISNUMBER({p}),N({t})>0),{p}/{t},"")', w.styles.percent, "")
        w.ws.write_string(w.row, KEY_COL, f"share:{part}")
        w.row += 1
    w.keep_together(header_row)


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
    as_text = [form_checks.number_text_expr(q, info) for q in survey.questions]
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
    note = w.figure("Bemærk: tal skrevet som tekst (bliver læst som tal; ret dem gerne)", _count(as_text), "check:normalised")
    total = "+".join(w.ref(r) for r in rows)
    answers = ",".join(info.ref(q.id) for q in survey.questions)
    w.figure("Status", f'=IF(COUNTA({answers})=0,"Skemaet er ikke udfyldt endnu.",'
             f'IF({total}>0,"Ret de markerede felter, før I sender.",IF({w.ref(note)}>0,'
             f'"Klar til at sende. Se gerne bemærkningen ovenfor.","Klar til at sende.")))', "check:status", w.styles.bold)
    w.keep_together(HEADER_ROWS)


def _count(expressions: list[str | None]) -> str:
    terms = [f"({e})*1" for e in expressions if e]
    return "=" + ("+".join(terms) if terms else "0")
