"""Reading real generated workbooks after municipalities have been at them (issue 3).

Each test fills a workbook from ``sdexl generate`` the way a municipality does
(openpyxl here: moved, inserted and deleted columns, edited headers, pasted
values, rows below the template area) or resaves it in LibreOffice, and checks
what ``read_file`` makes of it. Expected messages are rendered from the catalogue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdexl import layout, messages
from sdexl.generate.run import generate_all
from sdexl.harvest.read import read_file
from sdexl.harvest.report import Identification
from sdexl.harvest.validate import question_ref
from sdexl.harvest.values import mask_cpr
from sdexl.survey.model import Survey
from sdexl.workspace import init_workspace
from tests.fill_helpers import (
    columns,
    convert,
    expected_answers,
    fill_cases,
    fill_form,
    form_rows,
    put,
    simple_valid_answers,
    valid_form,
)

IDENT = Identification(survey_id="sde-2022", kommunekode="101", source="metadata")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return init_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def cases(ws) -> tuple[Survey, Path]:
    return ws.survey("sde-2022"), generate_all(ws, "sde-2022", kommuner=["101"]).files[0]


@pytest.fixture(scope="module")
def form(ws) -> tuple[Survey, Path]:
    return ws.survey("sde-2024"), generate_all(ws, "sde-2024", kommuner=["147"]).files[0]


def read(path: Path, survey: Survey):
    return read_file(path, survey, IDENT)


def codes(report) -> list[str]:
    return [i.code for i in report.issues]


def q(survey: Survey, qid: str) -> str:
    return question_ref(survey.question(qid))


def two_cases(survey: Survey) -> tuple[list[dict], list[dict]]:
    """Two valid cases: (cells to type, answers expected back)."""
    a = simple_valid_answers(survey, "S1")
    b = {**simple_valid_answers(survey, "S2"), "q01_koen": "Kvinde", "q03_beloeb": 2100000, "bemaerkninger": "Ærø – ok"}
    from tests.fill_helpers import cell_values

    typed = [
        cell_values(a, survey) | {"navn": "Hans Hansen", "foedselsdato": dt.date(1980, 1, 2)},
        cell_values(b, survey),
    ]
    return typed, [expected_answers(survey, a), expected_answers(survey, b)]


def answers_of(report) -> list[dict]:
    return [r.answers for r in report.records]


# --- Clean returns -----------------------------------------------------------------


def test_an_unfilled_workbook_is_an_empty_file(cases):
    survey, blank = cases
    report = read(blank, survey)
    assert codes(report) == ["empty-file"]
    assert report.identification is IDENT


def test_a_clean_return_reads_back_exactly(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    report = read(fill_cases(blank, tmp_path / "r.xlsx", survey, typed), survey)
    assert report.issues == []
    assert answers_of(report) == expected
    assert [r.row for r in report.records] == [layout.FIRST_DATA_ROW + 1, layout.FIRST_DATA_ROW + 2]
    assert "Hans" not in repr(report)


def test_zero_cases_statement(cases, tmp_path):
    survey, blank = cases
    report = read(fill_cases(blank, tmp_path / "z.xlsx", survey, [], zero="Ja"), survey)
    assert report.issues == [] and report.zero_cases and report.records == []


def test_zero_cases_with_rows_is_an_error(cases, tmp_path):
    survey, blank = cases
    typed, _ = two_cases(survey)
    report = read(fill_cases(blank, tmp_path / "z.xlsx", survey, typed, zero="Ja"), survey)
    assert codes(report) == ["zero-cases-with-rows"]
    assert report.issues[0].cell == layout.cell_ref(layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL)


# --- Columns moved, inserted, deleted, renamed ---------------------------------------------


def swap_columns(ws, a: int, b: int) -> None:
    """Cut-and-paste two whole columns into each other's place (ids and headers travel along)."""
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        ca, cb = row[a], row[b]
        ca.value, cb.value = cb.value, ca.value


def test_moved_and_inserted_columns_are_found_by_id(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    cols = columns(survey)
    typed[1]["q02_alder"] = "26-35"  # a near miss, to see the cell address after the move

    def edit(ws):
        swap_columns(ws, cols["q01_koen"], cols["q25_fylder_kommunalbestyrelse"])
        ws.insert_cols(cols["q10_eneste_loesning"] + 1)  # a new column before question 10, with a header and data
        put(ws, layout.LABEL_ROW, cols["q10_eneste_loesning"], "Vores egen note")
        put(ws, layout.FIRST_DATA_ROW, cols["q10_eneste_loesning"], "intern")

    report = read(fill_cases(blank, tmp_path / "m.xlsx", survey, typed, edit=edit), survey)
    assert codes(report) == ["unknown-column", "not-a-category"]
    unknown, wrong = report.issues
    assert unknown.severity == "info" and unknown.value == "Vores egen note"
    assert wrong.cell == layout.cell_ref(layout.FIRST_DATA_ROW + 1, cols["q02_alder"])
    expected[1]["q02_alder"] = None
    assert answers_of(report) == expected
    assert report.records[1].error_questions == {"q02_alder"}


def test_edited_header_texts_do_not_matter(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)

    def edit(ws):
        for c in range(1, ws.max_column):
            put(ws, layout.LABEL_ROW, c, f"Kolonne {c}")
            put(ws, layout.NUMBER_ROW, c, "")

    report = read(fill_cases(blank, tmp_path / "h.xlsx", survey, typed, edit=edit), survey)
    assert report.issues == [] and answers_of(report) == expected


def test_a_missing_question_column_is_one_error_per_question(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    cols = columns(survey)

    def edit(ws):
        ws.delete_cols(cols["q10_eneste_loesning"] + 1)
        ws.delete_cols(cols["q06_sekundaer_paragraf#2"] + 1)  # one category of a multi question

    report = read(fill_cases(blank, tmp_path / "d.xlsx", survey, typed, edit=edit), survey)
    assert codes(report) == ["missing-question-column", "missing-question-column"]
    assert [i.question_id for i in report.issues] == ["q06_sekundaer_paragraf", "q10_eneste_loesning"]
    assert report.issues[1].message == messages.render(
        "missing-question-column", sheet="Sager", question=q(survey, "q10_eneste_loesning")
    )
    for rec, exp in zip(report.records, expected):
        assert rec.answers == exp | {"q06_sekundaer_paragraf": None, "q10_eneste_loesning": None}


def test_without_the_id_row_columns_are_found_by_header(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    cols = columns(survey)
    typed[0]["q02_alder"] = "99 år"

    def edit(ws):
        ws.delete_rows(layout.ID_ROW + 1)
        swap_columns(ws, cols["q01_koen"], cols["q14_sammen_med_andre"])
        put(ws, layout.LABEL_ROW, cols["q13_udadreagerende"], "Udad-reagerende")  # near miss: accepted
        put(ws, layout.LABEL_ROW, cols["q15_vikarer"], "Andel af vikarer")  # too far off: missing, with a hint

    report = read(fill_cases(blank, tmp_path / "i.xlsx", survey, typed, edit=edit), survey)
    assert codes(report) == [
        "id-row-missing",
        "header-near-miss",
        "missing-question-column",
        "unknown-column",
        "not-a-category",
    ]
    gone, near, missing, unknown, wrong = report.issues
    assert unknown.value == "Andel af vikarer" and unknown.severity == "info"
    assert gone.message == messages.render(
        "id-row-missing", sheet="Sager", expected_row=layout.ID_ROW + 1, row=layout.LABEL_ROW + 1
    )
    assert near.severity == "warning" and near.cell == layout.cell_ref(layout.LABEL_ROW, cols["q13_udadreagerende"])
    assert near.message == messages.render(
        "header-near-miss",
        sheet="Sager",
        cell=near.cell,
        value="Udad-reagerende",
        expected="Udadreagerende",
        question=q(survey, "q13_udadreagerende"),
    )
    assert missing.question_id == "q15_vikarer"
    assert missing.message == messages.render(
        "missing-question-column",
        sheet="Sager",
        question=q(survey, "q15_vikarer"),
        hint=messages.did_you_mean("'Andel af vikarer'"),
    )
    # Rows moved up by one: the addresses are those of the returned file.
    assert wrong.cell == layout.cell_ref(layout.FIRST_DATA_ROW - 1, cols["q02_alder"])
    assert [r.row for r in report.records] == [layout.FIRST_DATA_ROW, layout.FIRST_DATA_ROW + 1]
    assert report.records[1].answers == expected[1] | {"q15_vikarer": None}


def test_a_renamed_entry_sheet_is_found_by_its_id_row(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)

    def edit(ws):
        ws.title = "Vores sager"

    report = read(fill_cases(blank, tmp_path / "s.xlsx", survey, typed, edit=edit), survey)
    assert codes(report) == ["entry-sheet-renamed"]
    assert report.issues[0].message == messages.render("entry-sheet-renamed", sheet="Vores sager", expected="Sager")
    assert answers_of(report) == expected


def test_a_missing_entry_sheet_is_an_error(cases, tmp_path):
    survey, blank = cases
    wb = openpyxl.load_workbook(blank)
    del wb["Sager"]
    wb.save(tmp_path / "n.xlsx")
    report = read(tmp_path / "n.xlsx", survey)
    assert codes(report) == ["entry-sheet-missing"] and report.records == []


def test_an_unreadable_file_is_one_error(cases, tmp_path):
    survey, _ = cases
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook at all")
    report = read(bad, survey)
    assert codes(report) == ["unreadable-file"]
    assert report.issues[0].message.startswith(messages.render("unreadable-file", file="bad.xlsx", reason="X")[:20])


# --- Pasted values, added rows, formula errors -----------------------------------------------


def test_pasted_values_are_all_reported_at_their_cells(cases, tmp_path):
    survey, blank = cases
    typed, _ = two_cases(survey)
    cols = columns(survey)
    typed[0].update(
        {
            "q01_koen": "kvinde ",
            "q03_beloeb": "2.500.000 kr.",
            "q06_sekundaer_paragraf#2": "x",
            "q11_forhandling": "Måske",
            "bemaerkninger": "se 010180-1234",
        }
    )
    report = read(fill_cases(blank, tmp_path / "p.xlsx", survey, typed), survey)
    row = layout.FIRST_DATA_ROW
    got = [(i.code, i.cell) for i in report.issues]
    assert got == [
        ("category-normalised", layout.cell_ref(row, cols["q01_koen"])),
        ("number-as-text", layout.cell_ref(row, cols["q03_beloeb"])),
        ("multi-mark-normalised", layout.cell_ref(row, cols["q06_sekundaer_paragraf#2"])),
        ("not-a-category", layout.cell_ref(row, cols["q11_forhandling"])),
        ("cpr-masked", layout.cell_ref(row, cols["bemaerkninger"])),
        ("rule-band-mismatch", layout.cell_ref(row, cols["q03_beloeb"])),
    ]
    rec = report.records[0]
    assert rec.answers["q01_koen"] == "Kvinde"
    assert rec.answers["bemaerkninger"] == "se XXXXXX-XXXX"
    assert rec.error_questions == {"q11_forhandling", "q03_udgift", "q03_beloeb"}


def test_rows_added_below_the_template_area_are_read(cases, ws, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    far = layout.FIRST_DATA_ROW + survey.max_rows + 10
    path = fill_cases(blank, tmp_path / "b.xlsx", survey, typed[:1])
    fill_cases(path, path, survey, typed[1:], first_row=far)
    report = read(path, survey)
    assert report.issues == []
    assert [r.row for r in report.records] == [layout.FIRST_DATA_ROW + 1, far + 1]
    assert answers_of(report) == expected


def test_a_row_with_only_personal_fields_is_a_warning(cases, tmp_path):
    survey, blank = cases
    typed, _ = two_cases(survey)
    rows = typed[:1] + [{"navn": "Grethe", "foedselsdato": dt.date(1970, 5, 5)}]
    report = read(fill_cases(blank, tmp_path / "o.xlsx", survey, rows), survey)
    assert codes(report) == ["row-without-answers"]
    assert "Grethe" not in report.issues[0].message and len(report.records) == 1


def test_formula_error_cells_are_reported_in_xlsx(cases, tmp_path):
    survey, blank = cases
    typed, _ = two_cases(survey)
    cols = columns(survey)

    def edit(ws):
        cell = ws.cell(row=layout.FIRST_DATA_ROW + 1, column=cols["q03_beloeb"] + 1)
        cell.value = "#N/A"
        cell.data_type = "e"  # a cached error, as Excel saves a failed VLOOKUP

    report = read(fill_cases(blank, tmp_path / "e.xlsx", survey, typed, edit=edit), survey)
    assert codes(report) == ["formula-error"]
    issue = report.issues[0]
    assert issue.cell == layout.cell_ref(layout.FIRST_DATA_ROW, cols["q03_beloeb"]) and issue.value == "#N/A"
    assert "q03_beloeb" in report.records[0].error_questions


# --- The aggregate form ------------------------------------------------------------------


def test_a_clean_form_reads_back(form, tmp_path):
    survey, blank = form
    answers = valid_form(survey)
    report = read(fill_form(blank, tmp_path / "f.xlsx", survey, answers), survey)
    assert report.issues == []
    (rec,) = report.records
    assert rec.answers == expected_answers(survey, answers)
    assert not report.zero_cases


def test_form_zero_cases_is_question_2_answered_0(form, tmp_path):
    survey, blank = form
    report = read(fill_form(blank, tmp_path / "f.xlsx", survey, valid_form(survey, over=0)), survey)
    assert report.issues == [] and report.zero_cases


def test_form_rows_moved_are_found_by_id(form, tmp_path):
    survey, blank = form
    answers = valid_form(survey)
    rows = form_rows(survey, blank)

    def edit(ws):
        a, b = rows["a03a_2_0_2_5"] + 1, rows["a04f_67_plus"] + 1
        for col in range(1, 6):
            x, y = ws.cell(row=a, column=col), ws.cell(row=b, column=col)
            x.value, y.value = y.value, x.value

    report = read(fill_form(blank, tmp_path / "f.xlsx", survey, answers, edit=edit), survey)
    assert report.issues == []
    assert report.records[0].answers == expected_answers(survey, answers)


def test_form_without_id_column_is_read_by_question_text(form, tmp_path):
    survey, blank = form
    answers = valid_form(survey)
    report = read(
        fill_form(blank, tmp_path / "f.xlsx", survey, answers, edit=lambda ws: ws.delete_cols(layout.FORM_ID_COL + 1)),
        survey,
    )
    assert codes(report) == ["form-id-column-missing"]
    assert report.records[0].answers == expected_answers(survey, answers)


def test_form_errors_and_missing_rows(form, tmp_path):
    survey, blank = form
    answers = valid_form(survey) | {"a03b_2_5_3_0": "to", "a01_botilbud_i_alt": "1.000"}
    rows = form_rows(survey, blank)
    report = read(
        fill_form(blank, tmp_path / "f.xlsx", survey, answers, edit=lambda ws: ws.delete_rows(rows["a06b_tiltag"] + 1)),
        survey,
    )
    assert codes(report) == ["missing-question-row", "number-as-text", "not-a-number"]
    assert report.issues[2].cell == layout.cell_ref(rows["a03b_2_5_3_0"], layout.FORM_ANSWER_COL)
    assert report.records[0].answers["a01_botilbud_i_alt"] == 1000


# --- LibreOffice ------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_libreoffice_resave_and_conversion_read_the_same(cases, tmp_path, fmt):
    survey, blank = cases
    typed, expected = two_cases(survey)
    src = fill_cases(blank, tmp_path / "lo.xlsx", survey, typed)
    out = convert(src, fmt, tmp_path / "out")
    report = read(out, survey)
    assert [i.code for i in report.issues if i.severity != "info"] == []
    assert answers_of(report) == expected


@pytest.mark.libreoffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_zero_cases_survive_conversion(cases, tmp_path, fmt):
    survey, blank = cases
    src = fill_cases(blank, tmp_path / "z.xlsx", survey, [], zero="Ja")
    report = read(convert(src, fmt, tmp_path / "out"), survey)
    assert report.zero_cases
    assert codes(report) == ["formula-errors-unchecked"]


@pytest.mark.libreoffice
def test_form_after_libreoffice_ods(form, tmp_path):
    survey, blank = form
    answers = valid_form(survey)
    report = read(convert(fill_form(blank, tmp_path / "f.xlsx", survey, answers), "ods", tmp_path / "out"), survey)
    assert report.records[0].answers == expected_answers(survey, answers)


# --- Round trip property ---------------------------------------------------------------------

# Letters (Danish and accented), digits, punctuation, en dash and spaces; a CPR-like
# digit run would be masked, so such texts are not "valid answers".
_ALPHABET = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅéüö0123456789 .,;:!?'\"()/%&+–-=§"
_TEXT = (
    st.text(alphabet=_ALPHABET, min_size=1, max_size=20)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: t and not mask_cpr(t)[1])
)


@st.composite
def valid_case(draw, survey: Survey, ref: str) -> dict:
    """Any valid set of answers for one case: relevance, bands and 'Andet' respected."""
    answers: dict = {}
    for q in survey.questions:
        if q.personal:
            continue
        if q.role == "case_ref":
            answers[q.id] = ref
            continue
        if q.relevant is not None and not q.relevant.holds(answers.get(q.relevant.question)):
            continue
        value = draw(_answer(survey, q, answers))
        if value is not None:
            answers[q.id] = value
    return answers


def _answer(survey: Survey, q, answers: dict):
    """A valid answer to ``q``; None (unanswered) allowed unless it is required."""
    value = _value(survey, q, answers)
    if value is None:
        return st.none()
    return value if q.required else st.one_of(st.none(), value)


def _value(survey: Survey, q, answers: dict):
    if q.type == "single":
        return st.sampled_from(q.labels)
    if q.type == "multi":
        return st.lists(st.sampled_from(q.labels), unique=True, min_size=1).map(
            lambda chosen: layout.MULTI_SEPARATOR.join(label for label in q.labels if label in chosen)
        )
    if q.type == "other_text":
        return _TEXT if answers.get(q.other_of) == q.other_choice else None
    if q.type == "text":
        return _TEXT
    if q.type == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(dt.date.isoformat)
    low, high = int(q.min if q.min is not None else 0), int(q.max if q.max is not None else 10**9)
    for rule in survey.rules:
        if rule.kind == "band_matches_amount" and rule.amount == q.id and answers.get(rule.band):
            band = next(c for c in survey.question(rule.band).choices if c.label == answers[rule.band])
            low = max(low, int(band.min if band.min is not None else low))
            high = min(high, int(band.max - 1 if band.max is not None else high))
    return st.integers(low, high)


@st.composite
def valid_cases(draw, survey: Survey) -> list[dict]:
    n = draw(st.integers(1, 3))
    return [draw(valid_case(survey, f"S{i}")) for i in range(1, n + 1)]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_any_valid_answers_come_back_identical(cases, tmp_path, data):
    from tests.fill_helpers import cell_values

    survey, blank = cases
    cases_answers = data.draw(valid_cases(survey))
    path = fill_cases(blank, tmp_path / "h.xlsx", survey, [cell_values(a, survey) for a in cases_answers])
    report = read(path, survey)
    assert report.issues == []
    assert answers_of(report) == [expected_answers(survey, a) for a in cases_answers]


@pytest.mark.libreoffice
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_valid_answers_survive_a_libreoffice_resave(cases, tmp_path, data):
    from tests.fill_helpers import cell_values, require_soffice

    require_soffice()
    survey, blank = cases
    cases_answers = data.draw(valid_cases(survey))
    path = fill_cases(blank, tmp_path / "lo.xlsx", survey, [cell_values(a, survey) for a in cases_answers])
    report = read(convert(path, "xlsx", tmp_path / "resaved"), survey)
    assert report.issues == []
    assert answers_of(report) == [expected_answers(survey, a) for a in cases_answers]


# --- Robustness: copies of the entry sheet, junk, formulas ------------------------------------------


def test_a_copied_entry_sheet_is_read_too_with_a_warning_naming_it(cases, tmp_path):
    survey, blank = cases
    typed, expected = two_cases(survey)
    cols = columns(survey)

    def edit(ws):
        copy = ws.parent.copy_worksheet(ws)
        copy.title = "Sager (2)"
        for c in cols.values():
            copy.cell(row=layout.FIRST_DATA_ROW + 1, column=c + 1).value = None
        for key, value in typed[1].items():
            put(copy, layout.FIRST_DATA_ROW, cols[key], value)

    report = read(fill_cases(blank, tmp_path / "copy.xlsx", survey, typed[:1], edit=edit), survey)
    assert [r.answers for r in report.records] == expected
    extra = [i for i in report.issues if i.code == "extra-entry-sheet"]
    assert len(extra) == 1 and "Sager (2)" in extra[0].message and extra[0].severity == "warning"


def test_a_sheet_filled_with_junk_is_capped_in_rows_and_in_messages(cases, tmp_path):
    survey, blank = cases
    cols = columns(survey)
    n = 10 * survey.max_rows + 50

    def edit(ws):
        for r in range(n):
            ws.cell(row=layout.FIRST_DATA_ROW + r + 1, column=cols["sagsnr"] + 1).value = f"X{r}"
            ws.cell(row=layout.FIRST_DATA_ROW + r + 1, column=cols["q01_koen"] + 1).value = "Ukendt køn"

    report = read(fill_cases(blank, tmp_path / "junk.xlsx", survey, [], edit=edit), survey)
    assert "too-many-rows" in codes(report)
    assert len(report.records) <= 10 * survey.max_rows
    per_column: dict[tuple, int] = {}
    for i in report.issues:
        if i.cell:
            key = (i.code, i.cell.rstrip("0123456789"))
            per_column[key] = per_column.get(key, 0) + 1
    assert max(per_column.values()) <= 20 and len(report.issues) < 1000, len(report.issues)
    summary = [i for i in report.issues if i.code == "more-issues"]
    letter = layout.col_letter(cols["q01_koen"])
    assert any(f"kolonne {letter}" in i.message for i in summary)


def test_a_formula_in_an_answer_cell_is_a_warning(cases, tmp_path):
    survey, blank = cases
    typed, _ = two_cases(survey)
    cols = columns(survey)

    def edit(ws):
        ws.cell(row=layout.FIRST_DATA_ROW + 2, column=cols["q03_beloeb"] + 1).value = "=1000000+100000"

    report = read(fill_cases(blank, tmp_path / "f.xlsx", survey, typed, edit=edit), survey)
    found = [i for i in report.issues if i.code == "formula-in-answer"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert found[0].cell == layout.cell_ref(layout.FIRST_DATA_ROW + 1, cols["q03_beloeb"])
