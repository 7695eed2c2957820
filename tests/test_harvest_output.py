"""What `sdexl harvest` prints: new files one by one, the rest in a line, a summary per survey and what next."""

from __future__ import annotations

from click.testing import CliRunner

from sdexl.cli import main
from sdexl.workspace import init_workspace
from tests import harvest_helpers as h

T0 = 1_700_000_000


def run(ws, *args) -> str:
    done = CliRunner().invoke(main, ["-w", str(ws.root), "harvest", *args], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout


def a_round(tmp_path):
    """Four workbooks issued; back: one clean, one to correct, one unreadable from 151; an Excel lock file."""
    ws = init_workspace(tmp_path / "ws")
    h.set_received(h.filled_form(ws, "101", ws.incoming / "101_København.xlsx"), T0)
    h.set_received(h.filled_form(ws, "147", ws.incoming / "147_Frederiksberg.xlsx", a01_botilbud_i_alt=2), T0 + 1)
    h.generated(ws, "sde-2024", "151")
    h.generated(ws, "sde-2024", "153")
    h.set_received(h.text_as_xlsx(ws.incoming / "151_Ballerup.xlsx"), T0 + 2)
    (ws.incoming / "~$101_København.xlsx").write_bytes(b"\x00owner")
    return ws


def test_the_first_harvest_lists_new_files_names_the_lock_file_once_and_sums_up_the_round(tmp_path):
    ws = a_round(tmp_path)
    out = run(ws)
    lines = out.splitlines()
    assert "seen before" not in out.replace("0 seen before", "")
    assert [line.split()[0] for line in lines if line.endswith(".xlsx") and line[0] != " "] == [
        "accepted", "needs_correction", "rejected"]
    [lock] = [line for line in lines if "~$" in line]
    assert lock.startswith("Skipped 1 Office lock file (~$101_København.xlsx)")
    assert "4 files: 3 new, 0 seen before, 1 skipped." in lines
    summary = next(i for i, line in enumerate(lines) if line.startswith("sde-2024:"))
    assert lines[summary] == ("sde-2024: 3 of 98 participants have sent a file; 1 accepted, 1 needs correction, "
                              "1 rejected, 1 missing, 94 not issued a workbook yet.")
    assert lines[summary + 1:summary + 6] == [
        '  Next: sdexl generate sde-2024        workbooks for the 94 participants without one',
        '        sdexl send sde-2024 feedback   to the 2 who must correct and resend',
        '        sdexl send sde-2024 receipts   to the 1 accepted',
        '        sdexl send sde-2024 reminders  to the 1 missing',
        '        sdexl status sde-2024          where each municipality stands',
    ]


def test_files_seen_before_are_one_line_and_verbose_lists_them(tmp_path):
    ws = a_round(tmp_path)
    run(ws)
    h.set_received(h.filled_form(ws, "153", ws.incoming / "153_Brøndby.xlsx"), T0 + 3)
    out = run(ws)
    listed = [line for line in out.splitlines() if line.endswith(".xlsx")]
    assert len(listed) == 1 and listed[0].split()[:2] == ["accepted", "sde-2024/153"]
    assert "3 files seen before, unchanged (sdexl harvest --verbose lists them)." in out
    assert "5 files: 1 new, 3 seen before, 1 skipped." in out
    assert "(seen before)" not in out
    verbose = run(ws, "--verbose")
    seen = [line for line in verbose.splitlines() if line.endswith("(seen before)")]
    assert len(seen) == 4 and not any("~$" in line for line in seen)
    assert "unchanged (sdexl harvest --verbose" not in verbose
