"""Issue 8, the generated workbook: figures, live checks that agree with harvest, print set-up, input cells.

The live figures are computed by a real client: a generated workbook is filled
with openpyxl (tests/fill_helpers.py), LibreOffice opens, recalculates and saves
it (formulas carry no cached value, see EXCEL-FACTS.md), and the Overblik values
are compared with an independent count and with what harvest makes of the same
file (read_file + verdict_for, the harvest's own reader and rules).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sdexl import layout, synthetic
from sdexl.generate.overview import KEY_COL, LABEL_COL, VALUE_COL, question_title
from sdexl.generate.run import generate_all
from sdexl.harvest.examine import verdict_for
from sdexl.harvest.read import read_file
from sdexl.harvest.report import Identification
from sdexl.survey.model import Survey
from tests.fill_helpers import fill_cases, fill_form
from tests.render import render


def overview_rows(path: Path) -> dict[str, tuple]:
    """Key -> (label, value) on the Overblik sheet of a recalculated workbook."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(layout.OVERVIEW_SHEET).to_python(skip_empty_area=False)
    return {row[KEY_COL]: (row[LABEL_COL], row[VALUE_COL]) for row in rows if len(row) > KEY_COL and row[KEY_COL]}


def figures(path: Path) -> dict:
    return {key: value for key, (_label, value) in overview_rows(path).items()}


def harvested(path: Path, survey: Survey, code: str):
    report = read_file(path, survey, Identification(survey_id=survey.id, kommunekode=code, source="metadata"))
    return report, verdict_for(report)


# --- the 2024 "Antal borgere": question 2 is a subset of question 1 ----------------------------------


@pytest.mark.libreoffice
def test_subset_is_a_share_of_its_whole_and_never_added_to_it(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2024")
    issued = generate_all(workspace, "sde-2024", ["751"]).files[0]
    answers = synthetic.form_answers(survey, random.Random(5), cases=31, total_in_botilbud=820)
    rows = overview_rows(lo_convert(fill_form(issued, tmp_path / "f.xlsx", survey, answers), "xlsx", tmp_path / "lo"))

    assert rows["value:a01_botilbud_i_alt"][1] == 820 and rows["value:a02_over_2mio"][1] == 31
    assert "sum:a01_botilbud_i_alt" not in rows, "question 2 is part of question 1: no 'I alt' of the two"
    assert all(value != 851 for _label, value in rows.values())
    label, share = rows["share:a02_over_2mio"]
    assert share == pytest.approx(31 / 820)
    assert label == "Borgere over 2 mio. kr. (31) af borgere i botilbud i alt (820) = 3,8 %"
    # The bands are parts of question 2: their sum is 31 and their shares are of that sum.
    assert rows["sum:a03a_2_0_2_5"][1] == 31
    band_shares = [v for k, (_l, v) in rows.items() if k.startswith("value:a03")]
    assert sum(band_shares) == 31


def test_every_overview_sum_adds_parts_of_one_whole(workspace):
    """An 'I alt' is only written over questions that no rule makes subsets of each other."""
    from sdexl.generate.overview import _number_sections, _subsets

    for survey_id in workspace.survey_ids():
        survey = workspace.survey(survey_id)
        for _section, questions in _number_sections(survey):
            subsets = _subsets(survey, questions)
            ids = {q.id for q in questions}
            for rule in survey.rules:
                if rule.kind == "at_most" and {rule.part, rule.whole} <= ids:
                    assert subsets[rule.part] == rule.whole


# --- live checks agree with harvest ------------------------------------------------------------------


def _cases(survey: Survey, n: int = 9) -> list[dict]:
    rng = random.Random(8)
    return [synthetic.case_answers(survey, rng, k) for k in range(1, n + 1)]


def _warning_only(survey: Survey) -> list[dict]:
    rows = _cases(survey)
    rows[0]["q01_koen"] = "Kvinde "  # a trailing space: harvest reads Kvinde, with a warning
    rows[1]["foedselsdato"] = "ukendt"  # a personal field that is no date: a warning, never collected
    rows[2]["q06_sekundaer_paragraf#1"] = "x"  # a small x for the mark: a warning
    rows[3]["q01_koen"] = "mand"  # another case: a warning
    return rows


def _fold(value) -> str:
    return " ".join(str(value).split()).casefold()


def independent(survey: Survey, rows: list[dict], qid: str) -> dict[str, int]:
    """Per category count, answered, blank and invalid for one single-choice question, as harvest reads it."""
    q = survey.question(qid)
    labels = {_fold(label): label for label in q.labels}
    values = [row.get(qid) for row in rows]
    counts = {label: sum(_fold(v) == _fold(label) for v in values if v not in (None, "")) for label in q.labels}
    filled = [v for v in values if v not in (None, "")]
    invalid = sum(_fold(v) not in labels for v in filled)
    return {"answered": sum(counts.values()), "blank": len(values) - len(filled), "invalid": invalid, **counts}


def _harvest_counts(report, survey: Survey, qid: str) -> dict[str, int]:
    q = survey.question(qid)
    answers = [r.answers.get(qid) for r in report.records]
    return {
        "answered": sum(a is not None for a in answers),
        "invalid": sum(qid in r.error_questions for r in report.records),
        **{label: answers.count(label) for label in q.labels},
    }


@pytest.mark.libreoffice
def test_warnings_in_harvest_are_no_errors_in_the_workbook(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["147"]).files[0]
    rows = _warning_only(survey)
    filled = fill_cases(issued, tmp_path / "warn.xlsx", survey, rows)
    report, verdict = harvested(filled, survey, "147")
    live = figures(lo_convert(filled, "xlsx", tmp_path / "lo"))

    assert verdict == "accepted_with_warnings", [i.code for i in report.issues]
    assert live["check:status"].startswith("Klar til at sende"), live["check:status"]
    assert live["check:invalid"] == 0 and live["check:missing"] == 0 and live["check:duplicate_refs"] == 0
    assert live["check:normalised"] == 3  # Kvinde␠, mand, x
    assert live["check:personal"] == 1
    own = independent(survey, rows, "q01_koen")
    assert own["invalid"] == 0
    for label in survey.question("q01_koen").labels:
        assert live[f"count:q01_koen:{label}"] == own[label] == _harvest_counts(report, survey, "q01_koen")[label]
    assert live["count:q06_sekundaer_paragraf:STU"] == sum(r.answers["q06_sekundaer_paragraf"] is not None
                                                          and "STU" in r.answers["q06_sekundaer_paragraf"]
                                                          for r in report.records)


@pytest.mark.libreoffice
def test_invalid_answers_are_counted_as_invalid_and_agree_with_harvest(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["147"]).files[0]
    rows = _warning_only(survey)
    rows[4]["q01_koen"] = "Kvinderne"  # no category: an error in harvest
    rows[5]["q12_maalgruppe"] = "Ukendt"
    rows[6]["q06_sekundaer_paragraf#2"] = "nej"  # not a mark
    rows[8]["sagsnr"] = rows[7]["sagsnr"].lower() + " "  # the same case number twice: both rows are errors
    filled = fill_cases(issued, tmp_path / "bad.xlsx", survey, rows)
    report, verdict = harvested(filled, survey, "147")
    live = figures(lo_convert(filled, "xlsx", tmp_path / "lo"))

    assert verdict == "needs_correction"
    assert live["check:status"] == "Ret de markerede celler, før I sender."
    assert live["check:invalid"] == 3 and live["check:duplicate_refs"] == 2
    assert live["check:invalid"] + live["check:duplicate_refs"] == len(report.errors), [i.code for i in report.errors]
    cases = live["check:cases"]
    assert cases == len(rows) == len(report.records)
    for qid in ("q01_koen", "q12_maalgruppe", "q06_sekundaer_paragraf"):
        total = live[f"answered:{qid}"] + live[f"blank:{qid}"] + live[f"invalid:{qid}"]
        assert total == cases, f"{qid}: answered + not answered + invalid must be all {cases} cases"
        assert live[f"invalid:{qid}"] == 1 == _harvest_counts(report, survey, qid)["invalid"]
        assert live[f"answered:{qid}"] == _harvest_counts(report, survey, qid)["answered"]
    own = independent(survey, rows, "q01_koen")
    assert (live["answered:q01_koen"], live["blank:q01_koen"], live["invalid:q01_koen"]) == (own["answered"], own["blank"], 1)
    for label in survey.question("q01_koen").labels:
        assert live[f"count:q01_koen:{label}"] == own[label] == _harvest_counts(report, survey, "q01_koen")[label]


@pytest.mark.libreoffice
def test_a_number_typed_as_text_outside_its_bounds_is_an_error_like_in_harvest(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["147"]).files[0]
    rows = _cases(survey)
    rows[4]["q03_beloeb"] = "150000"  # text, and below the 2 mio. kr. the definition asks for
    filled = fill_cases(issued, tmp_path / "text.xlsx", survey, rows)
    report, verdict = harvested(filled, survey, "147")
    live = figures(lo_convert(filled, "xlsx", tmp_path / "lo"))
    assert verdict == "needs_correction"
    errors = [i for i in report.errors if i.question_id == "q03_beloeb"]
    assert len(errors) == 1, [(i.code, i.question_id) for i in report.errors]
    assert live["check:status"] == "Ret de markerede celler, før I sender."
    assert live["invalid:q03_beloeb"] == 1
    assert live["check:invalid"] == len(report.errors)


@pytest.mark.libreoffice
def test_form_number_typed_as_text_is_a_note_like_in_harvest(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2024")
    issued = generate_all(workspace, "sde-2024", ["751"]).files[0]
    answers = synthetic.form_answers(survey, random.Random(2), cases=12, total_in_botilbud=300)
    answers["a01_botilbud_i_alt"] = " 300"  # text: harvest reads 300 with a warning
    filled = fill_form(issued, tmp_path / "t.xlsx", survey, answers)
    report, verdict = harvested(filled, survey, "751")
    live = figures(lo_convert(filled, "xlsx", tmp_path / "lo"))
    assert verdict == "accepted_with_warnings"
    assert live["check:invalid"] == 0 and live["check:normalised"] == 1
    assert live["check:status"].startswith("Klar til at sende")
    assert live["value:a01_botilbud_i_alt"] == 300


# --- the zero-cases answer cell ----------------------------------------------------------------------


def test_zero_cases_cell_is_an_input_and_its_label_ends_before_it(workspace):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["101"]).files[0]
    ws = openpyxl.load_workbook(issued)[survey.entry_sheet]
    cell = ws.cell(layout.ZERO_CASES_ROW + 1, layout.ZERO_CASES_INPUT_COL + 1)
    assert cell.fill.fgColor.rgb.endswith("FFCC99"), "the answer cell has a fill"
    assert all(getattr(cell.border, side).style for side in ("left", "right", "top", "bottom"))
    assert cell.protection.locked is False
    label = ws.cell(layout.ZERO_CASES_ROW + 1, layout.ZERO_CASES_LABEL_COL + 1)
    assert label.value.startswith(layout.ZERO_CASES_LABEL)
    merged = [r for r in ws.merged_cells.ranges if r.min_row == layout.ZERO_CASES_ROW + 1]
    # The label fills the cells up to the answer cell, so it cannot run over into it.
    assert merged and merged[0].max_col == layout.ZERO_CASES_INPUT_COL
    assert label.alignment.horizontal == "right" and label.alignment.wrap_text


# --- print set-up ------------------------------------------------------------------------------------


def test_overview_and_guide_print_set_up(workspace):
    for survey_id in ("sde-2022", "sde-2024"):
        wb = openpyxl.load_workbook(generate_all(workspace, survey_id, ["101"]).files[0])
        overview = wb[layout.OVERVIEW_SHEET]
        assert overview.page_setup.orientation == "landscape"
        assert overview.sheet_properties.pageSetUpPr.fitToPage
        # The file omits a 1 (the default): fit to one page wide, any number of pages high.
        assert (overview.page_setup.fitToWidth or 1, overview.page_setup.fitToHeight) == (1, 0)
        assert overview.print_title_rows.replace("$", "") == "1:3"
        if survey_id == "sde-2022":
            assert overview.row_breaks.brk, "page breaks between tables"
        guide = wb[layout.GUIDE_SHEET]
        assert guide.sheet_properties.pageSetUpPr.fitToPage
        assert (guide.page_setup.fitToWidth or 1, guide.page_setup.fitToHeight or 1) == (1, 1)


PAGE_BOUND = {"sde-2022": 12, "sde-2023": 13, "sde-2024": 2}  # as Excel prints them (LibreOffice with Carlito)


@pytest.mark.libreoffice
def test_generated_workbooks_render_readably(workspace, soffice, tmp_path):
    """Every survey's workbook, filled, printed by LibreOffice: Vejledning on one page, Overblik within
    its bound, no table split from its last row, no ###, no raw floats. (Look at the PNGs too:
    pdftoppm -png -r 70 FILE.pdf out.)"""
    for survey_id, bound in PAGE_BOUND.items():
        survey = workspace.survey(survey_id)
        issued = generate_all(workspace, survey_id, ["147"]).files[0]
        if survey.kind == "cases":
            filled = fill_cases(issued, tmp_path / f"{survey_id}.xlsx", survey, _cases(survey, 25))
        else:
            answers = synthetic.form_answers(survey, random.Random(1), cases=31, total_in_botilbud=820)
            filled = fill_form(issued, tmp_path / f"{survey_id}.xlsx", survey, answers)
        shown = render(soffice, filled, tmp_path / f"pdf-{survey_id}")
        assert len(shown.pages_of(layout.GUIDE_SHEET)) == 1, survey_id
        pages = shown.pages_of(layout.OVERVIEW_SHEET)
        assert 1 <= len(pages) <= bound, f"{survey_id}: Overblik on {len(pages)} pages"
        assert not shown.hashes(), f"{survey_id}: ### on pages {shown.hashes()}"
        assert not shown.raw_floats(), f"{survey_id}: {shown.raw_floats()[:5]}"
        titles = [question_title(q) for q in survey.questions
                  if not q.personal and q.role != "case_ref" and q.type not in ("text", "other_text")]
        for n in pages:
            text = shown.pages[n]
            # Each question table ends with its "Ugyldige svar" row, on the page where it began.
            starts = sum(title in text for title in titles)
            assert starts == text.count("Ugyldige svar (røde celler"), f"{survey_id} page {n}: a table is split"


# --- Danish wording ----------------------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def _sheet_texts(path: Path, sheet: str) -> list[str]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [str(c.value) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_round_one_wording_as_a_danish_reader_expects(workspace):
    s = workspace.survey("sde-2022")
    assert "forhandling af takst" in s.question("q11_forhandling").label
    yaml_text = (TEMPLATES / "sde-2022.yaml").read_text(encoding="utf-8")
    before = yaml_text[: yaml_text.index("forhandling af takst")].splitlines()[-4:]
    assert any(line.strip().startswith("#") and "tekst" in line for line in before), "the fix is noted beside it"
    assert "inden for de seneste fem år" in s.question("q07_antal_botilbud").label
    assert all("Indenfor" not in label for label in s.question("q18_opfoelgning").labels)
    assert "Samlet socialudgift" in s.question("q03_udgift").label
    assert s.question("q15_vikarer").labels[:5] == ["Ca. 10 %", "Ca. 20 %", "Ca. 30 %", "Ca. 40 %", "Over 40 %"]
    assert "fyldt 18 år" in s.definition and "over 18 år" not in s.definition


def test_no_doubled_labels_in_the_overview(workspace):
    issued = generate_all(workspace, "sde-2022", ["101"]).files[0]
    texts = _sheet_texts(issued, layout.OVERVIEW_SHEET)
    assert "Bemærkninger" in texts and "Bemærkninger: Bemærkninger" not in texts
    assert not [t for t in texts if re.match(r"^(.+): \1$", t)]


def test_2024_form_and_guide_say_each_thing_once_and_only_what_applies(workspace):
    issued = generate_all(workspace, "sde-2024", ["101"]).files[0]
    skema = " ".join(_sheet_texts(issued, "Skema"))
    assert "Opgøres pr. 1. oktober 2024." in skema and "opgjort pr." not in skema
    assert "5. Frivilligt: Hvis en borger ikke længere koster over 2 mio. kr., skyldes det så:" in skema
    guide = " ".join(_sheet_texts(issued, layout.GUIDE_SHEET)).lower()
    # No name or birth date fields and no data transfer agreement; "skriv ikke navne" is still said.
    assert not re.search(r"\bnavn\b|fødselsdato|dataoverførselsaftale", guide), guide
    case_guide = " ".join(_sheet_texts(generate_all(workspace, "sde-2022", ["101"]).files[0], layout.GUIDE_SHEET))
    assert "Navn og fødselsdato er kun til kommunens eget overblik" in case_guide and "dataoverførselsaftalen" in case_guide


def test_overview_charts_show_whole_counts_not_a_decimal_axis(workspace):
    """A live chart cannot know its counts: each bar carries its count as a whole number, and
    the count axis (a client picks 0,5 steps for small counts) shows no labels."""
    import zipfile

    issued = generate_all(workspace, "sde-2022", ["147"]).files[0]
    with zipfile.ZipFile(issued) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 20  # one per choice question
    for xml in charts:
        labels = re.search(r"<c:dLbls>(.*?)</c:dLbls>", xml).group(1)
        assert '<c:showVal val="1"/>' in labels and 'formatCode="0"' in labels
        value_axis = re.search(r"<c:valAx>(.*?)</c:valAx>", xml).group(1)
        assert '<c:tickLblPos val="none"/>' in value_axis
