"""Whose file is it and which survey: metadata, token, Vejledning, file name."""

from __future__ import annotations

import pytest

from sdexl import layout, messages
from sdexl.harvest.container import WorkbookFacts
from sdexl.harvest.identify import Clues, guess_survey, identify, municipality_in_filename
from sdexl.ledger import Issued
from sdexl.survey.load import load_survey, version_hash
from sdexl.workspace import builtin_templates

SURVEYS = {sid: load_survey(builtin_templates() / f"{sid}.yaml") for sid in ("sde-2022", "sde-2023", "sde-2024")}
V2024 = version_hash(SURVEYS["sde-2024"])
ISSUED = {
    "tok101": Issued(
        "tok101", "sde-2024", V2024, "101", "outgoing/sde-2024/101_København.xlsx", "0", "0.1.0", "2024-11-01"
    ),
}


def meta(**over) -> dict[str, str]:
    base = {
        "survey_id": "sde-2024",
        "survey_version": V2024,
        "kommunekode": "101",
        "kommune": "København",
        "token": "tok101",
    }
    return base | over


def clues(name="incoming/101_København.xlsx", props=None, sheet=None, caption=None, texts=None) -> Clues:
    facts = WorkbookFacts(
        sheets={"Vejledning": "visible", "Skema": "visible", "Sager": "visible"},
        meta_sheet=sheet or {},
        guide_kommune=caption,
    )
    return Clues(name=name, properties=props or {}, facts=facts, sheet_texts=(lambda s: texts or set()))


def render(finding, file="101_København.xlsx") -> str:
    return finding.issue(file).message


def test_metadata_and_a_known_token_identify_silently():
    result = identify(clues(sheet=meta()), SURVEYS, ISSUED)
    assert result.ok and result.findings == []
    assert (result.ident.survey_id, result.ident.kommunekode, result.ident.source) == ("sde-2024", "101", "metadata")


def test_properties_alone_identify_and_a_resaved_number_is_a_code():
    result = identify(clues(props=meta(kommunekode="101.0")), SURVEYS, ISSUED)
    assert result.ok and result.ident.kommunekode == "101"


def test_an_unknown_token_is_a_warning():
    result = identify(clues(sheet=meta(token="nope")), SURVEYS, ISSUED)
    assert result.ok and [f.code for f in result.findings] == ["unknown-token"]
    assert render(result.findings[0]) == messages.render(
        "unknown-token", file="101_København.xlsx", kommune="København", kommunekode="101"
    )


def test_a_token_issued_to_another_municipality_is_an_error():
    result = identify(clues(sheet=meta(kommunekode="147", kommune="Frederiksberg")), SURVEYS, ISSUED)
    assert not result.ok and [f.code for f in result.findings] == ["token-mismatch"]
    assert render(result.findings[0]) == messages.render(
        "token-mismatch",
        file="101_København.xlsx",
        issued_kommune="København",
        issued_kode="101",
        kommune="Frederiksberg",
        kommunekode="147",
    )


def test_without_metadata_the_guide_caption_identifies_with_a_warning():
    ids = {q.id for q in SURVEYS["sde-2024"].questions}
    result = identify(clues(name="incoming/svar.xlsx", caption="Odense (kommunekode 461)", texts=ids), SURVEYS, ISSUED)
    assert result.ok and (result.ident.kommunekode, result.ident.survey_id) == ("461", "sde-2024")
    assert result.ident.source == "vejledning"
    assert [f.code for f in result.findings] == ["identified-by-guide"]


def test_without_metadata_or_guide_the_file_name_identifies_with_a_warning():
    ids = {q.id for q in SURVEYS["sde-2024"].questions}
    result = identify(clues(name="incoming/Svar fra Høje-Taastrup.xlsx", texts=ids), SURVEYS, ISSUED)
    assert result.ok and result.ident.kommunekode == "169" and result.ident.source == "filename"
    assert render(result.findings[0], "Svar fra Høje-Taastrup.xlsx") == messages.render(
        "identified-by-filename", file="Svar fra Høje-Taastrup.xlsx", kommune="Høje-Taastrup", kommunekode="169"
    )


def test_nothing_to_go_by_is_unidentified():
    result = identify(clues(name="incoming/svar.xlsx"), SURVEYS, ISSUED)
    assert not result.ok and [f.code for f in result.findings] == ["unidentified"]
    assert "101_København.xlsx" in render(result.findings[0], "svar.xlsx")  # says how to name the file


def test_a_municipality_without_a_recognisable_survey_is_rejected():
    result = identify(clues(name="incoming/101_København.xlsx", texts={"noget", "andet"}), SURVEYS, ISSUED)
    assert not result.ok and [f.code for f in result.findings] == ["identified-by-filename", "survey-unknown"]


def test_a_survey_id_that_does_not_exist_is_rejected():
    result = identify(clues(sheet=meta(survey_id="sde-2030", token="x")), SURVEYS, ISSUED)
    assert not result.ok and "survey-unknown" in [f.code for f in result.findings]


def test_a_file_filed_under_another_survey_is_routed_to_its_own():
    result = identify(clues(name="incoming/sde-2022/101_København.xlsx", sheet=meta()), SURVEYS, ISSUED)
    assert result.ok and result.ident.survey_id == "sde-2024"
    assert [(f.code, f.fields) for f in result.findings] == [
        ("other-survey", {"folder": "sde-2022", "survey": "sde-2024"})
    ]


def test_an_older_definition_version_is_noted():
    result = identify(clues(sheet=meta(survey_version="000000000000")), SURVEYS, ISSUED)
    assert result.ok and [f.code for f in result.findings] == ["survey-version"]


@pytest.mark.parametrize(("survey_id", "expected"), [("sde-2022", "sde-2022"), ("sde-2023", "sde-2023")])
def test_round_2_is_told_from_round_1_by_its_extra_questions(survey_id, expected):
    keys = {c.key for c in layout.entry_columns(SURVEYS[survey_id])}
    assert guess_survey(clues(texts=keys), SURVEYS, {}, "101") == expected


@pytest.mark.parametrize(
    ("stem", "code"),
    [
        ("101_København", "101"),
        ("Svar fra Koebenhavn", "101"),
        ("aarhus kommune sde", "751"),
        ("Århus", "751"),
        ("lyngby-taarbaek svar", "173"),
        ("860 svar", "860"),
        ("svar", None),
        ("København og Aarhus", None),  # two municipalities: no guess
    ],
)
def test_municipality_in_a_file_name(stem, code):
    found = municipality_in_filename(stem)
    assert (found.code if found else None) == code
