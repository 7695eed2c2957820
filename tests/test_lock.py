"""One writer at a time: real processes against one workspace."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdexl import ledger
from sdexl.lock import LOCK_NAME, WorkspaceBusy, read_holder, workspace_lock
from sdexl.workspace import Workspace, init_workspace
from tests.harvest_helpers import filled_form, ledger_dump, set_received

T0 = 1_700_000_000
HOLD = """
import sys, time
from pathlib import Path
from sdexl.lock import workspace_lock
with workspace_lock(Path(sys.argv[1]), "harvest"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(state: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the lock for ``seconds``; returns once it holds it."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(state), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def sdexl(ws: Workspace, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sdexl", "-w", str(ws.root), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def test_a_second_writer_is_told_who_holds_the_lock_and_stops_with_no_wait(tmp_path):
    proc = holder(tmp_path, 30)
    try:
        with pytest.raises(WorkspaceBusy, match=rf"pid {proc.pid} \('sdexl harvest'\) since"), \
                workspace_lock(tmp_path, "build", wait=False):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_a_second_writer_waits_with_a_message_and_then_runs(tmp_path):
    proc = holder(tmp_path, 1.5)
    said: list[str] = []
    start = time.monotonic()
    with workspace_lock(tmp_path, "build", say=said.append):
        waited = time.monotonic() - start
        assert read_holder(tmp_path).pid == os.getpid()
    proc.wait()
    assert waited > 0.5
    assert len(said) == 1 and said[0].startswith(f"Waiting for the workspace lock held by pid {proc.pid}")
    assert (tmp_path / LOCK_NAME).read_text() == ""  # released cleanly: names nobody


def test_a_killed_holder_leaves_no_lock_and_is_named_as_interrupted(tmp_path):
    proc = holder(tmp_path, 60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    start = time.monotonic()
    with workspace_lock(tmp_path, "harvest", wait=False) as held:
        assert time.monotonic() - start < 1
        assert held.stale is not None and held.stale.pid == proc.pid


def test_harvest_with_no_wait_exits_non_zero_while_another_writer_runs(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    proc = holder(ws.state, 60)
    try:
        run = sdexl(ws, "harvest", "--no-wait")
        out, err = run.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert run.returncode == 1, (out, err)
    assert f"The workspace is busy: pid {proc.pid} ('sdexl harvest')" in err


def test_status_never_waits_for_a_writer(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ledger.connect(ws.ledger_path).close()
    proc = holder(ws.state, 60)
    writer = sqlite3.connect(ws.ledger_path)
    writer.execute("BEGIN IMMEDIATE")  # a harvest between two commits holds the ledger's write lock
    try:
        start = time.monotonic()
        status = sdexl(ws, "status", "sde-2024")
        out, err = status.communicate(timeout=60)
        took = time.monotonic() - start
    finally:
        writer.rollback()
        writer.close()
        proc.kill()
        proc.wait()
    assert status.returncode == 0, err
    assert took < 4, f"status waited {took:.1f} s"  # sqlite's busy timeout is 5 s


def test_two_harvests_at_once_end_as_one_harvest(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    for n, code in enumerate(("101", "147", "151", "153", "155", "157")):
        set_received(filled_form(ws, code, ws.incoming / f"{code}.xlsx"), T0 + n)
    once = Workspace(tmp_path / "once", ws.config)
    shutil.copytree(ws.root, once.root)  # copy2: the same received times
    first = sdexl(ws, "harvest")
    while not (ws.state / LOCK_NAME).exists() or not (ws.state / LOCK_NAME).read_text():
        time.sleep(0.05)
    second = sdexl(ws, "harvest")
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], results
    text = "".join(out + err for out, err in results)
    assert "IntegrityError" not in text and not any(line.startswith("rejected") for line in text.splitlines())
    assert "Waiting for the workspace lock held by pid" in results[1][1]
    assert "6 files: 6 new, 0 seen before" in results[0][0] and "6 files: 0 new, 6 seen before" in results[1][0]
    alone = sdexl(once, "harvest")
    assert alone.communicate(timeout=300) and alone.returncode == 0
    assert ledger_dump(ws) == ledger_dump(once)


def test_status_reads_a_ledger_a_killed_writer_left_mid_transaction(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    ledger.connect(ws.ledger_path).close()
    script = (
        "import os, signal, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA cache_size = 1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "c.executemany('INSERT INTO participants VALUES (?, ?, 1, NULL, ?)', "
        "[('sde-2024', str(n), 'x' * 2000) for n in range(3000)])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(ws.ledger_path)], timeout=60)
    status = sdexl(ws, "status", "sde-2024")
    out, err = status.communicate(timeout=60)
    assert status.returncode == 0, err
    conn = ledger.connect(ws.ledger_path, readonly=True)
    try:
        assert conn.execute("SELECT COUNT(*) FROM participants").fetchone()[0] == 0  # rolled back
    finally:
        conn.close()


@pytest.mark.parametrize("command", [["generate", "sde-2024", "-k", "101"], ["build", "sde-2024"],
                                     ["send", "sde-2024", "invitations"], ["reference", "socio", "sdexl.yaml"]])
def test_every_writing_command_takes_the_lock(tmp_path, command):
    ws = init_workspace(tmp_path / "ws")
    proc = holder(ws.state, 60)
    try:
        run = sdexl(ws, *command, "--no-wait", cwd=ws.root)
        out, err = run.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert run.returncode == 1 and "The workspace is busy" in err, (out, err)
    assert not list(ws.outgoing.rglob("*.xlsx"))
