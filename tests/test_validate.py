"""Validation of every cell, all problems in one pass (issue 3).

Surveys are tiny inline YAML definitions; returned rows are small tables:

    | row | sagsnr | koen    |
    | 7   | A1     | 'kvinde ' |

Cells are Python literals when they parse as one ('kvinde ' keeps its space,
2.0 is a number), else plain text; an empty cell is empty. Cell addresses follow
the generated layout, so ``ref(survey, "koen", 7)`` is where the answer sits.
Every expected message is the rendered catalogue entry, never copied text.
"""

from __future__ import annotations

import ast
import datetime as dt

import pytest
import yaml

from sdexl import layout, messages
from sdexl.harvest.validate import Cell, Row, question_ref, validate_cases, validate_form
from sdexl.harvest.values import CPR_MASK, number_from_text
from sdexl.survey.model import Survey

CASES = """
id: t-cases
title: Test
round: R1
kind: cases
reference_date: 2022-10-01
reference_text: 1. oktober 2022
purpose: p
definition: d
entry_sheet: Sager
questions:
  - {id: sagsnr, label: Sag nr., type: text, role: case_ref, required: true}
  - {id: navn, label: Navn, type: text, personal: true}
  - {id: fdato, label: Fødselsdato, type: date, personal: true}
  - {id: koen, number: "1", label: Køn, type: single, required: true, choices: [Mand, Kvinde, Andet]}
  - {id: koen_andet, number: 1a, label: "Andet: angiv", type: other_text, other_of: koen, other_choice: Andet}
  - {id: antal, number: "2", label: Antal botilbud, type: single, required: true, choices: ["1", "2", "3 eller flere"]}
  - {id: aarsag, number: "3", label: Årsag, type: single, required: true,
     relevant: {question: antal, not_in: ["1"]}, choices: [Flytning, Nej – pga. støtte, Område]}
  - {id: udgift, number: "4", label: Udgift, type: single, required: true,
     choices: [{label: "2-3 mio.", min: 2000000, max: 3000000}, {label: Over 3 mio., min: 3000000}]}
  - {id: beloeb, number: 4a, label: Beløb, type: amount, min: 2000000, max: 100000000}
  - {id: sek, number: "5", label: Sekundær, type: multi, choices: [STU, "§103", Ingen]}
  - {id: vikar, number: "6", label: Vikarer, type: single, choices: ["10%", "20%"]}
  - {id: personer, number: "7", label: Personer, type: integer, min: 0, max: 50}
  - {id: start, number: "8", label: Startdato, type: date}
  - {id: note, label: Bemærkninger, type: text}
rules:
  - {id: band, kind: band_matches_amount, band: udgift, amount: beloeb, description: Beløbet skal passe med intervallet.}
  - {id: zero, kind: none_if_zero_cases, description: Ingen rækker ved ingen sager.}
"""

FORM = """
id: t-form
title: Test
round: R1
kind: aggregate
reference_date: 2024-10-01
reference_text: oktober 2024
purpose: p
definition: d
entry_sheet: Skema
questions:
  - {id: a01_alle, number: "1", label: Alle, type: integer, required: true, min: 0}
  - {id: a02_over, number: "2", label: Over 2 mio., type: integer, required: true, min: 0, indicator: cases}
  - {id: a03a, number: 3a, label: Lav, type: integer, required: true, min: 0}
  - {id: a03b, number: 3b, label: Høj, type: integer, required: true, min: 0}
  - {id: a06, number: "6", label: Bemærkninger, type: text}
rules:
  - {id: at_most, kind: at_most, part: a02_over, whole: a01_alle, description: Højst alle.}
  - {id: sums, kind: sum_equals, parts: [a03a, a03b], whole: a02_over, description: Skal summe.}
"""

VALID = {"sagsnr": "A1", "koen": "Kvinde", "antal": "1", "udgift": "2-3 mio."}


def survey(text: str) -> Survey:
    return Survey.model_validate(yaml.safe_load(text))


S = survey(CASES)
F = survey(FORM)


def ref(s: Survey, key: str, row: int) -> str:
    index = next(c.index for c in layout.entry_columns(s) if c.key == key)
    return layout.cell_ref(row - 1, index)


def literal(text: str):
    text = text.strip()
    if not text:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def table(s: Survey, text: str) -> list[Row]:
    lines = [line.strip().strip("|").split("|") for line in text.strip().splitlines()]
    header = [h.strip() for h in lines[0]]
    rows = []
    for cells in lines[1:]:
        values = dict(zip(header, (literal(c) for c in cells)))
        number = values.pop("row")
        rows.append(Row(number, {k: Cell(v, ref(s, k, number)) for k, v in values.items()}))
    return rows


def row(number: int = 7, s: Survey = S, **answers) -> Row:
    """A row as read.py gives it: every column present, the given ones filled."""
    cells = {c.key: Cell(None, ref(s, c.key, number)) for c in layout.entry_columns(s)}
    cells.update({k: v if isinstance(v, Cell) else Cell(v, ref(s, k, number)) for k, v in answers.items()})
    return Row(number, cells)


def check(*rows: Row, zero=None, missing=frozenset(), s: Survey = S):
    zero_cell = Cell(zero, layout.cell_ref(layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL)) if zero else None
    return validate_cases(s, "Sager", list(rows), zero_cell, set(missing))


def codes(report) -> list[tuple[str, str | None]]:
    return [(i.code, i.cell) for i in report.issues]


def q(qid: str, s: Survey = S) -> str:
    return question_ref(s.question(qid))


# --- Clean answers -----------------------------------------------------------


def test_a_valid_row_has_no_issues_and_canonical_answers():
    report = check(row(**VALID, navn="Hans Hansen", fdato=dt.date(1980, 1, 2), **{"sek#1": None}))
    assert report.issues == []
    (rec,) = report.records
    assert rec.row == 7
    assert rec.answers["koen"] == "Kvinde" and rec.answers["sagsnr"] == "A1"
    assert set(rec.answers) == {q.id for q in S.questions if not q.personal}
    assert rec.error_questions == set()


def test_table_helper_reads_literals():
    (r,) = table(
        S,
        """
    | row | sagsnr | koen      | personer |
    | 9   | A1     | 'kvinde ' | 3.0      |
    """,
    )
    assert r.cells["koen"] == Cell("kvinde ", ref(S, "koen", 9))
    assert r.cells["personer"].value == 3.0


# --- Categories --------------------------------------------------------------


@pytest.mark.parametrize("typed", ["kvinde ", "KVINDE", "Kvinde\u00a0", " kvinde", "Ｋｖｉｎｄｅ"])
def test_category_spelling_is_forgiven_with_a_warning(typed):
    report = check(row(**{**VALID, "koen": typed}))
    (issue,) = report.issues
    assert (issue.code, issue.severity, issue.cell, issue.value) == ("category-normalised", "warning", "E7", typed)
    assert issue.message == messages.render(
        "category-normalised", sheet="Sager", cell="E7", case="A1", value=typed, canonical="Kvinde", question=q("koen")
    )
    assert report.records[0].answers["koen"] == "Kvinde"


def test_unicode_forms_and_dashes_match_the_label():
    nfd = "Omra\u030ade"  # å as a + combining ring, as pasted from some systems
    report = check(row(**{**VALID, "antal": "2"}, aarsag=nfd))
    assert [i.code for i in report.issues] == ["category-normalised"]
    assert report.records[0].answers["aarsag"] == "Område"
    report = check(row(**{**VALID, "antal": "2"}, aarsag="Nej - pga. støtte"))
    assert report.records[0].answers["aarsag"] == "Nej – pga. støtte"


def test_wrong_category_is_an_error_with_the_list_and_a_suggestion():
    report = check(row(**{**VALID, "koen": "Kvinda"}))
    (issue,) = report.issues
    assert issue.code == "not-a-category" and issue.severity == "error"
    assert issue.message == messages.render(
        "not-a-category",
        sheet="Sager",
        cell="E7",
        case="A1",
        value="Kvinda",
        question=q("koen"),
        choices="Mand, Kvinde, Andet",
        hint=messages.did_you_mean("'Kvinde'"),
    )
    rec = report.records[0]
    assert rec.answers["koen"] is None and "koen" in rec.error_questions


def test_numbers_in_category_columns_match_their_labels():
    # Excel turns a typed "2" into 2.0 and "10%" into 0.1.
    report = check(row(**{**VALID, "antal": 2.0, "aarsag": "Flytning"}, vikar=0.1))
    assert report.issues == []
    assert report.records[0].answers["antal"] == "2"
    assert report.records[0].answers["vikar"] == "10%"


# --- Multiple choice -----------------------------------------------------------


def test_multi_answer_is_labels_in_definition_order():
    report = check(row(**VALID, **{"sek#3": "X", "sek#1": "X"}))
    assert report.issues == []
    assert report.records[0].answers["sek"] == "STU" + layout.MULTI_SEPARATOR + "Ingen"


@pytest.mark.parametrize("mark", ["x", "1", 1.0, "ja", "Ja ", True])
def test_other_marks_count_with_a_warning(mark):
    report = check(row(**VALID, **{"sek#2": mark}))
    (issue,) = report.issues
    assert issue.code == "multi-mark-normalised" and issue.cell == ref(S, "sek#2", 7)
    assert issue.message == messages.render(
        "multi-mark-normalised",
        sheet="Sager",
        cell=issue.cell,
        case="A1",
        value=issue.value,
        choice="§103",
        question=q("sek"),
    )
    assert report.records[0].answers["sek"] == "§103"


def test_an_unreadable_mark_is_an_error_and_the_whole_answer_is_excluded():
    report = check(row(**VALID, **{"sek#1": "X", "sek#2": "nej"}))
    assert codes(report) == [("multi-mark-invalid", ref(S, "sek#2", 7))]
    assert report.records[0].answers["sek"] is None
    assert "sek" in report.records[0].error_questions


# --- Numbers and dates ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, number",
    [
        ("12", 12),
        ("1.234", 1234),
        ("2.500.000 kr.", 2500000),
        ("2,5", 2.5),
        ("2 500 000", 2500000),
        ("2,5 mio. kr.", 2500000),
        ("kr. 2.500.000,-", 2500000),
        ("1.234,5", 1234.5),
        ("2,500,000", 2500000),
        ("12.5", 12.5),
    ],
)
def test_numbers_typed_as_text(text, number):
    assert number_from_text(text) == number


@pytest.mark.parametrize("text", ["to", "12 stk. ca.", "", "1.2.3"])
def test_text_that_is_no_number(text):
    assert number_from_text(text) is None


def test_number_as_text_is_converted_with_a_warning():
    report = check(row(**VALID, beloeb="2.500.000 kr."))
    (issue,) = report.issues
    assert issue.code == "number-as-text" and issue.severity == "warning"
    assert issue.message == messages.render(
        "number-as-text",
        sheet="Sager",
        cell=ref(S, "beloeb", 7),
        case="A1",
        value="2.500.000 kr.",
        number="2.500.000",
        question=q("beloeb"),
    )
    assert report.records[0].answers["beloeb"] == 2500000


@pytest.mark.parametrize(
    "value, code",
    [
        ("mange", "not-a-number"),
        (2.5, "not-an-integer"),
        (-1, "below-min"),
        (51, "above-max"),
        ("60", "above-max"),
        (True, "not-a-number"),
    ],
)
def test_number_errors(value, code):
    report = check(row(**VALID, personer=value))
    assert code in [i.code for i in report.issues]
    issue = next(i for i in report.issues if i.code == code)
    assert issue.severity == "error" and issue.cell == ref(S, "personer", 7)
    assert report.records[0].answers["personer"] is None
    assert "personer" in report.records[0].error_questions


def test_range_message_names_the_limit():
    report = check(row(**VALID, personer=51))
    (issue,) = report.issues
    assert issue.message == messages.render(
        "above-max", sheet="Sager", cell=issue.cell, case="A1", value="51", limit="50", question=q("personer")
    )


def test_whole_numbers_come_back_as_int():
    report = check(row(**VALID, personer=3.0, beloeb=2500000.0))
    assert report.records[0].answers["personer"] == 3 and isinstance(report.records[0].answers["personer"], int)


@pytest.mark.parametrize("text", ["01-10-1980", "01.10.1980", "1980-10-01", "1/10/1980", "01-10-80"])
def test_dates_typed_as_text(text):
    report = check(row(**VALID, start=text))
    (issue,) = report.issues
    assert issue.code == "date-as-text"
    assert issue.message == messages.render(
        "date-as-text", sheet="Sager", cell=issue.cell, case="A1", value=text, date="01-10-1980", question=q("start")
    )
    assert report.records[0].answers["start"] == "1980-10-01"


def test_date_cells_and_serial_numbers():
    report = check(row(**VALID, start=dt.datetime(2020, 5, 1)))
    assert report.issues == [] and report.records[0].answers["start"] == "2020-05-01"
    report = check(row(**VALID, start=29495.0))
    assert [i.code for i in report.issues] == ["date-from-number"]
    assert report.records[0].answers["start"] == "1980-10-01"


def test_not_a_date():
    report = check(row(**VALID, start="31-02-2020"))
    assert codes(report) == [("not-a-date", ref(S, "start", 7))]


# --- Personal data and CPR numbers -----------------------------------------------


def test_personal_fields_never_reach_answers_issues_or_messages():
    report = check(row(**VALID, navn="Hans Hansen", fdato="32-13-1980"))
    (issue,) = report.issues
    assert issue.code == "personal-invalid" and issue.severity == "warning" and issue.value is None
    assert "32-13-1980" not in issue.message
    assert issue.message == messages.render(
        "personal-invalid", sheet="Sager", cell=ref(S, "fdato", 7), case="A1", question=q("fdato")
    )
    answers = report.records[0].answers
    assert "navn" not in answers and "fdato" not in answers
    assert "Hans" not in repr(report)


def test_a_row_with_only_personal_fields_is_no_case():
    report = check(row(**VALID), row(8, navn="Hans Hansen"))
    (issue,) = report.issues
    assert issue.code == "row-without-answers" and issue.row == 8
    assert issue.message == messages.render("row-without-answers", sheet="Sager", row=8, fields="Navn")
    assert len(report.records) == 1


@pytest.mark.parametrize("text", ["cpr 010180-1234 ok", "0101801234", "se 31128012345"[:-1]])
def test_cpr_numbers_in_free_text_are_masked(text):
    report = check(row(**VALID, note=text))
    (issue,) = report.issues
    assert issue.code == "cpr-masked" and issue.severity == "warning"
    kept = report.records[0].answers["note"]
    assert CPR_MASK in kept and not any(d in kept for d in ("1234",))
    assert "1234" not in issue.message and "1234" not in (issue.value or "")


def test_a_cpr_number_as_case_number_is_an_error_and_not_kept():
    report = check(row(**{**VALID, "sagsnr": 1501801234.0}))
    assert [i.code for i in report.issues] == ["case-ref-is-cpr"]
    assert report.records[0].answers["sagsnr"] is None
    assert "1234" not in report.issues[0].message and CPR_MASK not in report.issues[0].message


@pytest.mark.parametrize("text", ["sag 991399-1234", "tlf 12345678", "beløb 2500000000"])
def test_numbers_that_are_no_cpr_stay(text):
    report = check(row(**VALID, note=text))
    assert report.issues == [] and report.records[0].answers["note"] == text


# --- Relevance, required answers, other text -------------------------------------


def test_required_answers_only_where_relevant():
    report = check(row(sagsnr="A1", koen="Mand", antal="1", udgift="2-3 mio."))
    assert report.issues == []  # aarsag is skipped when antal is "1"
    report = check(row(sagsnr="A1", koen="Mand", antal="2", udgift="2-3 mio."))
    (issue,) = report.issues
    assert (issue.code, issue.cell) == ("required-missing", ref(S, "aarsag", 7))
    assert issue.message == messages.render(
        "required-missing",
        sheet="Sager",
        cell=issue.cell,
        case="A1",
        question=q("aarsag"),
        how="Vælg ét svar på listen.",
    )


def test_all_missing_answers_are_reported_at_once():
    report = check(row(sagsnr="A1", note="kun en note"))
    assert [i.code for i in report.issues] == ["required-missing"] * 3  # koen, antal, udgift; aarsag undecided
    assert {i.question_id for i in report.issues} == {"koen", "antal", "udgift"}


def test_an_irrelevant_answer_is_dropped_with_a_warning():
    report = check(row(**VALID, aarsag="Flytning"))
    (issue,) = report.issues
    assert (issue.code, issue.severity) == ("irrelevant-answer", "warning")
    assert issue.message == messages.render(
        "irrelevant-answer",
        sheet="Sager",
        cell=ref(S, "aarsag", 7),
        case="A1",
        question=q("aarsag"),
        value="Flytning",
        controller=q("antal"),
        controller_value="1",
    )
    assert report.records[0].answers["aarsag"] is None
    assert "aarsag" not in report.records[0].error_questions


def test_other_text_without_the_other_category():
    report = check(row(**VALID, koen_andet="nonbinær"))
    (issue,) = report.issues
    assert issue.code == "other-text-without-other"
    assert issue.message == messages.render(
        "other-text-without-other",
        sheet="Sager",
        cell=ref(S, "koen_andet", 7),
        case="A1",
        question=q("koen_andet"),
        value="nonbinær",
        controller=q("koen"),
        other="Andet",
    )
    assert report.records[0].answers["koen_andet"] is None  # dropped with the answer it elaborates
    kept = check(row(**{**VALID, "koen": "Andet"}, koen_andet="nonbinær"))
    assert kept.issues == [] and kept.records[0].answers["koen_andet"] == "nonbinær"


# --- Cross-field rules ---------------------------------------------------------


def test_amount_outside_the_chosen_band():
    report = check(row(**VALID, beloeb=3500000))
    (issue,) = report.issues
    assert issue.code == "rule-band-mismatch" and issue.cell == ref(S, "beloeb", 7)
    assert issue.message == messages.render(
        "rule-band-mismatch",
        sheet="Sager",
        cell=issue.cell,
        case="A1",
        amount="3.500.000",
        band_value="2-3 mio.",
        band=q("udgift"),
        description="Beløbet skal passe med intervallet.",
    )
    assert {"udgift", "beloeb"} <= report.records[0].error_questions
    assert check(row(**VALID, beloeb=2999999)).issues == []
    assert check(row(**{**VALID, "udgift": "Over 3 mio."}, beloeb=3000000)).issues == []


def form(**answers) -> dict[str, Cell]:
    rows = {qq.id: i + 4 for i, qq in enumerate(F.questions)}
    return {k: Cell(v, f"C{rows[k]}") for k, v in answers.items()}


def test_at_most_on_the_aggregate_form_excludes_both_counts():
    report = validate_form(F, "Skema", form(a01_alle=10, a02_over=12, a03a=6, a03b=6))
    (issue,) = report.issues
    assert issue.code == "rule-at-most"
    assert issue.message == messages.render(
        "rule-at-most",
        sheet="Skema",
        cell="C5",
        part=question_ref(F.question("a02_over")),
        part_value="12",
        whole=question_ref(F.question("a01_alle")),
        whole_value="10",
        description="Højst alle.",
    )
    (rec,) = report.records
    assert rec.row is None
    assert rec.error_questions == {"a01_alle", "a02_over"}


def test_sum_equals_excludes_the_parts_only():
    report = validate_form(F, "Skema", form(a01_alle=20, a02_over=12, a03a=5, a03b=6))
    (issue,) = report.issues
    assert issue.code == "rule-sum-equals"
    assert issue.message == messages.render(
        "rule-sum-equals",
        sheet="Skema",
        cell="C5",
        parts=messages.PHRASES["questions-numbered"].format(numbers="3a og 3b"),
        total="11",
        whole=question_ref(F.question("a02_over")),
        whole_value="12",
        description="Skal summe.",
    )
    assert report.records[0].answers["a02_over"] == 12
    assert report.records[0].error_questions == {"a03a", "a03b"}


def test_aggregate_zero_cases_is_the_count_zero():
    report = validate_form(F, "Skema", form(a01_alle=20, a02_over=0, a03a=0, a03b=0))
    assert report.issues == [] and report.zero_cases


def test_an_empty_form_is_one_error():
    report = validate_form(F, "Skema", form(a01_alle=None, a06="  "))
    assert codes(report) == [("empty-form", None)]
    assert report.issues[0].message == messages.render("empty-form", sheet="Skema")


# --- Case numbers, zero cases, empty files -------------------------------------------


def test_duplicate_case_numbers_are_errors_on_every_occurrence():
    report = check(
        row(7, **VALID), row(8, **VALID), row(9, **{**VALID, "sagsnr": "a1 "}), row(10, **{**VALID, "sagsnr": "B"})
    )
    dupes = [i for i in report.issues if i.code == "duplicate-case-ref"]
    assert [i.cell for i in dupes] == ["B7", "B8", "B9"]
    assert dupes[0].message == messages.render(
        "duplicate-case-ref", sheet="Sager", cell="B7", value="A1", others=messages.join_and(["8", "9"])
    )
    assert [r.answers["sagsnr"] for r in report.records] == [None, None, None, "B"]


def test_a_used_row_needs_a_case_number():
    report = check(row(**{k: v for k, v in VALID.items() if k != "sagsnr"}))
    (issue,) = report.issues
    assert issue.code == "case-ref-missing" and issue.cell == "B7"
    assert issue.message == messages.render("case-ref-missing", sheet="Sager", cell="B7", question=q("sagsnr"))


def test_zero_cases_stated():
    report = check(zero="Ja")
    assert report.issues == [] and report.zero_cases and report.records == []


def test_zero_cases_spelled_otherwise():
    report = check(zero="ja ")
    assert [i.code for i in report.issues] == ["zero-cases-normalised"] and report.zero_cases
    report = check(zero="måske")
    assert [i.code for i in report.issues] == ["zero-cases-invalid", "empty-file"] and not report.zero_cases


def test_zero_cases_and_filled_rows_contradict():
    report = check(row(**VALID), zero="Ja")
    (issue,) = report.issues
    assert issue.code == "zero-cases-with-rows" and issue.cell == "E2"
    assert issue.message == messages.render("zero-cases-with-rows", sheet="Sager", cell="E2", count=1)
    assert not report.zero_cases and len(report.records) == 1


def test_an_unfilled_file_is_not_zero_cases():
    report = check(row(7), row(8, sagsnr="  "))
    assert codes(report) == [("empty-file", None)]
    assert report.issues[0].message == messages.render("empty-file", sheet="Sager")
    assert not report.zero_cases


# --- Missing columns and formula errors -------------------------------------------------


def test_missing_columns_are_skipped_not_reported_per_row():
    report = check(row(sagsnr="A1", koen="Mand", antal="1"), missing={"udgift"})
    assert report.issues == []
    assert report.records[0].answers["udgift"] is None


def test_formula_error_cells():
    report = check(row(**VALID, personer=Cell(None, ref(S, "personer", 7), error="#N/A")))
    (issue,) = report.issues
    assert (issue.code, issue.value) == ("formula-error", "#N/A")
    assert issue.message == messages.render(
        "formula-error", sheet="Sager", cell=issue.cell, case="A1", value="#N/A", question=q("personer")
    )
    assert "personer" in report.records[0].error_questions


# --- The catalogue ------------------------------------------------------------------


class _Any(dict):
    def __missing__(self, key):
        return "…"


def test_every_catalogue_entry_renders_to_a_sentence():
    for code, entry in messages.CATALOGUE.items():
        assert entry.severity in ("error", "warning", "info"), code
        text = entry.template.format_map(_Any(how="Skriv et tal.", hint="", skipped=""))
        assert text.rstrip().endswith((".", "?")), code


def test_every_code_the_harvester_uses_is_in_the_catalogue():
    import re
    from pathlib import Path

    from sdexl import harvest

    used = set()
    for name in ("read.py", "validate.py", "values.py"):
        source = (Path(harvest.__file__).parent / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'add\(\s*"([a-z0-9-]+)"', source))
        used |= set(re.findall(r'\("([a-z0-9-]+)", \{', source))
    assert used and used <= set(messages.CATALOGUE), used - set(messages.CATALOGUE)


def test_render_rejects_unknown_codes():
    with pytest.raises(messages.UnknownMessage):
        messages.render("no-such-code")
