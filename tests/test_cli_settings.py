"""Issue 8, settings and the command line: generate's warnings and --force, template check, broken
files in every command, --debug anywhere, one language."""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sdexl import layout
from sdexl.cli import main
from sdexl.harvest.intake import discover
from sdexl.harvest.run import harvest
from sdexl.workspace import init_workspace
from tests.fill_helpers import fill_form, valid_form

PYDANTIC_WORDS = ("(top)", "Value error", "pydantic", "errors.pydantic.dev", "Traceback", "model_type")


def run(ws, *args):
    return CliRunner().invoke(main, ["-w", str(ws.root), *args])


def set_settings(ws, contact: str | None = None, deadline: str | None = "2099-12-31") -> None:
    config = ws.root / "sdexl.yaml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"sde-2024: \{[^}]*\}", f"sde-2024: {{deadline: {deadline}}}" if deadline else "sde-2024: {}", text)
    if contact:
        text = text.replace("name: Maibritt Kuszon\n  email: maku@komponent.dk", contact, 1)
    config.write_text(text, encoding="utf-8")


REAL_CONTACT = "name: Anne Andersen\n  email: anan@kl.dk"


# --- generate: warnings before writing ------------------------------------------------------------


def test_generate_warns_of_a_past_deadline_and_the_example_contact_before_writing(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    set_settings(ws, deadline="2024-12-09")
    result = run(ws, "generate", "sde-2024", "-k", "101")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2024-12-09, has already passed" in out and "rounds.sde-2024.deadline" in out
    assert "still holds the example contact (Maibritt Kuszon, maku@komponent.dk)" in out
    assert out.index("Warning:") < out.index("Wrote 1 workbooks")


def test_generate_warns_when_no_deadline_is_set_and_is_quiet_when_all_is_set(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    set_settings(ws, contact=REAL_CONTACT, deadline=None)
    missing = run(ws, "generate", "sde-2024", "-k", "101")
    assert missing.exit_code == 0 and "No deadline is set for sde-2024" in missing.output
    assert "example contact" not in missing.output
    set_settings(ws, contact=REAL_CONTACT)
    quiet = run(ws, "generate", "sde-2024", "-k", "147")
    assert quiet.exit_code == 0 and "Warning" not in quiet.output, quiet.output


# --- generate: --force, and returns on the old token ----------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _token(path: Path) -> str:
    rows = openpyxl.load_workbook(path, read_only=True)[layout.META_SHEET].iter_rows(values_only=True)
    return next(row[1] for row in rows if row and row[0] == "token")


def test_regenerating_needs_force_and_a_return_on_the_old_token_is_still_identified(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    set_settings(ws, contact=REAL_CONTACT)
    assert run(ws, "generate", "sde-2024", "-k", "101").exit_code == 0
    issued = ws.outgoing_dir("sde-2024") / "101_København.xlsx"
    old = tmp_path / "old.xlsx"
    old.write_bytes(issued.read_bytes())
    time.sleep(1.1)  # generated_at has whole seconds: the new workbook must be later

    refused = run(ws, "generate", "sde-2024", "-k", "101", "-k", "147")
    assert refused.exit_code == 1
    assert "already been issued to 1 of these municipalities: København (101)" in refused.output
    assert "--force" in refused.output and "old tokens stay in the ledger" in refused.output
    assert _sha(issued) == _sha(old) and not (ws.outgoing_dir("sde-2024") / "147_Frederiksberg.xlsx").exists()

    forced = run(ws, "generate", "sde-2024", "-k", "101", "--force")
    assert forced.exit_code == 0, forced.output
    assert "still identified by their old token" in forced.output
    assert _token(issued) != _token(old)

    survey = ws.survey("sde-2024")
    fill_form(old, ws.incoming / "svar.xlsx", survey, valid_form(survey))
    [entry] = harvest(ws, discover(ws)).files
    assert entry.kommunekode == "101" and entry.verdict == "accepted_with_warnings", (entry.verdict, entry.issues)
    assert [i.code for i in entry.issues] == ["replaced-token"]
    assert "erstattet af et nyt" in entry.issues[0].message


# --- template check ---------------------------------------------------------------------------------

BROKEN = """\
id: t
title: Test
round: Test
kind: cases
reference_date: 2022-10-01
reference_text: 1. oktober 2022
purpose: p
entry_sheet: Sager
colour: blue
questions:
  - {id: sagsnr, label: Sag nr., type: text, role: case_ref, required: true}
  - {id: q1, number: "1", label: Køn, type: single, required: true, choices: [Mand, Kvinde]}
  - {id: q1, label: x, type: text}
  - id: q3
    label: y
    type: single
    choices: [A, B]
    relevant: {question: nope, in: [Ja]}
  - {id: q5, label: z, type: sometimes}
rules:
  - {id: r1, kind: at_most, part: q9, whole: q1, description: d}
"""


def test_template_check_lists_every_problem_once_with_file_and_line_in_plain_words(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["template", "check", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    expected = {
        1: "field definition: is missing",
        9: "field colour: is not a field of this format",
        13: "question q1, field id: the id q1 is used by another question too",
        18: "question q3, field relevant.question: the condition names unknown question nope",
        19: "question q5, field type: must be 'single', 'multi'",
        21: "rule r1: names questions that do not exist: q9",
    }
    assert len(lines) == len(expected), result.output
    for line_no, words in expected.items():
        assert any(line.startswith(f"{path}:{line_no}: error: ") and words in line for line in lines), (line_no, result.output)
    assert not any(word in result.output for word in PYDANTIC_WORDS), result.output


def test_template_check_places_a_problem_of_an_extending_definition_in_its_own_file(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    child = ws.templates / "sde-2023.yaml"
    child.write_text(child.read_text(encoding="utf-8").replace("choices: *jndv\n  - id: q27", "choices: [Ja, Ja]\n  - id: q27", 1),
                     encoding="utf-8")
    result = CliRunner().invoke(main, ["template", "check", str(child)])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(child.read_text(encoding="utf-8").splitlines(), start=1) if "id: q26_socialtilsynet" in text)
    assert f"{child}:{line}: error: question q26_socialtilsynet: duplicate answer categories" in result.output, result.output


# --- broken files in every command -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["generate", "sde-2024", "-k", "101"], ["status", "sde-2024"],
                                     ["participants", "sde-2024"], ["build", "sde-2024"], ["harvest"]])
def test_a_broken_definition_is_one_clear_message_and_status_2_in_every_command(tmp_path, command):
    ws = init_workspace(tmp_path / "ws")
    (ws.templates / "sde-2024.yaml").write_text(BROKEN.replace("id: t\n", "id: sde-2024\n"), encoding="utf-8")
    result = run(ws, *command)
    assert result.exit_code == 2, result.output
    assert f"{ws.templates / 'sde-2024.yaml'}:13: error: question q1" in result.output
    assert not any(word in result.output for word in PYDANTIC_WORDS), result.output


def test_harvest_goes_on_with_the_other_surveys_and_exits_2_on_a_broken_definition(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    assert run(ws, "generate", "sde-2022", "-k", "101").exit_code == 0
    (ws.templates / "sde-2024.yaml").write_text(BROKEN.replace("id: t\n", "id: sde-2024\n"), encoding="utf-8")
    issued = next((ws.root / "outgoing").rglob("*.xlsx"))
    shutil.copy(issued, ws.root / "incoming" / "101.xlsx")
    result = run(ws, "harvest")
    assert result.exit_code == 2, result.output
    assert "sde-2022/101" in result.output  # the return of the sound survey was harvested
    assert "Returns for sde-2024 were not harvested" in result.output


@pytest.mark.parametrize("command", [["generate", "sde-2024", "-k", "101"], ["status", "sde-2022"], ["harvest"],
                                     ["participants", "sde-2024"]])
def test_broken_settings_are_one_clear_message_and_status_2_in_every_command(tmp_path, command):
    ws = init_workspace(tmp_path / "ws")
    config = ws.root / "sdexl.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("small_cell_threshold: 3", "small_cell_threshold: tre\ncolour: blue"),
                      encoding="utf-8")
    result = run(ws, *command)
    assert result.exit_code == 2, result.output
    assert f"{config}:15: error: field small_cell_threshold: must be a whole number" in result.output
    assert f"{config}:16: error: field colour: is not a field of this format" in result.output
    assert not any(word in result.output for word in PYDANTIC_WORDS), result.output


def test_an_impossible_date_in_the_settings_names_its_line(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    config = ws.root / "sdexl.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("2024-12-09", "2024-13-09"), encoding="utf-8")
    result = run(ws, "status", "sde-2024")
    assert result.exit_code == 2
    assert f"{config}:14: error: a value cannot be read" in result.output and "YYYY-MM-DD" in result.output


# --- --debug anywhere, one language ----------------------------------------------------------------


def test_debug_works_before_and_after_the_subcommand(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    quiet = run(ws, "generate", "sde-1999")
    assert quiet.exit_code == 1 and quiet.exception is not None and "Unknown survey" in quiet.output
    assert isinstance(quiet.exception, SystemExit)
    for args in (["--debug", "-w", str(ws.root), "generate", "sde-1999"], ["-w", str(ws.root), "generate", "sde-1999", "--debug"]):
        result = CliRunner().invoke(main, args)
        assert result.exception is not None and not isinstance(result.exception, SystemExit), args
        assert "Unknown survey 'sde-1999'" in str(result.exception)


def test_progress_labels_are_english(monkeypatch, tmp_path):
    """The command line speaks English (Danish only in quoted messages): every progress label in the code."""
    root = Path(__file__).resolve().parents[1] / "sdexl"
    labels = []
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "progress_bar" and len(node.args) > 1:
                label = node.args[1]
                parts = [label.value] if isinstance(label, ast.Constant) else [
                    v.value for v in getattr(label, "values", []) if isinstance(v, ast.Constant)]
                labels.append((source.name, "".join(parts)))
    assert len(labels) >= 3
    for name, label in labels:
        assert not re.search(r"[æøåÆØÅ]|Indlæs|Genererer|Skriver|syntetiske", label), (name, label)
