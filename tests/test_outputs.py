"""Outputs are written whole, and what a killed run leaves is cleared by the next."""

from __future__ import annotations

import hashlib
import os

import openpyxl

from sdexl import ledger, outputs
from sdexl.generate.metadata import write_atomically
from sdexl.harvest import run
from sdexl.harvest.feedback import feedback_path
from sdexl.harvest.intake import discover
from sdexl.harvest.receipt import receipt_path
from sdexl.reference import by_code
from sdexl.workspace import init_workspace
from tests.harvest_helpers import filled_form, set_received


def test_leftovers_of_a_killed_run_are_removed_and_outputs_kept(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    partial = ws.archive / "ab" / ".incoming-x1y2"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half a return")
    link = outputs.work_dir(ws) / "harvest-123" / "0" / "101_København.xlsx"
    link.parent.mkdir(parents=True)
    link.write_bytes(b"linked")
    temp = ws.output / "sde-2024" / ".master.xlsx.k3j4.tmp"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"")
    kept = ws.output / "sde-2024" / "master.xlsx"
    kept.write_bytes(b"the master")
    assert outputs.remove_leftovers(ws) == 3
    assert not partial.exists() and not outputs.work_dir(ws).exists() and not temp.exists()
    assert kept.read_bytes() == b"the master"


def test_harvest_keeps_its_scratch_space_inside_the_workspace_and_removes_it(tmp_path, monkeypatch):
    ws = init_workspace(tmp_path / "ws")
    filled_form(ws, "101", ws.incoming / "101.xlsx")
    seen: list[str] = []
    real = run._harvest_all

    def spy(ws_, conn, files, surveys, issued, options, work, *rest):
        seen.append(str(work))
        assert work.is_dir()
        return real(ws_, conn, files, surveys, issued, options, work, *rest)

    monkeypatch.setattr(run, "_harvest_all", spy)
    result = run.harvest(ws, discover(ws), run.Options(isolate=False))
    assert [f.verdict for f in result.files] == ["accepted"]
    assert seen and seen[0].startswith(str(outputs.work_dir(ws)))
    assert not any(outputs.work_dir(ws).iterdir())


def test_a_generated_workbook_is_written_through_a_temporary_beside_it(tmp_path, monkeypatch):
    target = tmp_path / "101_København.xlsx"
    renamed: list[tuple[str, str]] = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renamed.append((str(a), str(b))), real(a, b))[1])
    write_atomically(target, b"workbook")
    assert target.read_bytes() == b"workbook"
    [(temp, final)] = renamed
    assert final == str(target) and os.path.dirname(temp) == str(tmp_path) and temp.endswith(".tmp")


# --- outputs current for a ledger state ---------------------------------------------------------

T0 = 1_700_000_000


def _cli(ws, *args):
    from click.testing import CliRunner

    from sdexl.cli import main

    result = CliRunner().invoke(main, ["-w", str(ws.root), *args])
    assert result.exit_code == 0, result.output
    return result.output


def _harvested(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    set_received(filled_form(ws, "101", ws.incoming / "101.xlsx"), T0)
    set_received(filled_form(ws, "147", ws.incoming / "147.xlsx", a01_botilbud_i_alt=2), T0 + 10)
    _cli(ws, "harvest")
    return ws


def test_a_deleted_or_emptied_master_is_rebuilt_by_the_next_harvest_with_nothing_new(tmp_path):
    ws = _harvested(tmp_path)
    master = ws.output_dir("sde-2024") / "master.xlsx"
    first = master.read_bytes()
    master.unlink()
    out = _cli(ws, "harvest")
    assert "0 new" in out and master.read_bytes()[:2] == b"PK"
    master.write_bytes(b"")  # as a writer killed the old way left it
    _cli(ws, "harvest")
    assert len(first) > 1000 and master.stat().st_size > 1000
    openpyxl.load_workbook(master, read_only=True).close()


def test_current_outputs_are_not_rebuilt_and_a_changed_input_rebuilds_them(tmp_path):
    ws = _harvested(tmp_path)
    folder = ws.output_dir("sde-2024")
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}
    out = _cli(ws, "harvest")
    assert "Rebuilt" not in out
    assert "are current" in _cli(ws, "build", "sde-2024")
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()} == stamps
    (ws.reference / "socio_indeks.csv").write_text("kommunekode,indeks\n101,1.07\n147,0.93\n", encoding="utf-8")
    assert "Wrote" in _cli(ws, "build", "sde-2024")
    assert "Wrote" in _cli(ws, "build", "sde-2024", "--force")
    set_received(filled_form(ws, "151", ws.incoming / "151.xlsx"), T0 + 20)
    assert "Rebuilt outputs for sde-2024" in _cli(ws, "harvest")


def test_the_ledger_records_each_output_with_its_hash_and_state(tmp_path):
    ws = _harvested(tmp_path)
    conn = ledger.connect(ws.ledger_path)
    try:
        rows = {r["path"]: r for r in conn.execute("SELECT * FROM outputs")}
        state = outputs.fingerprint(conn, ws, "sde-2024", outputs._versions(ws, outputs.Refreshed()))
    finally:
        conn.close()
    assert "output/sde-2024/master.xlsx" in rows and "output/sde-2024/data.csv" in rows
    for path, row in rows.items():
        assert row["state"] == state
        assert row["sha256"] == hashlib.sha256((ws.root / path).read_bytes()).hexdigest()


def test_feedback_a_killed_harvest_did_not_write_is_written_by_the_next(tmp_path, monkeypatch):
    ws = init_workspace(tmp_path / "ws")
    set_received(filled_form(ws, "101", ws.incoming / "101.xlsx"), T0)
    set_received(filled_form(ws, "147", ws.incoming / "147.xlsx", a01_botilbud_i_alt=2), T0 + 10)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stands in for the kill: nothing after the recording runs

    monkeypatch.setattr(run, "_supersede", killed)
    try:
        run.harvest(ws, options=run.Options(isolate=False))
    except KeyboardInterrupt:
        pass
    assert not feedback_path(ws, ws.survey("sde-2024"), by_code()["147"]).exists()
    monkeypatch.undo()
    again = run.harvest(ws, options=run.Options(isolate=False))
    assert sorted((f.verdict, f.new) for f in again.files) == [("accepted", True), ("needs_correction", True)]
    assert any("interrupted harvest" in n for n in again.notes)
    assert feedback_path(ws, ws.survey("sde-2024"), by_code()["147"]).exists()
    assert receipt_path(ws, "sde-2024", by_code()["101"]).exists()
    third = run.harvest(ws, options=run.Options(isolate=False))
    assert not any(f.new for f in third.files)


def test_status_says_when_the_outputs_are_not_current(tmp_path):
    ws = _harvested(tmp_path)
    assert "not current" not in _cli(ws, "status", "sde-2024")
    (ws.output_dir("sde-2024") / "data.csv").unlink()
    assert "are not current" in _cli(ws, "status", "sde-2024")
    assert not (ws.output_dir("sde-2024") / "data.csv").exists()  # status only tells


def test_only_the_surveys_whose_inputs_changed_are_rebuilt(tmp_path):
    from tests.harvest_helpers import filled_cases, text_as_xlsx, valid_case

    ws = _harvested(tmp_path)
    survey22 = ws.survey("sde-2022")
    set_received(filled_cases(ws, "101", ws.incoming / "2022" / "101.xlsx", [valid_case(survey22, "A1")]), T0 + 30)
    out = _cli(ws, "harvest")
    assert "Rebuilt outputs for sde-2022" in out and "Rebuilt outputs for sde-2024" in out  # Udvikling compares them
    (ws.incoming / "sde-2024").mkdir()
    set_received(text_as_xlsx(ws.incoming / "sde-2024" / "151_Ballerup.xlsx"), T0 + 40)
    out = _cli(ws, "harvest")  # a rejected file: in sde-2024's Kilder, nowhere in sde-2022's master
    assert "Rebuilt outputs for sde-2024" in out and "Rebuilt outputs for sde-2022" not in out
    assert "Rebuilt" not in _cli(ws, "harvest")


def _cells(path):
    """Every sheet's values, without the build time in Oversigt's first lines ("Dannet ...")."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    return {
        name: [[v for v in row if not (isinstance(v, str) and "Dannet" in v)]
               for row in book.get_sheet_by_name(name).to_python()]
        for name in book.sheet_names
    }


def test_outputs_after_an_incremental_harvest_equal_a_fresh_build_from_the_same_ledger(tmp_path):
    ws = _harvested(tmp_path)
    set_received(filled_form(ws, "151", ws.incoming / "151.xlsx", a01_botilbud_i_alt=4), T0 + 20)
    set_received(filled_form(ws, "101", ws.incoming / "101 rettet.xlsx", a01_botilbud_i_alt=3), T0 + 30)
    assert "Rebuilt outputs for sde-2024" in _cli(ws, "harvest")
    folder = ws.output_dir("sde-2024")
    incremental = {"data.csv": (folder / "data.csv").read_bytes(), "master": _cells(folder / "master.xlsx")}
    fresh = init_workspace(tmp_path / "fresh")
    fresh.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    fresh.ledger_path.write_bytes(ws.ledger_path.read_bytes())
    for item in ws.reference.iterdir():
        (fresh.reference / item.name).write_bytes(item.read_bytes())
    _cli(fresh, "build", "sde-2024", "--force")
    again = fresh.output_dir("sde-2024")
    assert (again / "data.csv").read_bytes() == incremental["data.csv"]
    assert _cells(again / "master.xlsx") == incremental["master"]


def test_a_harvest_for_one_survey_leaves_the_other_surveys_outputs_unwritten(tmp_path):
    from tests.harvest_helpers import filled_cases, text_as_xlsx, valid_case

    ws = _harvested(tmp_path)
    survey22 = ws.survey("sde-2022")
    set_received(filled_cases(ws, "101", ws.incoming / "2022" / "101.xlsx", [valid_case(survey22, "A1")]), T0 + 30)
    _cli(ws, "harvest")
    folder = ws.output_dir("sde-2022")
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()}
    assert {"master.xlsx", "data.csv"} <= set(before)
    (ws.incoming / "sde-2024").mkdir()
    set_received(text_as_xlsx(ws.incoming / "sde-2024" / "151_Ballerup.xlsx"), T0 + 40)  # rejected: sde-2024 only
    set_received(filled_form(ws, "147", ws.incoming / "147 igen.xlsx", a01_botilbud_i_alt=2), T0 + 50)  # same answers
    out = _cli(ws, "harvest")
    assert "Rebuilt outputs for sde-2024" in out and "Rebuilt outputs for sde-2022" not in out
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir() if p.is_file()} == before
