"""What a killed run leaves behind, and which outputs are current.

Every output is written whole (sdexl.atomic), so a killed run can leave only
temporaries: ``.<name>.<random>.tmp`` beside an output, ``.incoming-*`` partial
copies in the archive, and the harvest's work folder ``.sdexl/work/`` (hard
links to archived returns, parse copies). ``remove_leftovers`` clears them; it is
called by the holder of the workspace lock (sdexl.lock), so no other run can be
using them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sdexl import atomic
from sdexl.workspace import Workspace

WORK_FOLDER = "work"  # under .sdexl/: the harvest's scratch space, on the same disk as the archive
PARTIAL_ARCHIVE = ".incoming-*"  # sdexl.harvest.intake.archive's temporary copies


def work_dir(ws: Workspace) -> Path:
    return ws.state / WORK_FOLDER


def remove_leftovers(ws: Workspace) -> int:
    """Delete what a killed run left; returns how many files and folders were removed."""
    removed = 0
    work = work_dir(ws)
    if work.exists():
        removed += sum(1 for _ in work.iterdir())
        shutil.rmtree(work, ignore_errors=True)
    if ws.archive.is_dir():
        for partial in ws.archive.glob(f"*/{PARTIAL_ARCHIVE}"):
            partial.unlink(missing_ok=True)
            removed += 1
    for folder in (ws.output, ws.outgoing):
        removed += atomic.remove_stale_temporaries(folder)
    return removed
