"""What a killed run leaves behind, and which outputs are current.

Every output is written whole (sdexl.atomic), so a killed run can leave only
temporaries: ``.<name>.<random>.tmp`` beside an output, ``.incoming-*`` partial
copies in the archive, and the harvest's work folder ``.sdexl/work/`` (hard
links to archived returns, parse copies). ``remove_leftovers`` clears them; it is
called by the holder of the workspace lock (sdexl.lock), so no other run can be
using them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sdexl import atomic, ledger
from sdexl.harvest.current import current_submissions
from sdexl.workspace import Workspace

WORK_FOLDER = "work"  # under .sdexl/: the harvest's scratch space, on the same disk as the archive
PARTIAL_ARCHIVE = ".incoming-*"  # sdexl.harvest.intake.archive's temporary copies

log = logging.getLogger(__name__)


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


# --- which outputs are current ------------------------------------------------------------------
#
# A survey's outputs (master.xlsx, data.csv, data.parquet, ...) are a function of: its submissions
# (every row: Kilder and Kvalitet list rejected and superseded files too; answers and issues never
# change for a given sha256), the current usable submissions of the other surveys (Udvikling compares
# rounds), every survey definition, the reference data, the settings and the tool version. The
# fingerprint hashes these (definitions as file bytes); the ``outputs`` table holds, per file, the fingerprint it was
# built from and the file's own hash. A file that is missing, was changed, or was built from another
# fingerprint makes its survey stale, and the next harvest or build rebuilds it.

_OWN_COLUMNS = ("sha256", "file", "received_at", "kommunekode", "verdict", "superseded_by", "survey_version",
                "tool_version", "n_cases", "zero_cases", "container", "ident_source")


def harvested_surveys(conn: sqlite3.Connection, ws: Workspace) -> list[str]:
    """Surveys of this workspace with at least one submission: those that have outputs."""
    known = set(ws.survey_ids())
    found = {r[0] for r in conn.execute("SELECT DISTINCT survey_id FROM submissions WHERE survey_id IS NOT NULL")}
    return sorted(found & known)


def fingerprint(conn: sqlite3.Connection, ws: Workspace, survey_id: str, versions: dict[str, str]) -> str:
    """The hash of everything ``survey_id``'s outputs are built from (see above)."""
    from sdexl import __version__

    own = conn.execute(
        f"SELECT {', '.join(_OWN_COLUMNS)} FROM submissions WHERE survey_id = ? ORDER BY sha256", (survey_id,)
    ).fetchall()
    # Kilder and Kvalitet also list the files no survey could be found for, and every copy of known bytes.
    unassigned = conn.execute(
        f"SELECT {', '.join(_OWN_COLUMNS)} FROM submissions WHERE survey_id IS NULL ORDER BY sha256"
    ).fetchall()
    duplicates = conn.execute(
        "SELECT g.file, g.sha256, g.received_at FROM sightings g JOIN submissions s ON s.sha256 = g.sha256 "
        "WHERE s.survey_id = ? AND g.duplicate = 1 ORDER BY g.file, g.sha256",
        (survey_id,),
    ).fetchall()
    state = {
        "survey": survey_id,
        "tool": __version__,
        "settings": ws.config.model_dump(mode="json"),
        "definitions": versions,
        "reference": _folder_hashes(ws.reference),
        "own": [list(r) for r in own],
        "unassigned": [list(r) for r in unassigned],
        "duplicates": [list(r) for r in duplicates],
        "others": _others(conn, ws, survey_id),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _others(conn: sqlite3.Connection, ws: Workspace, survey_id: str) -> list[list]:
    """What Udvikling and Læring read of the other surveys: per current submission its municipality, its
    "no cases" and a digest of its answers and error issues. Not its file name or hash: a file sent again
    with the same answers changes nothing in another survey's master, so that master is not rewritten."""
    result = []
    for other in harvested_surveys(conn, ws):
        if other == survey_id:
            continue
        for sub in current_submissions(conn, other):
            digest = hashlib.sha256()
            for row in conn.execute(
                "SELECT record, row, question_id, value, error FROM answers WHERE submission = ? "
                "ORDER BY record, question_id",
                (sub["sha256"],),
            ):
                digest.update(json.dumps(list(row)).encode("utf-8"))
            digest.update(b"issues")
            for row in conn.execute(
                "SELECT question_id, row, code FROM issues WHERE submission = ? AND severity = 'error' ORDER BY seq",
                (sub["sha256"],),
            ):
                digest.update(json.dumps(list(row)).encode("utf-8"))
            result.append([other, sub["kommunekode"], sub["zero_cases"], digest.hexdigest()])
    return result


def is_current(conn: sqlite3.Connection, ws: Workspace, survey_id: str, state: str) -> bool:
    """True when every recorded output of ``survey_id`` exists, is unchanged and was built from ``state``."""
    rows = conn.execute("SELECT path, state, sha256 FROM outputs WHERE survey_id = ?", (survey_id,)).fetchall()
    if not rows:
        return False
    for row in rows:
        path = ws.root / row["path"]
        if row["state"] != state or not path.is_file() or _sha256(path) != row["sha256"]:
            return False
    return True


def record_built(conn: sqlite3.Connection, ws: Workspace, survey_id: str, state: str, paths: list[Path]) -> None:
    """The files just written for ``survey_id`` are current for ``state`` (one transaction)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = [(Path(p).resolve().relative_to(ws.root.resolve()).as_posix(), survey_id, state, _sha256(Path(p)), now)
            for p in paths]
    with conn:
        conn.execute("DELETE FROM outputs WHERE survey_id = ?", (survey_id,))
        conn.executemany("INSERT INTO outputs VALUES (?, ?, ?, ?, ?)", rows)


@dataclass
class Refreshed:
    built: dict[str, list[Path]] = field(default_factory=dict)  # survey -> files written
    current: list[str] = field(default_factory=list)  # surveys whose outputs were already current
    failed: dict[str, str] = field(default_factory=dict)  # survey -> why

    def notes(self, ws: Workspace) -> list[str]:
        lines = [f"Rebuilt outputs for {sid} in {ws.output_dir(sid)}" for sid in self.built]
        lines += [f"Outputs for {sid} could not be rebuilt: {why}" for sid, why in self.failed.items()]
        return lines


def refresh(ws: Workspace, only: set[str] | None = None, force: set[str] = frozenset()) -> Refreshed:
    """Rebuild the outputs of every harvested survey (or of ``only``) that are not current; ``force``: rebuild
    these even when current. Reads no returned file, and imports pandas only when something is built."""
    result = Refreshed()
    conn = ledger.connect(ws.ledger_path)
    try:
        surveys = [s for s in harvested_surveys(conn, ws) if only is None or s in only]
        versions = _versions(ws, result)
        states = {sid: fingerprint(conn, ws, sid, versions) for sid in surveys if sid in versions}
        stale = [sid for sid, st in states.items() if sid in force or not is_current(conn, ws, sid, st)]
        result.current = [sid for sid in states if sid not in stale]
        if stale:
            _build(conn, ws, stale, states, result)
    finally:
        conn.close()
    return result


def out_of_date(ws: Workspace, survey_id: str) -> bool:
    """True when ``survey_id`` has harvested data and its outputs are not current (read-only: for status)."""
    conn = ledger.connect(ws.ledger_path, readonly=True)
    try:
        if survey_id not in harvested_surveys(conn, ws):
            return False
        state = fingerprint(conn, ws, survey_id, _versions(ws))
        return not is_current(conn, ws, survey_id, state)
    finally:
        conn.close()


def _build(conn, ws: Workspace, stale: list[str], states: dict[str, str], result: Refreshed) -> None:
    from sdexl.harvest.store import load_all_snapshots
    from sdexl.publish.master import build_outputs

    snapshots = load_all_snapshots(ws)
    for survey_id in stale:
        try:
            written = build_outputs(ws, survey_id, snapshots)
        except Exception as exc:  # noqa: BLE001 - the harvest itself is recorded; say what is missing
            log.warning("outputs for %s failed (%s)", survey_id, type(exc).__name__)
            result.failed[survey_id] = f"{type(exc).__name__}: {exc}"
            continue
        record_built(conn, ws, survey_id, states[survey_id], written)
        result.built[survey_id] = written


def _versions(ws: Workspace, result: Refreshed | None = None) -> dict[str, str]:
    """The hash of every survey definition file (an ``extends`` chain stays within these files). The bytes,
    not the parsed definition: parsing the YAML of every survey would cost half a second a command."""
    versions = {}
    for survey_id in ws.survey_ids():
        try:
            versions[survey_id] = _sha256(ws.survey_path(survey_id))
        except OSError as exc:
            if result is not None:
                result.failed[survey_id] = f"the survey definition cannot be read ({exc})"
    return versions


def _folder_hashes(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
