"""Where each of the 98 municipalities stands in one survey.

The status of a municipality is the verdict of its current file (the latest
usable one). A municipality whose files were all rejected is "rejected", and
one with no file at all is "missing": those are the ones to call.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

from sdexl import ledger
from sdexl.harvest.store import current_submissions
from sdexl.reference import municipalities
from sdexl.workspace import Workspace


@dataclass(frozen=True)
class StatusRow:
    kommunekode: str
    kommune: str
    kkr: str
    status: str  # missing | accepted | accepted_with_warnings | needs_correction | rejected
    cases: int = 0
    errors: int = 0
    warnings: int = 0
    file: str | None = None  # the file the status comes from
    issued: bool = False
    returned: bool = False  # any file came back, usable or not
    received_at: str | None = None

    def as_json(self) -> dict:
        return asdict(self)


def survey_status(ws: Workspace, survey_id: str) -> list[StatusRow]:
    """All 98 municipalities, in kommunekode order. Raises WorkspaceError for an unknown survey."""
    ws.survey(survey_id)
    conn = ledger.connect(ws.ledger_path)
    try:
        return status_from(conn, survey_id)
    finally:
        conn.close()


def status_from(conn: sqlite3.Connection, survey_id: str) -> list[StatusRow]:
    issued = {i.kommunekode for i in ledger.issued_for(conn, survey_id)}
    current = {r["kommunekode"]: r for r in current_submissions(conn, survey_id, with_empty=True)}
    rejected = _latest_rejected(conn, survey_id)
    rows = []
    for m in sorted(municipalities(), key=lambda m: int(m.code)):
        sub = current.get(m.code) or rejected.get(m.code)
        base = {"kommunekode": m.code, "kommune": m.name, "kkr": m.kkr, "issued": m.code in issued}
        if sub is None:
            rows.append(StatusRow(status="missing", **base))
            continue
        errors, warnings = _counts(conn, sub["sha256"])
        rows.append(
            StatusRow(
                status=sub["verdict"],
                cases=sub["n_cases"],
                errors=errors,
                warnings=warnings,
                file=sub["file"],
                returned=True,
                received_at=sub["received_at"],
                **base,
            )
        )
    return rows


def _latest_rejected(conn: sqlite3.Connection, survey_id: str) -> dict[str, sqlite3.Row]:
    rows = conn.execute(
        "SELECT * FROM submissions WHERE survey_id = ? AND verdict = 'rejected' AND kommunekode IS NOT NULL "
        "AND superseded_by IS NULL "
        "ORDER BY received_at, file",
        (survey_id,),
    )
    return {r["kommunekode"]: r for r in rows}


def _counts(conn: sqlite3.Connection, sha: str) -> tuple[int, int]:
    row = conn.execute(
        "SELECT SUM(severity = 'error') AS e, SUM(severity = 'warning') AS w FROM issues WHERE submission = ?", (sha,)
    ).fetchone()
    return int(row["e"] or 0), int(row["w"] or 0)


def summary(rows: list[StatusRow]) -> dict[str, int]:
    """How many municipalities have each status, for the line under the table."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
