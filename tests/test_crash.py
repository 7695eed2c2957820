"""A harvest killed (SIGKILL) at any point, then run again, ends exactly as an uninterrupted harvest.

The kill comes from inside (sdexl/faults.py: SDEXL_FAULT names the point), so it lands where it is
meant to: while a return is archived, while files are examined, after they are recorded, while
a receipt and feedback are written, while data.csv and master.xlsx are written.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from sdexl.workspace import Workspace, init_workspace
from tests.harvest_helpers import filled_form, ledger_dump, set_received, text_as_xlsx, tree_hashes

T0 = 1_700_000_000
POINTS = [
    "archive@3",  # the third return half copied into the archive
    "examined@2",  # mid-examination: the second file examined, not recorded
    "record@4",  # four files recorded, perhaps not yet committed
    "recorded",  # every file recorded; no supersede, feedback, receipt or master yet
    "write:101_København_kvittering.xlsx",  # a receipt half written
    "feedback@1",  # the first feedback workbook written, the second not
    "write:data.csv",  # data.csv half written
    "write:master.xlsx",  # the master half written
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A workspace with returns waiting in incoming/: clean, needing correction, corrected, copied, unreadable."""
    ws = init_workspace(tmp_path_factory.mktemp("crash") / "ws")
    returns = [
        filled_form(ws, "101", ws.incoming / "101_København.xlsx"),
        filled_form(ws, "147", ws.incoming / "147_Frederiksberg.xlsx", a01_botilbud_i_alt=2),
        filled_form(ws, "151", ws.incoming / "151_Ballerup.xlsx", a01_botilbud_i_alt=2),
        filled_form(ws, "153", ws.incoming / "153_Brøndby.xlsx"),
        filled_form(ws, "147", ws.incoming / "147_Frederiksberg rettet.xlsx"),
        text_as_xlsx(ws.incoming / "155_Dragør.xlsx"),
    ]
    shutil.copy2(returns[0], ws.incoming / "kopi af 101.xlsx")
    returns.append(ws.incoming / "kopi af 101.xlsx")
    for n, path in enumerate(returns):
        set_received(path, T0 + 60 * n)
    return ws.root


def harvest(root: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SDEXL_FAULT"} | ({"SDEXL_FAULT": fault} if fault else {})
    return subprocess.run([sys.executable, "-m", "sdexl", "-w", str(root), "harvest"], env=env,
                          capture_output=True, text=True, timeout=300)


def copy_of(prepared: Path, to: Path) -> Path:
    shutil.copytree(prepared, to)  # copy2: the received times stay
    return to


@pytest.fixture(scope="module")
def uninterrupted(prepared, tmp_path_factory) -> dict:
    root = copy_of(prepared, tmp_path_factory.mktemp("clean") / "ws")
    done = harvest(root)
    assert done.returncode == 0, done.stderr
    return final_state(root)


def final_state(root: Path) -> dict:
    """Everything a consultant relies on after a harvest, without the times of the run."""
    ws = Workspace(root)
    output = ws.output_dir("sde-2024")
    conn = sqlite3.connect(ws.ledger_path)
    try:
        unsettled = conn.execute("SELECT COUNT(*) FROM unsettled").fetchone()[0]
        outputs = sorted(r[0] for r in conn.execute("SELECT path FROM outputs"))
    finally:
        conn.close()
    leftovers = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and (
                 p.name.endswith(".tmp") or p.name.startswith(".incoming-") or "work" in p.relative_to(root).parts)]
    return {
        "ledger": ledger_dump(ws),
        "unsettled": unsettled,
        "outputs recorded": outputs,
        "data.csv": (output / "data.csv").read_text(encoding="utf-8"),
        "master": master_values(output / "master.xlsx"),
        "files": sorted(_without_stamp(p.relative_to(root).as_posix()) for p in ws.output.rglob("*.xlsx")),
        "archive": tree_hashes(ws.archive),
        "incoming": tree_hashes(ws.incoming),
        "leftovers": leftovers,
    }


def master_values(path: Path) -> dict[str, list]:
    """Every sheet's cell values; the build time (in Oversigt and Kilder) is the one thing allowed to differ."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [[_without_time(v) for v in row] for row in ws.iter_rows(values_only=True)]
                for ws in book.worksheets}
    finally:
        book.close()


def _without_time(value):
    today = dt.date.today()
    if isinstance(value, dt.datetime):
        return "<time>" if value.date() >= today - dt.timedelta(days=1) else value
    if isinstance(value, str) and any(today.strftime(f) in value for f in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")):
        return "<time>"
    return value


def _without_stamp(name: str) -> str:
    """Retired outputs carry the time they were moved aside (forældet/NAME 2026-12-03T07-40-00.xlsx)."""
    head, sep, _ = name.rpartition(" 20")
    return f"{head} <stamp>" if sep and "forældet" in name else name


def test_an_uninterrupted_harvest_leaves_what_the_comparison_expects(uninterrupted):
    """The reference state is a real one: outputs, feedback for both files to correct, a receipt."""
    assert uninterrupted["unsettled"] == 0 and not uninterrupted["leftovers"]
    names = " ".join(uninterrupted["files"])
    assert "master.xlsx" in names and "tilbagemelding/151" in names and "kvittering" in names
    assert len(uninterrupted["ledger"]["submissions"]) == 6  # the copy is a sighting of 101's bytes


@pytest.mark.parametrize("point", POINTS)
def test_a_harvest_killed_at_any_point_then_run_again_ends_as_an_uninterrupted_one(point, prepared, uninterrupted,
                                                                                   tmp_path):
    root = copy_of(prepared, tmp_path / "ws")
    killed = harvest(root, fault=point)
    assert killed.returncode == -signal.SIGKILL, f"{point} was never reached: {killed.stdout}{killed.stderr}"
    master = root / "output" / "sde-2024" / "master.xlsx"
    assert not master.exists() or master.stat().st_size > 0  # never a 0-byte master
    again = harvest(root)
    assert again.returncode == 0, again.stderr
    assert final_state(root) == uninterrupted


def test_a_kill_while_the_master_is_rewritten_keeps_the_previous_master(prepared, tmp_path):
    root = copy_of(prepared, tmp_path / "ws")
    assert harvest(root).returncode == 0
    master = root / "output" / "sde-2024" / "master.xlsx"
    before = master.read_bytes()
    set_received(filled_form(Workspace(root), "157", root / "incoming" / "157_Gentofte.xlsx"), T0 + 3600)
    assert harvest(root, fault="write:master.xlsx").returncode == -signal.SIGKILL
    assert master.read_bytes() == before  # the old master, whole
    assert harvest(root).returncode == 0
    assert master.read_bytes() != before
    assert not list(master.parent.glob(".*.tmp"))
