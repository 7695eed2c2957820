"""Outputs are written whole, and what a killed run leaves is cleared by the next."""

from __future__ import annotations

import os

from sdexl import outputs
from sdexl.generate.metadata import write_atomically
from sdexl.harvest import run
from sdexl.harvest.intake import discover
from sdexl.workspace import init_workspace
from tests.harvest_helpers import filled_form


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
