"""Feedback workbooks (issue 3): every issue listed, and a corrected workbook harvests cleanly.

The feedback workbook is the municipality's own workbook regenerated with the
same token, pre-filled with what they returned, problem cells marked, and a
sheet "Fejl og rettelser". These tests read it back with calamine, correct it
with openpyxl as a municipality would, and harvest it again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sdexl import layout, messages
from sdexl.generate.feedback_sheet import ACTION_ORDER, HEADER_ROW, action_label
from sdexl.generate.run import generate_all
from sdexl.generate.workbook import FEEDBACK_SHEET
from sdexl.harvest.feedback import feedback_path, write_feedback
from sdexl.harvest.read import read_file
from sdexl.harvest.report import Identification
from sdexl.reference import by_code
from sdexl.workspace import init_workspace
from tests.fill_helpers import (
    cell_values,
    columns,
    expected_answers,
    fill_cases,
    fill_form,
    form_rows,
    put,
    simple_valid_answers,
    valid_form,
)

TOKEN = "feedbacktoken01"
IDENT = Identification(survey_id="sde-2022", kommunekode="101", token=TOKEN, source="metadata")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    return init_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def cases(ws):
    return ws.survey("sde-2022"), generate_all(ws, "sde-2022", kommuner=["101"]).files[0]


@pytest.fixture(scope="module")
def form(ws):
    return ws.survey("sde-2024"), generate_all(ws, "sde-2024", kommuner=["101"]).files[0]


def feedback_rows(path: Path) -> list[dict]:
    """The listing on "Fejl og rettelser": one dict per issue."""
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(FEEDBACK_SHEET).to_python(skip_empty_area=False)
    header = grid[HEADER_ROW]
    return [dict(zip(header, row)) for row in grid[HEADER_ROW + 1:] if any(v != "" for v in row)]


def in_listed_order(ws, survey, report, path):
    """The report's issues in the order the feedback sheet lists them: to correct, notes, fixed by us."""
    from sdexl.harvest.feedback import build_prefill

    problems = build_prefill(survey, report, path).problems
    order = sorted(range(len(problems)), key=lambda i: ACTION_ORDER.index(problems[i].action))
    return [report.issues[i] for i in order], [problems[i] for i in order]


def metadata(path: Path) -> dict[str, str]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.META_SHEET).to_python()
    return {row[0]: row[1] for row in grid}


def cell_value(path: Path, sheet: str, ref: str):
    wb = openpyxl.load_workbook(path)
    return wb[sheet][ref].value


def returned_with_problems(survey, blank: Path, tmp_path: Path) -> tuple[Path, list[dict], list[dict]]:
    """Two cases with errors and warnings, one far below the template area, a moved column."""
    a, b = simple_valid_answers(survey, "S1"), simple_valid_answers(survey, "S2")
    typed = [
        cell_values(a, survey)
        | {
            "navn": "Hans Hansen",
            "foedselsdato": dt.date(1980, 1, 2),
            "q01_koen": "kvinde ",
            "q11_forhandling": "Måske",
            "q03_beloeb": "2.100.000 kr.",
        },
        cell_values(b, survey) | {"q02_alder": None, "bemaerkninger": "cpr 010180-1234"},
    ]
    cols = columns(survey)

    def edit(ws):
        ws.insert_cols(cols["q12_maalgruppe"] + 1)
        put(ws, layout.LABEL_ROW, cols["q12_maalgruppe"], "Egen kolonne")
        put(ws, layout.FIRST_DATA_ROW, cols["q12_maalgruppe"], "egen note")

    path = fill_cases(blank, tmp_path / "returned.xlsx", survey, typed[:1], edit=edit)
    far = layout.FIRST_DATA_ROW + survey.max_rows + 5
    wb = openpyxl.load_workbook(path)
    sheet = wb[survey.entry_sheet]
    for key, value in typed[1].items():
        col = cols[key] + (1 if cols[key] >= cols["q12_maalgruppe"] else 0)
        if value is not None:
            put(sheet, far, col, value)
    wb.save(path)
    return path, [a, b], typed


def test_feedback_lists_every_issue_with_both_cells(ws, cases, tmp_path):
    survey, blank = cases
    path, _, _ = returned_with_problems(survey, blank, tmp_path)
    report = read_file(path, survey, IDENT)
    assert {i.severity for i in report.issues} == {"error", "warning", "info"}
    out = write_feedback(ws, survey, by_code()["101"], report, path, {"token": TOKEN})
    assert out == feedback_path(ws, survey, by_code()["101"])
    assert out.parent == ws.output / "sde-2022" / "tilbagemelding" and out.name == "101_København.xlsx"

    listed = feedback_rows(out)
    issues, _ = in_listed_order(ws, survey, report, path)
    assert [r["Besked"] for r in listed] == [
        messages.relocate(i.message, i.sheet, i.cell, survey.entry_sheet, r["Celle"] or None)
        for i, r in zip(issues, listed, strict=True)
    ]
    assert [r["Celle i jeres fil"] or None for r in listed] == [i.cell for i in issues]
    # The problem cells sit where the regenerated layout puts them: the case far
    # below is now the second row, the inserted column is gone.
    cols = columns(survey)
    by_code_cell = {(r["Celle i jeres fil"]): r["Celle"] for r in listed}
    wrong = next(i for i in report.issues if i.code == "not-a-category")
    assert by_code_cell[wrong.cell] == layout.cell_ref(layout.FIRST_DATA_ROW, cols["q11_forhandling"])
    missing = next(i for i in report.issues if i.code == "required-missing")
    assert by_code_cell[missing.cell] == layout.cell_ref(layout.FIRST_DATA_ROW + 1, cols["q02_alder"])
    assert metadata(out)["token"] == TOKEN


def test_feedback_messages_name_the_cell_in_the_feedback_workbook(ws, cases, tmp_path):
    """Rows and columns inserted in the returned file: the message names where the value is now."""
    survey, blank = cases
    path, _, _ = returned_with_problems(survey, blank, tmp_path)
    report = read_file(path, survey, IDENT)
    out = write_feedback(ws, survey, by_code()["101"], report, path, {"token": TOKEN})
    notes = {ref: cell.comment.text for ref, cell in _commented(out, survey.entry_sheet)}
    moved = 0
    issues, problems = in_listed_order(ws, survey, report, path)
    for issue, problem, row in zip(issues, problems, feedback_rows(out), strict=True):
        if not row["Celle"]:
            continue
        new, old = row["Celle"], issue.cell
        assert row["Besked"].startswith(messages.where(survey.entry_sheet, new))
        if problem.action == "fixed":  # already right in this workbook: listed, not marked in the cell
            assert new not in notes or row["Besked"] not in notes[new]
        else:
            assert row["Besked"] in notes[new]
        if new != old:
            moved += 1
            assert f"celle {old} i den fil, I sendte" in row["Besked"]
        else:
            assert "i den fil, I sendte" not in row["Besked"]
        if issue.severity == "error" and issue.value is not None and issue.code != "formula-error":
            # an error is written back as typed: the named cell holds the offending value
            assert str(cell_value(out, survey.entry_sheet, new)).strip() == issue.value.strip()
    assert moved >= 2


def _commented(path: Path, sheet: str):
    wb = openpyxl.load_workbook(path)
    return [(c.coordinate, c) for row in wb[sheet].iter_rows() for c in row if c.comment]


def test_a_single_problem_is_asked_for_in_the_singular(ws, form, tmp_path):
    from sdexl.generate.metadata import Metadata
    from sdexl.generate.workbook import Prefill, Problem, write_workbook

    survey, _ = form
    meta = Metadata(survey_id=survey.id, survey_version="x", kommunekode="101", kommune="København",
                    token=TOKEN, tool_version="0", generated_at="2026-01-01T00:00:00")
    one = write_workbook(tmp_path / "one.xlsx", survey, by_code()["101"], meta, ws.config,
                         prefill=Prefill(problems=[Problem("x")]))
    two = write_workbook(tmp_path / "two.xlsx", survey, by_code()["101"], meta, ws.config,
                         prefill=Prefill(problems=[Problem("x"), Problem("y")]))
    assert "Ret venligst punktet under »Skal rettes«" in cell_value(one, FEEDBACK_SHEET, "A2")
    assert "Ret venligst de 2 punkter under »Skal rettes«" in cell_value(two, FEEDBACK_SHEET, "A2")


def test_feedback_is_prefilled_with_their_answers_including_personal_fields(ws, cases, tmp_path):
    survey, blank = cases
    path, _, _ = returned_with_problems(survey, blank, tmp_path)
    out = write_feedback(ws, survey, "101", read_file(path, survey, IDENT), path, {"token": TOKEN})
    cols = columns(survey)
    row = layout.FIRST_DATA_ROW + 1
    sheet = openpyxl.load_workbook(out)[survey.entry_sheet]
    assert sheet.cell(row, cols["navn"] + 1).value == "Hans Hansen"
    assert sheet.cell(row, cols["q11_forhandling"] + 1).value == "Måske"  # an error: shown as typed
    assert sheet.cell(row, cols["q01_koen"] + 1).value == "Kvinde"  # a warning: written canonically
    assert sheet.cell(row + 1, cols["bemaerkninger"] + 1).value == "cpr XXXXXX-XXXX"


def test_a_corrected_feedback_workbook_harvests_without_errors(ws, cases, tmp_path):
    survey, blank = cases
    path, answers, _ = returned_with_problems(survey, blank, tmp_path)
    out = write_feedback(ws, survey, "101", read_file(path, survey, IDENT), path, {"token": TOKEN})
    cols = columns(survey)
    corrected = tmp_path / "corrected.xlsx"
    wb = openpyxl.load_workbook(out)
    sheet = wb[survey.entry_sheet]
    first = layout.FIRST_DATA_ROW
    put(sheet, first, cols["q11_forhandling"], answers[0]["q11_forhandling"])
    put(sheet, first + 1, cols["q02_alder"], answers[1]["q02_alder"])
    wb.save(corrected)

    report = read_file(corrected, survey, IDENT)
    assert report.errors == []
    assert report.issues == []  # warnings were written back canonically, errors corrected
    assert [r.answers for r in report.records] == [
        expected_answers(survey, answers[0]) | {"q01_koen": "Kvinde", "q03_beloeb": 2100000},
        expected_answers(survey, answers[1]) | {"bemaerkninger": "cpr XXXXXX-XXXX"},
    ]


def test_an_aggregate_feedback_round_trip(ws, form, tmp_path):
    survey, blank = form
    good = valid_form(survey)
    returned = fill_form(
        blank, tmp_path / "f.xlsx", survey, good | {"a03a_2_0_2_5": "fem", "a04a_18_25": good["a02_over_2mio"] + 1}
    )
    report = read_file(returned, survey, IDENT)
    assert {i.code for i in report.errors} == {"not-a-number", "rule-sum-equals"}
    out = write_feedback(ws, survey, "101", report, returned, {"token": TOKEN})
    listed = feedback_rows(out)
    issues, _ = in_listed_order(ws, survey, report, returned)
    assert [r["Besked"] for r in listed] == [
        messages.relocate(i.message, i.sheet, i.cell, survey.entry_sheet, r["Celle"] or None)
        for i, r in zip(issues, listed, strict=True)
    ]
    rows = form_rows(survey, out)
    assert all(r["Celle"] for r in listed)
    assert cell_value(out, survey.entry_sheet, layout.cell_ref(rows["a03a_2_0_2_5"], layout.FORM_ANSWER_COL)) == "fem"

    corrected = fill_form(
        out, tmp_path / "fixed.xlsx", survey, {"a03a_2_0_2_5": good["a03a_2_0_2_5"], "a04a_18_25": good["a04a_18_25"]}
    )
    again = read_file(corrected, survey, IDENT)
    assert again.issues == []
    assert again.records[0].answers == expected_answers(survey, good)


def test_zero_cases_with_rows_comes_back_as_returned(ws, cases, tmp_path):
    survey, blank = cases
    answers = simple_valid_answers(survey)
    returned = fill_cases(blank, tmp_path / "z.xlsx", survey, [cell_values(answers, survey)], zero="Ja")
    report = read_file(returned, survey, IDENT)
    out = write_feedback(ws, survey, "101", report, returned, {"token": TOKEN})
    zero_ref = layout.cell_ref(layout.ZERO_CASES_ROW, layout.ZERO_CASES_INPUT_COL)
    assert cell_value(out, survey.entry_sheet, zero_ref) == "Ja"
    wb = openpyxl.load_workbook(out)
    wb[survey.entry_sheet][zero_ref].value = None
    wb.save(tmp_path / "fixed.xlsx")
    again = read_file(tmp_path / "fixed.xlsx", survey, IDENT)
    assert again.issues == [] and [r.answers for r in again.records] == [expected_answers(survey, answers)]


def test_feedback_needs_the_original_token(ws, cases, tmp_path):
    survey, blank = cases
    returned = fill_cases(blank, tmp_path / "t.xlsx", survey, [], zero="Ja")
    with pytest.raises(ValueError):
        write_feedback(ws, survey, "101", read_file(returned, survey, IDENT), returned, {})


def test_wording_from_the_catalogue():
    from sdexl import workbook_text

    assert messages.did_you_mean("Kvinde") == messages.PHRASES["did-you-mean"].format(candidate="Kvinde")
    assert "Mente I" in messages.did_you_mean("x")
    assert messages.render("zero-cases-with-rows", sheet="Sager", cell="B3", count=1).count(messages.rows_text(1)) == 1
    assert messages.rows_text(2) in messages.render("zero-cases-with-rows", sheet="Sager", cell="B3", count=2)
    assert set(messages.TITLES) <= set(messages.CATALOGUE)
    assert all(messages.title(code) for code in messages.CATALOGUE)
    survey = init_workspace_survey()
    singles = [q for q in survey.questions if q.type == "single"]
    with_dont_know = [q for q in singles if workbook_text.DONT_KNOW in q.labels]
    without = [q for q in singles if workbook_text.DONT_KNOW not in q.labels]
    assert with_dont_know and without
    assert all(workbook_text.DONT_KNOW in workbook_text.error_message(q) for q in with_dont_know)
    assert not any(workbook_text.DONT_KNOW in workbook_text.error_message(q) for q in without)
    assert all(len(workbook_text.error_message(q)) <= 255 for q in singles)


def init_workspace_survey():
    from sdexl.survey.load import load_survey

    return load_survey(Path(__file__).parent.parent / "templates" / "sde-2022.yaml")


# --- issue 8: feedback that is true ------------------------------------------------------------------


def mixed_return(survey, blank: Path, tmp_path: Path) -> Path:
    """Two errors (a wrong category, a missing case number), one tolerated spelling, one irrelevant answer."""
    a, b = simple_valid_answers(survey, "S1"), simple_valid_answers(survey, "S2")
    controller = survey.question("q09_ikke_egen_kommune").relevant.question
    a_cells = cell_values(a, survey) | {"q01_koen": "kvinde ", "q11_forhandling": "Måske"}
    b_cells = cell_values(b, survey) | {"sagsnr": None}
    # q09 is only asked when the ejerskab is not "Egen kommune": answering it anyway is a note.
    assert a[controller] == "Egen kommune"
    a_cells["q09_ikke_egen_kommune"] = survey.question("q09_ikke_egen_kommune").labels[0]
    return fill_cases(blank, tmp_path / "mixed.xlsx", survey, [a_cells, b_cells])


def test_only_what_must_be_corrected_is_counted_and_notes_are_listed_apart(ws, cases, tmp_path):
    survey, blank = cases
    path = mixed_return(survey, blank, tmp_path)
    report = read_file(path, survey, IDENT)
    codes = {i.code: i.severity for i in report.issues}
    assert codes["not-a-category"] == codes["case-ref-missing"] == "error"
    assert codes["category-normalised"] == codes["irrelevant-answer"] == "warning"
    errors = sum(i.severity == "error" for i in report.issues)
    assert errors < len(report.issues)
    out = write_feedback(ws, survey, "101", report, path, {"token": TOKEN})

    intro = cell_value(out, FEEDBACK_SHEET, "A2")
    assert f"Ret venligst de {errors} punkter under »Skal rettes«" in intro
    listed = feedback_rows(out)
    actions = [r["Handling"] for r in listed]
    # errors first, then notes, then what we fixed; never interleaved
    assert actions == sorted(actions, key=lambda a: [action_label(x) for x in ACTION_ORDER].index(a))
    assert actions.count(action_label("fix")) == errors
    by_message = {r["Besked"].split(": ", 1)[1]: r["Handling"] for r in listed}
    normalised = next(i for i in report.issues if i.code == "category-normalised")
    irrelevant = next(i for i in report.issues if i.code == "irrelevant-answer")
    assert by_message[normalised.message.split(": ", 1)[1]] == action_label("fixed")
    assert by_message[irrelevant.message.split(": ", 1)[1]] == action_label("note")
    assert "kræver ikke, at I sender skemaet igen" in cell_value(out, FEEDBACK_SHEET, "A3")


def test_what_harvest_fixed_is_written_right_and_not_marked(ws, cases, tmp_path):
    survey, blank = cases
    path = mixed_return(survey, blank, tmp_path)
    out = write_feedback(ws, survey, "101", read_file(path, survey, IDENT), path, {"token": TOKEN})
    koen = layout.cell_ref(layout.FIRST_DATA_ROW, columns(survey)["q01_koen"])
    forhandling = layout.cell_ref(layout.FIRST_DATA_ROW, columns(survey)["q11_forhandling"])
    sheet = openpyxl.load_workbook(out)[survey.entry_sheet]
    assert sheet[koen].value == "Kvinde" and sheet[koen].comment is None
    assert sheet[forhandling].value == "Måske" and sheet[forhandling].comment is not None
    marked = {str(cf.sqref) for cf in sheet.conditional_formatting}
    assert forhandling in marked and koen not in marked


def test_a_workbook_read_back_with_its_corrections_has_no_errors_left_only_notes(ws, cases, tmp_path):
    """Correct only the »Skal rettes« rows: the return is then free of errors (the notes need nothing)."""
    survey, blank = cases
    path = mixed_return(survey, blank, tmp_path)
    out = write_feedback(ws, survey, "101", read_file(path, survey, IDENT), path, {"token": TOKEN})
    cols = columns(survey)
    wb = openpyxl.load_workbook(out)
    sheet = wb[survey.entry_sheet]
    put(sheet, layout.FIRST_DATA_ROW, cols["q11_forhandling"], survey.question("q11_forhandling").labels[0])
    put(sheet, layout.FIRST_DATA_ROW + 1, cols["sagsnr"], "S2")
    wb.save(tmp_path / "fixed.xlsx")
    again = read_file(tmp_path / "fixed.xlsx", survey, IDENT)
    assert again.errors == []
    assert {i.code for i in again.issues} == {"irrelevant-answer"}  # the note stays a note; the spelling is gone


def test_each_row_links_to_its_cell_and_is_coloured_by_what_to_do(ws, cases, tmp_path):
    from sdexl.generate.feedback_sheet import ACTION_COLOURS

    survey, blank = cases
    path = mixed_return(survey, blank, tmp_path)
    out = write_feedback(ws, survey, "101", read_file(path, survey, IDENT), path, {"token": TOKEN})
    sheet = openpyxl.load_workbook(out)[FEEDBACK_SHEET]
    labels = {action_label(a): a for a in ACTION_ORDER}
    linked = 0
    for row in range(HEADER_ROW + 2, sheet.max_row + 1):
        action, ref = sheet.cell(row, 2), sheet.cell(row, 4)
        assert action.fill.fgColor.rgb[-6:] == ACTION_COLOURS[labels[action.value]].lstrip("#")
        if ref.value:
            assert ref.hyperlink is not None and ref.hyperlink.location == f"'{survey.entry_sheet}'!{ref.value}"
            linked += 1
    assert linked >= 4


def test_no_doubled_full_stops_in_any_message(ws, cases, tmp_path):
    import re

    survey, blank = cases
    path = mixed_return(survey, blank, tmp_path)
    report = read_file(path, survey, IDENT)
    missing_ref = next(i for i in report.issues if i.code == "case-ref-missing")
    assert "Sag nr." in missing_ref.message  # the field's own label ends with a full stop
    out = write_feedback(ws, survey, "101", report, path, {"token": TOKEN})
    grid = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(FEEDBACK_SHEET).to_python()
    texts = [str(v) for row in grid for v in row]
    assert not [t for t in texts if re.search(r"(?<!\.)\.\.(\s|$)", t)]


def test_cases_on_a_copied_entry_sheet_are_carried_over(ws, cases, tmp_path):
    survey, blank = cases
    a, b = simple_valid_answers(survey, "S1"), simple_valid_answers(survey, "S2")
    cols = columns(survey)

    def edit(sheet):
        copy = sheet.parent.copy_worksheet(sheet)
        copy.title = "Sager (2)"
        for c in cols.values():
            copy.cell(row=layout.FIRST_DATA_ROW + 1, column=c + 1).value = None
        for key, value in (cell_values(b, survey) | {"q01_koen": "mand"}).items():
            put(copy, layout.FIRST_DATA_ROW, cols[key], value)

    typed_a = cell_values(a, survey) | {"q11_forhandling": "Måske"}
    path = fill_cases(blank, tmp_path / "copy.xlsx", survey, [typed_a], edit=edit)
    report = read_file(path, survey, IDENT)
    assert {"extra-entry-sheet", "category-normalised", "not-a-category"} <= {i.code for i in report.issues}
    out = write_feedback(ws, survey, "101", report, path, {"token": TOKEN})
    sheet = openpyxl.load_workbook(out)[survey.entry_sheet]
    assert sheet.cell(layout.FIRST_DATA_ROW + 2, cols["sagsnr"] + 1).value == "S2"
    assert sheet.cell(layout.FIRST_DATA_ROW + 2, cols["q01_koen"] + 1).value == "Mand"  # canonical
    listed = {r["Besked"]: r["Handling"] for r in feedback_rows(out)}
    extra = next(i for i in report.issues if i.code == "extra-entry-sheet")
    assert listed[extra.message] == action_label("fixed")
    wb = openpyxl.load_workbook(out)
    put(wb[survey.entry_sheet], layout.FIRST_DATA_ROW, cols["q11_forhandling"],
        survey.question("q11_forhandling").labels[0])
    wb.save(tmp_path / "fixed.xlsx")
    again = read_file(tmp_path / "fixed.xlsx", survey, IDENT)
    assert again.issues == [] and len(again.records) == 2
