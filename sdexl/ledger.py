"""The workspace ledger: one SQLite file recording what was issued and what came back.

Schema changes are appended to ``MIGRATIONS`` as (name, script); the table
``migrations`` records which names have run, so an old workspace is upgraded in
place when it is opened, and migrations written on separate branches can be
merged in any order (each names the tables it adds). Workspaces made before
the table existed counted their migrations in ``PRAGMA user_version``.
Personal fields never enter the ledger: harvest drops them before storing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS: list[tuple[str, str]] = [
    # workbooks issued by `sdexl generate`
    ("issued", """
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
    """),
    # what `sdexl harvest` received (sdexl/harvest/run.py). One submission per
    # distinct content (sha256); every name the bytes arrived under is a sighting.
    # superseded_by is set when a later usable file from the same municipality
    # and survey arrives; the earlier row and its archived file stay.
    ("submissions", """
    CREATE TABLE submissions (
        sha256         TEXT PRIMARY KEY,
        file           TEXT NOT NULL,
        received_at    TEXT NOT NULL,
        size           INTEGER NOT NULL,
        archive        TEXT NOT NULL,
        container      TEXT,
        survey_id      TEXT,
        kommunekode    TEXT,
        verdict        TEXT NOT NULL,
        superseded_by  TEXT REFERENCES submissions (sha256),
        ident_source   TEXT NOT NULL,
        token          TEXT,
        survey_version TEXT,
        tool_version   TEXT,
        harvested_at   TEXT NOT NULL,
        n_cases        INTEGER NOT NULL DEFAULT 0,
        zero_cases     INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX submissions_by_kommune ON submissions (survey_id, kommunekode);
    CREATE TABLE sightings (
        file        TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES submissions (sha256),
        received_at TEXT NOT NULL,
        first_seen  TEXT NOT NULL,
        duplicate   INTEGER NOT NULL,
        PRIMARY KEY (file, sha256)
    );
    CREATE TABLE issues (
        submission  TEXT NOT NULL REFERENCES submissions (sha256),
        seq         INTEGER NOT NULL,
        code        TEXT NOT NULL,
        severity    TEXT NOT NULL,
        sheet       TEXT,
        cell        TEXT,
        question_id TEXT,
        row         INTEGER,
        message     TEXT NOT NULL,
        value       TEXT,
        PRIMARY KEY (submission, seq)
    );
    CREATE TABLE answers (
        submission  TEXT NOT NULL REFERENCES submissions (sha256),
        record      INTEGER NOT NULL,
        row         INTEGER,
        question_id TEXT NOT NULL,
        value       TEXT,
        error       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (submission, record, question_id)
    );
    """),
    # who takes part in a round (sdexl/participants.py). No row with taking_part set: all 98 take
    # part (the default). Otherwise the rows with taking_part = 1 are the participants.
    # agreement_at: when the data transfer agreement was received (case rounds).
    ("participants", """
    CREATE TABLE participants (
        survey_id    TEXT NOT NULL,
        kommunekode  TEXT NOT NULL,
        taking_part  INTEGER,
        agreement_at TEXT,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (survey_id, kommunekode)
    );
    """),
    # every mail sdexl drafted or sent (sdexl/mail/). ``key`` is what makes two messages the same one
    # (the attachment's hash, or the re-send deadline of a reminder): the same key is not sent twice
    # unless asked (--again). mode: draft (an .eml to open and send) or smtp (sent by sdexl).
    ("mail", """
    CREATE TABLE mail (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id         TEXT NOT NULL,
        kind              TEXT NOT NULL,
        kommunekode       TEXT NOT NULL,
        key               TEXT NOT NULL,
        mode              TEXT NOT NULL,
        recipients        TEXT NOT NULL,
        subject           TEXT NOT NULL,
        attachment        TEXT,
        attachment_sha256 TEXT,
        eml               TEXT,
        message_id        TEXT NOT NULL,
        created_at        TEXT NOT NULL
    );
    CREATE INDEX mail_by_kommune ON mail (survey_id, kind, kommunekode);
    """),
    # which outputs are current (sdexl/outputs.py). outputs: each file of output/SURVEY/ with the
    # fingerprint of the ledger state, definitions, reference data and settings it was built from, and
    # the hash it was written with; a missing, changed or stale file is rebuilt by the next command.
    # unsettled: submissions recorded whose after-steps (supersede, feedback, receipt) a killed harvest
    # did not finish; the next harvest finishes them.
    ("outputs", """
    CREATE TABLE outputs (
        path      TEXT PRIMARY KEY,
        survey_id TEXT NOT NULL,
        state     TEXT NOT NULL,
        sha256    TEXT NOT NULL,
        built_at  TEXT NOT NULL
    );
    CREATE INDEX outputs_by_survey ON outputs (survey_id);
    CREATE TABLE unsettled (
        sha256 TEXT PRIMARY KEY REFERENCES submissions (sha256)
    );
    """),
    # earlier rounds loaded with `sdexl import` (sdexl/import_round.py): the source file, its hash and the column
    # mapping. The data itself is stored as one submission per municipality with ident_source = 'import'.
    ("imports", """
    CREATE TABLE imports (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        survey_id      TEXT NOT NULL,
        source         TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        mapping        TEXT,
        imported_at    TEXT NOT NULL,
        municipalities INTEGER NOT NULL,
        records        INTEGER NOT NULL
    );
    """),
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


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """The ledger, migrated. ``readonly`` (``status``): a connection that cannot write, so it never waits
    for a writer's lock; a ledger that does not exist yet or needs a migration is opened normally."""
    if readonly and Path(path).exists():
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            if not _pending(conn):
                return conn
        except sqlite3.DatabaseError:  # a hot journal left by a killed writer: only a writer may roll it back
            pass
        conn.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    if _pending(conn):  # read first: an up-to-date ledger is opened without a write (status never waits)
        _migrate(conn)
    return conn


def _pending(conn: sqlite3.Connection) -> bool:
    if conn.execute("PRAGMA user_version").fetchone()[0]:
        return True
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone():
        return True
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    return any(name not in done for name, _ in MIGRATIONS)


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    conn = connect(path)
    try:
        with conn:  # one transaction: all or nothing
            yield conn
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        legacy = conn.execute("PRAGMA user_version").fetchone()[0]
        for name, _ in MIGRATIONS[:legacy]:  # counted before names existed: the first ``legacy`` ran
            conn.execute("INSERT OR IGNORE INTO migrations VALUES (?, datetime('now'))", (name,))
        conn.execute("PRAGMA user_version = 0")
    done = {row[0] for row in conn.execute("SELECT name FROM migrations")}
    for name, script in MIGRATIONS:
        if name in done:
            continue
        with conn:
            # executescript commits first; the script and its record still land together below
            conn.executescript(f"BEGIN; {script}; INSERT INTO migrations VALUES ('{name}', datetime('now')); COMMIT;")


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
