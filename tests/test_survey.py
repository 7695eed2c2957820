"""Survey definitions: the three rounds as transcribed, the format's checks, template check."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.survey.check import check_file
from sdexl.survey.load import DefinitionError, load_survey, version_hash
from sdexl.survey.schema import schema_json
from sdexl.workspace import builtin_templates

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def survey(name: str):
    return load_survey(TEMPLATES / f"{name}.yaml")


def write(tmp_path: Path, text: str, name: str = "t.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MINIMAL = """\
    id: t
    title: Test
    round: Test
    kind: cases
    reference_date: 2022-10-01
    reference_text: 1. oktober 2022
    purpose: p
    definition: d
    entry_sheet: Sager
    questions:
      - {id: sagsnr, label: Sag nr., type: text, role: case_ref, required: true}
      - {id: q1, number: "1", label: Køn, type: single, required: true, choices: [Mand, Kvinde]}
"""


@pytest.mark.parametrize("name", ["sde-2022", "sde-2023", "sde-2024"])
def test_builtin_definitions_pass_template_check(name):
    assert check_file(TEMPLATES / f"{name}.yaml") == []


def test_round_one_transcribes_the_seed_questions_with_the_slips_fixed():
    s = survey("sde-2022")
    numbered = [q.number for q in s.questions if q.number and q.number.isdigit()]
    assert numbered == [str(n) for n in range(1, 26)]
    assert "3 botilbud" in s.question("q07_antal_botilbud").labels  # the seed's list skipped "3"
    assert [c.code for c in s.question("q02_alder").choices] == ["18-25", "26-35", "36-45", "46-55", "56-66", "67+"]
    bands = s.question("q03_udgift").choices
    assert all(a.max == b.min for a, b in zip(bands, bands[1:]))  # no overlap, no gap
    assert s.question("q09_ikke_egen_kommune").relevant.not_in == ["Egen kommune"]
    assert {q.id for q in s.questions if q.personal} == {"navn", "foedselsdato"}
    assert s.case_ref.id == "sagsnr"


def test_round_two_is_round_one_plus_three_supervision_questions_same_reference_date():
    one, two = survey("sde-2022"), survey("sde-2023")
    assert [q.id for q in two.questions[: len(one.questions)]] == [q.id for q in one.questions]
    added = [q.label for q in two.questions[len(one.questions):] if q.type == "single"]
    assert [next(w for w in ("Socialtilsynet", "Patientsikkerhed", "Arbejdstilsynet") if w in label) for label in added] == [
        "Socialtilsynet", "Patientsikkerhed", "Arbejdstilsynet"]
    assert two.reference_date == one.reference_date
    assert version_hash(one) != version_hash(two)


def test_followup_2024_bands_match_round_one_codes_and_rules_tie_parts_to_whole():
    s, one = survey("sde-2024"), survey("sde-2022")
    age = [q.code for q in s.questions if q.indicator == "age_band"]
    cost = [q.code for q in s.questions if q.indicator == "cost_band"]
    assert age == [c.code for c in one.question("q02_alder").choices]  # 46-55 restored
    assert cost == [c.code for c in one.question("q03_udgift").choices]
    assert "2,0-2,5 mio. kr." in [q.label for q in s.questions]  # not "2-2,5,0"
    sums = {r.id: r for r in s.rules if r.kind == "sum_equals"}
    assert {r.whole for r in sums.values()} == {"a02_over_2mio"}
    assert sorted(len(r.parts) for r in sums.values()) == [6, 7]


def test_version_hash_is_stable_and_changes_with_content(tmp_path):
    a = load_survey(write(tmp_path, MINIMAL))
    assert version_hash(a) == version_hash(load_survey(write(tmp_path, MINIMAL, "copy.yaml")))
    b = load_survey(write(tmp_path, MINIMAL.replace("Kvinde]", "Kvinde, Andet]"), "b.yaml"))
    assert version_hash(a) != version_hash(b)


@pytest.mark.parametrize(
    ("change", "location", "words"),
    [
        ("relevant: {question: nope, in: [Ja]}", "(q2)", "unknown question nope"),
        ("relevant: {question: q1, in: [Ja]}", "(q2)", "'Ja' is not a category of q1"),
        ("type: single", "(q2)", "needs choices"),
    ],
)
def test_structural_problems_are_reported_with_their_location(tmp_path, change, location, words):
    text = MINIMAL + f"      - {{id: q2, label: x, type: {'text' if 'type' not in change else 'single'}, {change if 'type' not in change else ''}}}\n"
    problems = check_file(write(tmp_path, text))
    assert problems, "the problem was not found"
    assert any(words in p.message for p in problems), problems
    assert all(p.severity == "error" for p in problems)


def test_excel_limits_are_checked_when_the_definition_is_read(tmp_path):
    long_help = "x" * 260
    text = MINIMAL.replace("entry_sheet: Sager", "entry_sheet: Sager med et alt for langt navn til Excel") + (
        f"      - {{id: q2, number: '2', label: y, type: single, help: {long_help}, choices: [{', '.join(f'Svar nummer {i:03d} i en lang liste' for i in range(12))}]}}\n"
    )
    problems = check_file(write(tmp_path, text))
    messages = [str(p) for p in problems]
    assert any("entry_sheet" in m and "31" in m for m in messages), messages
    # Plain words and the line: "t.yaml:13: error: question q2: input help message ... 255"
    assert any(":13: error: question q2:" in m and "input help message" in m and "255" in m for m in messages), messages
    assert any(p.severity == "warning" and "list sheet" in p.message for p in problems), messages


def test_extends_appends_questions_and_unknown_parent_is_reported(tmp_path):
    write(tmp_path, MINIMAL, "base.yaml")
    child = write(tmp_path, """\
        extends: base
        id: child
        add_questions:
          - {id: q9, label: Ekstra, type: text}
    """, "child.yaml")
    s = load_survey(child)
    assert [q.id for q in s.questions] == ["sagsnr", "q1", "q9"] and s.id == "child"
    orphan = write(tmp_path, "extends: missing\nid: x\n", "orphan.yaml")
    with pytest.raises(DefinitionError, match="missing.yaml"):
        load_survey(orphan)


def test_template_check_cli_exit_status_and_messages(tmp_path):
    good = CliRunner().invoke(main, ["template", "check", str(TEMPLATES / "sde-2024.yaml")])
    assert good.exit_code == 0 and "OK" in good.output
    bad = write(tmp_path, MINIMAL.replace("kind: cases", "kind: sometimes"))
    result = CliRunner().invoke(main, ["template", "check", str(bad)])
    assert result.exit_code == 1 and "kind" in result.output


def test_committed_json_schema_is_current_and_ships_with_the_package():
    assert json.loads((TEMPLATES / "survey.schema.json").read_text(encoding="utf-8")) == json.loads(schema_json())
    assert (builtin_templates() / "sde-2022.yaml").exists()
