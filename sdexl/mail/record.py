"""Every message sdexl drafted or sent, in the ledger's ``mail`` table.

A message is "the same" as an earlier one when survey, kind, municipality and
``key`` agree: the key is the attachment's SHA-256 for invitations, feedback and
receipts (a new workbook or a new feedback file is a new message), and the
re-send deadline for reminders (one reminder per deadline). ``send`` skips a
message that is already recorded, unless asked to send it again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass

KINDS = ("invitation", "reminder", "feedback", "receipt")


@dataclass(frozen=True)
class MailRecord:
    survey_id: str
    kind: str
    kommunekode: str
    key: str
    mode: str  # draft | smtp
    recipients: str  # To and Cc, comma separated
    subject: str
    attachment: str | None  # relative to the workspace
    attachment_sha256: str | None
    eml: str | None  # the .eml written, relative to the workspace
    message_id: str
    created_at: str


def record(conn: sqlite3.Connection, entry: MailRecord) -> None:
    values = asdict(entry)
    conn.execute(
        f"INSERT INTO mail ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})", values
    )


def earlier(conn: sqlite3.Connection, survey_id: str, kind: str, code: str, key: str) -> sqlite3.Row | None:
    """The first message recorded with this key, if any."""
    return conn.execute(
        "SELECT * FROM mail WHERE survey_id = ? AND kind = ? AND kommunekode = ? AND key = ? ORDER BY id LIMIT 1",
        (survey_id, kind, code, key),
    ).fetchone()


def history(conn: sqlite3.Connection, survey_id: str) -> dict[tuple[str, str], list[sqlite3.Row]]:
    """(kommunekode, kind) -> the messages recorded, oldest first."""
    out: dict[tuple[str, str], list[sqlite3.Row]] = {}
    for row in conn.execute("SELECT * FROM mail WHERE survey_id = ? ORDER BY id", (survey_id,)):
        out.setdefault((row["kommunekode"], row["kind"]), []).append(row)
    return out
