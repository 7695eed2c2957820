"""The workspace ledger: one SQLite file recording what was issued and what came back.

Schema changes are appended to ``MIGRATIONS``; ``PRAGMA user_version`` says how
many have run, so an old workspace is upgraded in place when it is opened.
Personal fields never enter the ledger: harvest drops them before storing.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MIGRATIONS: list[str] = [
    # 1: workbooks issued by `sdexl generate`
    """
    CREATE TABLE issued (
        token          TEXT PRIMARY KEY,
        survey_id      TEXT NOT NULL,
        survey_version TEXT NOT NULL,
        kommunekode    TEXT NOT NULL,
        file           TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        tool_version   TEXT NOT NULL,
        generated_at   TEXT NOT NULL
    );
    CREATE INDEX issued_by_kommune ON issued (survey_id, kommunekode);
    """,
]


@dataclass(frozen=True)
class Issued:
    token: str
    survey_id: str
    survey_version: str
    kommunekode: str
    file: str
    sha256: str
    tool_version: str
    generated_at: str


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    _migrate(conn)
    return conn


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(path)
    try:
        with conn:  # one transaction: all or nothing
            yield conn
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    done = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, script in enumerate(MIGRATIONS[done:], start=done + 1):
        with conn:
            conn.executescript(script)
            conn.execute(f"PRAGMA user_version = {number}")


def record_issued(conn: sqlite3.Connection, issued: Issued) -> None:
    conn.execute(
        "INSERT INTO issued VALUES (:token, :survey_id, :survey_version, :kommunekode, :file, :sha256, :tool_version, :generated_at)",
        issued.__dict__,
    )


def issued_for(conn: sqlite3.Connection, survey_id: str) -> list[Issued]:
    rows = conn.execute("SELECT * FROM issued WHERE survey_id = ? ORDER BY generated_at", (survey_id,))
    return [Issued(**dict(r)) for r in rows]


def find_token(conn: sqlite3.Connection, token: str) -> Issued | None:
    row = conn.execute("SELECT * FROM issued WHERE token = ?", (token,)).fetchone()
    return Issued(**dict(row)) if row else None
