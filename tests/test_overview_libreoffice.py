"""The live overview, computed by a real client, equals an independent count.

A generated workbook is filled with known answers (plus planted mistakes), then
LibreOffice headless opens, recalculates and saves it. Every figure on the
Overblik sheet is compared with a plain-Python count of the same answers.
"""

from __future__ import annotations

import random

import pytest

from sdexl import layout, synthetic
from sdexl.generate.run import generate_all
from sdexl.survey.model import Survey
from tests.workbooks import fill_cases, fill_form, overview_figures

pytestmark = pytest.mark.libreoffice


def _same(a, b) -> bool:
    return str(a).casefold() == str(b).casefold()  # Excel's "=" ignores case


def _trimmed(a, b) -> bool:
    """The way harvest (and the overview, with TRIM) reads a category: spaces and case ignored."""
    return _same(" ".join(str(a).split()), b)


MARKS = {"x", "1", "ja", "yes", "sand", "true", "✓", "✔"}  # read as the X of a multi category


def _mark(value) -> bool:
    return str(value).strip().casefold() in MARKS


def _value(row, key):
    value = row.get(key)
    return "" if value is None else value


def _used(survey: Survey, row: dict) -> bool:
    return any(_value(row, c.key) != "" for c in layout.entry_columns(survey) if not c.question.personal)


def _answered(q, row) -> bool:
    if q.type == "multi":
        return any(_value(row, layout.multi_key(q.id, n)) != "" for n in range(1, len(q.labels) + 1))
    return _value(row, q.id) != ""


def _relevance(q, row):
    """True/False, or None when the controlling answer is missing."""
    control = _value(row, q.relevant.question)
    if control == "":
        return None
    hit = any(_same(control, label) for label in (q.relevant.in_ or q.relevant.not_in))
    return hit if q.relevant.in_ is not None else not hit


def independent_counts(survey: Survey, rows: list[dict]) -> dict[str, float]:
    used_rows = [r for r in rows if _used(survey, r)]
    expected: dict[str, float] = {"check:cases": len(used_rows)}
    missing = invalid = irrelevant = 0
    for q in survey.questions:
        if q.personal or q.role == "case_ref":
            continue
        if q.type == "single":
            for label in q.labels:
                expected[f"count:{q.id}:{label}"] = sum(_trimmed(_value(r, q.id), label) for r in rows)
            expected[f"answered:{q.id}"] = sum(expected[f"count:{q.id}:{label}"] for label in q.labels)
        if q.type == "multi":
            for n, label in enumerate(q.labels, start=1):
                expected[f"count:{q.id}:{label}"] = sum(_mark(_value(r, layout.multi_key(q.id, n))) for r in rows)
            keys = [layout.multi_key(q.id, n) for n in range(1, len(q.labels) + 1)]
            bad = [r for r in rows if any(_value(r, k) != "" and not _mark(_value(r, k)) for k in keys)]
            expected[f"answered:{q.id}"] = sum(_answered(q, r) for r in rows) - len(bad)
            expected[f"invalid:{q.id}"] = len(bad)
        if q.is_choice:
            expected[f"blank:{q.id}"] = sum(not _answered(q, r) for r in used_rows)
    for r in used_rows:
        for q in survey.questions:
            if q.required and not _answered(q, r) and (not q.relevant or _relevance(q, r) is True):
                missing += 1
    for r in rows:
        for col in layout.entry_columns(survey):
            q, value = col.question, _value(r, col.key)
            if value == "":
                continue
            if q.personal:
                continue  # only for the municipality's own overview: never an error
            if q.type == "single" and not any(_trimmed(value, label) for label in q.labels):
                invalid += 1
            if q.type == "multi" and not _mark(value):
                invalid += 1
            if q.is_number and (not isinstance(value, (int, float)) or (q.min is not None and value < q.min) or (q.max is not None and value > q.max)):
                invalid += 1
        for q in survey.questions:
            if q.relevant and _answered(q, r) and _relevance(q, r) is False:
                irrelevant += 1
            if q.type == "other_text" and _answered(q, r) and not _same(_value(r, q.other_of), q.other_choice):
                irrelevant += 1
    expected.update({"check:missing": missing, "check:invalid": invalid, "check:irrelevant": irrelevant})
    band_rule = next(rule for rule in survey.rules if rule.kind == "band_matches_amount")
    bands = {c.label.casefold(): c for c in survey.question(band_rule.band).choices}
    broken = 0
    for r in rows:
        amount, band = _value(r, band_rule.amount), bands.get(str(_value(r, band_rule.band)).casefold())
        if isinstance(amount, (int, float)) and band and (amount < band.min or (band.max is not None and amount >= band.max)):
            broken += 1
    expected[f"rule:{band_rule.id}"] = broken
    return expected


def planted_rows(survey: Survey) -> list[dict]:
    rng = random.Random(20221001)
    rows = [synthetic.case_answers(survey, rng, n) for n in range(1, 41)]
    rows[3].pop("q01_koen")  # a missing required answer
    rows[5]["q01_koen"] = "kvinde "  # pasted past the dropdown: case and a trailing space
    rows[7]["q03_udgift"], rows[7]["q03_beloeb"] = "2,0-2,5 mio. kr.", 7_500_000  # amount outside its band
    rows[9]["q05_ejerskab"], rows[9]["q09_ikke_egen_kommune"] = "Egen kommune", "Ved ikke"  # should be skipped
    rows[11]["q06_sekundaer_paragraf#1"] = "ja"  # not the X mark, but read as it
    rows[13]["q01_koen"] = "Kvinderne"  # no category
    rows[14]["q06_sekundaer_paragraf#2"] = "nej"  # no mark
    rows[12] = {"navn": "Kun navn"}  # personal field only: not a case
    return rows


def test_case_overview_matches_independent_count(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["147"]).files[0]
    rows = planted_rows(survey)
    filled = fill_cases(issued, rows, tmp_path / "filled.xlsx")
    recalculated = lo_convert(filled, "xlsx", tmp_path / "lo")
    figures = overview_figures(recalculated)
    expected = independent_counts(survey, rows)

    assert expected["check:missing"] >= 1 and expected["check:invalid"] >= 2
    assert expected["check:irrelevant"] >= 1 and expected["rule:beloeb_passer_med_interval"] == 1
    mismatches = {key: (figures.get(key), want) for key, want in expected.items() if figures.get(key) != want}
    assert not mismatches, f"overview differs from the independent count: {mismatches}"
    assert figures["check:status"] == "Ret de markerede celler, før I sender."
    assert figures["check:zero_cases"] == "Nej"


def test_clean_case_workbook_says_ready_and_zero_cases_conflict_is_flagged(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2022")
    issued = generate_all(workspace, "sde-2022", ["101"]).files[0]
    rng = random.Random(7)
    rows = [synthetic.case_answers(survey, rng, n) for n in range(1, 6)]
    clean = overview_figures(lo_convert(fill_cases(issued, rows, tmp_path / "clean.xlsx"), "xlsx", tmp_path / "a"))
    assert clean["check:cases"] == 5
    assert clean["check:missing"] == clean["check:invalid"] == clean["check:irrelevant"] == 0
    assert clean["check:status"] == "Klar til at sende."

    conflict = overview_figures(lo_convert(fill_cases(issued, rows, tmp_path / "both.xlsx", zero_cases=True), "xlsx", tmp_path / "b"))
    assert conflict["check:zero_cases"] == "Ja"
    assert conflict["rule:ingen_sager_uden_raekker"] == 1

    zero = overview_figures(lo_convert(fill_cases(issued, [], tmp_path / "zero.xlsx", zero_cases=True), "xlsx", tmp_path / "c"))
    assert zero["check:cases"] == 0 and zero["rule:ingen_sager_uden_raekker"] == 0
    assert zero["check:status"] == "Klar til at sende."

    empty = overview_figures(lo_convert(issued, "xlsx", tmp_path / "d"))
    assert empty["check:status"] == "Skemaet er ikke udfyldt endnu."


def test_aggregate_overview_checks_sums(workspace, lo_convert, tmp_path):
    survey = workspace.survey("sde-2024")
    issued = generate_all(workspace, "sde-2024", ["751"]).files[0]
    answers = synthetic.form_answers(survey, random.Random(3), cases=37, total_in_botilbud=400)
    good = overview_figures(lo_convert(fill_form(issued, answers, tmp_path / "good.xlsx"), "xlsx", tmp_path / "a"))
    for q in survey.questions:
        if q.is_number:
            assert good[f"value:{q.id}"] == answers.get(q.id, ""), q.id
    assert good["sum:a03a_2_0_2_5"] == 37 and good["sum:a04a_18_25"] == 37
    assert good["check:missing"] == 0 and good["check:invalid"] == 0
    assert all(good[f"rule:{r.id}"] == 0 for r in survey.rules)
    assert good["check:status"] == "Klar til at sende."

    broken = dict(answers, a03a_2_0_2_5=answers["a03a_2_0_2_5"] + 1, a01_botilbud_i_alt=10)
    broken.pop("a04f_67_plus")
    bad = overview_figures(lo_convert(fill_form(issued, broken, tmp_path / "bad.xlsx"), "xlsx", tmp_path / "b"))
    assert bad["rule:prisintervaller_summer"] == 1  # parts no longer sum to the whole
    assert bad["rule:over_2mio_hoejst_alle"] == 1  # 37 over 2 mio. of 10 in all
    assert bad["rule:aldersintervaller_summer"] == 0  # not judged until every band is given
    assert bad["check:missing"] == 1
    assert bad["check:status"] == "Ret de markerede felter, før I sender."
