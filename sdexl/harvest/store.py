"""The harvested state of a survey, read back from the ledger as a ``Snapshot``.

Per municipality only the current submission counts: the latest usable file
(accepted, accepted with warnings or needs correction) that nothing has
superseded. Answers come back exactly as harvest stored them (JSON), so a value
a municipality typed survives the round trip unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

import pandas as pd

from sdexl import ledger
from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE, Snapshot
from sdexl.harvest.current import HAS_CONTENT, USABLE, current_submissions  # noqa: F401 (re-exported)
from sdexl.survey.load import version_hash
from sdexl.survey.model import Survey
from sdexl.workspace import Workspace

UNASSIGNED = "unassigned"  # Snapshot.submissions: a file no survey could be found for
SUBMISSION_COLUMNS = [
    "file",
    "sha256",
    "verdict",
    "kommunekode",
    "received_at",
    "survey_version",
    "tool_version",
    "superseded",
    "duplicate_of",  # a duplicate: the file whose bytes it repeats
]


def load_snapshot(ws: Workspace, survey_id: str) -> Snapshot:
    """The current harvested answers of ``survey_id``; empty when nothing came back yet."""
    survey = ws.survey(survey_id)
    conn = ledger.connect(ws.ledger_path)
    try:
        return snapshot_from(conn, survey)
    finally:
        conn.close()


def load_all_snapshots(ws: Workspace) -> dict[str, Snapshot]:
    """A snapshot of every survey with at least one submission (analysis compares rounds)."""
    conn = ledger.connect(ws.ledger_path)
    try:
        ids = [r[0] for r in conn.execute("SELECT DISTINCT survey_id FROM submissions WHERE survey_id IS NOT NULL")]
        known = set(ws.survey_ids())
        return {sid: snapshot_from(conn, ws.survey(sid)) for sid in sorted(ids) if sid in known}
    finally:
        conn.close()


def snapshot_from(conn: sqlite3.Connection, survey: Survey) -> Snapshot:
    current = current_submissions(conn, survey.id)
    rejected: dict[tuple, str] = {}
    return Snapshot(
        survey=survey,
        survey_version=version_hash(survey),
        records=_records(conn, survey, current, rejected),
        rejected=rejected,
        participants=[r["kommunekode"] for r in current],
        zero_cases=[r["kommunekode"] for r in current if r["zero_cases"]],
        submissions=_submissions(conn, survey.id),
        issue_counts=_issue_counts(conn, current),
    )


def columns(survey: Survey) -> list[str]:
    """kommunekode, sagsnr (case surveys), then every non-personal question id."""
    head = [KOMMUNEKODE] + ([CASE_REF] if survey.kind == "cases" else [])
    return head + [q.id for q in survey.analysis_questions if q.id not in head]


def _records(
    conn: sqlite3.Connection, survey: Survey, current: list[sqlite3.Row], rejected: dict[tuple, str]
) -> pd.DataFrame:
    """The records table; ``rejected`` is filled with (row position, question id) -> issue code."""
    names = columns(survey)
    wanted = set(names)
    case_ref = survey.case_ref.id if survey.case_ref else None
    rows: list[dict] = []
    for sub in current:
        by_record: dict[int, dict] = defaultdict(dict)
        errors: dict[int, dict[str, str]] = defaultdict(dict)
        codes = _error_codes(conn, sub["sha256"])
        stored = [a for a in _answers(conn, sub["sha256"]) if a[1] in wanted]
        for (record, qid, _value, error, row), value in zip(stored, _decode([a[2] for a in stored])):
            by_record[record][qid] = None if error else value
            if error:
                errors[record][qid] = _code_for(codes, qid, row)
        for record, answers in by_record.items():
            for qid, code in errors[record].items():
                rejected[(len(rows), qid)] = code
            row = {name: None for name in names}
            row.update(answers)
            row[KOMMUNEKODE] = sub["kommunekode"]
            if case_ref and CASE_REF in row:
                row[CASE_REF] = _text(answers.get(case_ref))
            rows.append(row)
    return pd.DataFrame(rows, columns=names, dtype=object)


def _answers(conn: sqlite3.Connection, sha256: str) -> list[tuple]:
    """(record, question id, value as JSON, error, row) of one submission's answers, in record order."""
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a Row object per answer cost more than the answer itself
    return cursor.execute(
        "SELECT record, question_id, value, error, row FROM answers WHERE submission = ? ORDER BY record", (sha256,)
    ).fetchall()


def _decode(values: list[str | None]) -> list:
    """Each stored JSON value decoded; one ``json.loads`` of them all as an array (the ledger writes
    every value with ``json.dumps``), about four times faster than one call per answer."""
    if not values:
        return []
    return json.loads("[" + ",".join("null" if v is None else v for v in values) + "]")


def _error_codes(conn: sqlite3.Connection, sha256: str) -> list[tuple[str | None, int | None, str]]:
    """(question id, row, code) of the error issues of one submission, in order."""
    return [
        (r["question_id"], r["row"], r["code"])
        for r in conn.execute(
            "SELECT question_id, row, code FROM issues WHERE submission = ? AND severity = 'error' ORDER BY seq",
            (sha256,),
        )
    ]


def _code_for(codes: list[tuple[str | None, int | None, str]], qid: str, row: int | None) -> str:
    """The issue that rejected an answer: its own, else a cross-field rule of the same record."""
    same_row = [(q, code) for q, r, code in codes if r == row or r is None or row is None]
    own = next((code for q, code in same_row if q == qid), None)
    if own is not None:
        return own
    return next((code for _, code in same_row if code.startswith("rule-")), "")


def _text(value) -> str | None:
    """A case number typed as 17 comes back as the number 17: the column holds text."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _submissions(conn: sqlite3.Connection, survey_id: str) -> pd.DataFrame:
    """Every file that arrived for the survey: each submission, and each copy of known bytes (a duplicate).

    A duplicate (the same bytes under another name) is stored once as a
    submission; its other names are sightings. They are listed too, with the
    file they duplicate, so Kvalitet and Kilder count every file that arrived.
    """
    rows = [
        {
            "file": r["file"],
            "sha256": r["sha256"],
            "verdict": "superseded" if r["superseded_by"] else r["verdict"],
            "kommunekode": r["kommunekode"],
            "received_at": r["received_at"],
            "survey_version": r["survey_version"],
            "tool_version": r["tool_version"],
            "superseded": r["superseded_by"] is not None,
            "duplicate_of": None,
        }
        for r in conn.execute("SELECT * FROM submissions WHERE survey_id = ? ORDER BY received_at, file", (survey_id,))
    ]
    rows += [
        {
            "file": r["file"],
            "sha256": r["sha256"],
            "verdict": "duplicate",
            "kommunekode": r["kommunekode"],
            "received_at": r["received_at"],
            "survey_version": r["survey_version"],
            "tool_version": r["tool_version"],
            "superseded": False,
            "duplicate_of": r["original"],
        }
        for r in conn.execute(
            "SELECT g.file, g.sha256, g.received_at, s.kommunekode, s.survey_version, s.tool_version, "
            "s.file AS original FROM sightings g JOIN submissions s ON s.sha256 = g.sha256 "
            "WHERE s.survey_id = ? AND g.duplicate = 1 ORDER BY g.received_at, g.file",
            (survey_id,),
        )
    ]
    # A file that could not be tied to any survey (unreadable, no token, no name to go by) arrived
    # too; every survey's master lists it, since it may have been meant for any of them.
    rows += [
        {
            "file": r["file"],
            "sha256": r["sha256"],
            "verdict": UNASSIGNED,
            "kommunekode": r["kommunekode"],
            "received_at": r["received_at"],
            "survey_version": None,
            "tool_version": r["tool_version"],
            "superseded": False,
            "duplicate_of": None,
        }
        for r in conn.execute("SELECT * FROM submissions WHERE survey_id IS NULL ORDER BY received_at, file")
    ]
    rows.sort(key=lambda r: (str(r["received_at"]), r["file"]))
    return pd.DataFrame(rows, columns=SUBMISSION_COLUMNS)


def _issue_counts(conn: sqlite3.Connection, current: list[sqlite3.Row]) -> pd.DataFrame:
    shas = [r["sha256"] for r in current]
    if not shas:
        return pd.DataFrame(columns=["code", "severity", "count"])
    marks = ",".join("?" * len(shas))
    rows = conn.execute(
        f"SELECT code, severity, COUNT(*) AS count FROM issues WHERE submission IN ({marks}) "
        "GROUP BY code, severity ORDER BY count DESC, code",
        shas,
    ).fetchall()
    return pd.DataFrame([dict(r) for r in rows], columns=["code", "severity", "count"])
