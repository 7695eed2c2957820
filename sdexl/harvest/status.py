"""Where each of the 98 municipalities stands in one survey, and how the round is going.

A municipality's status:

    not_participating   not signed up for the round (``sdexl participants``) and nothing came back
    not_issued          takes part, but no workbook was generated for it yet
    missing             a workbook was issued and nothing came back
    rejected            files came back, none could be used (the reason says why, in the catalogue's words)
    needs_correction    the current file has errors (or is an unfilled workbook: nothing to use yet)
    accepted_with_warnings, accepted

The current file is the latest usable file with answers; an unfilled workbook or a
rejected file that arrives after it never replaces it (a note says it came). Only
when a municipality has no file with answers does its latest unfilled or rejected
file give the status. Rejected files whose municipality could not be told are
listed apart (``unattributed``), so no return goes unseen.

Also per municipality: invited, reminded, feedback and receipt sent (the mail
ledger), contact address, agreement received; for the round: the response rate
among participants, against the deadline.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import asdict, dataclass, field

from sdexl import ledger, messages
from sdexl.contacts import ContactsError, load_contacts
from sdexl.harvest.current import HAS_CONTENT, USABLE, current_submissions
from sdexl.mail.record import history
from sdexl.participants import participation
from sdexl.reference import municipalities
from sdexl.when import local_date
from sdexl.workspace import Workspace

ANSWERED = ("accepted", "accepted_with_warnings", "needs_correction")
ACCEPTED = ("accepted", "accepted_with_warnings")


@dataclass(frozen=True)
class StatusRow:
    kommunekode: str
    kommune: str
    kkr: str
    status: str  # see the module docstring
    cases: int = 0
    errors: int = 0
    warnings: int = 0
    file: str | None = None  # the file the status comes from
    issued: bool = False
    returned: bool = False  # any file came back, usable or not
    received_at: str | None = None  # the latest file that came back (any verdict)
    answered_at: str | None = None  # the first file with answers: what the deadline is measured by
    reason: str | None = None  # rejected or needs correction: why, in the catalogue's Danish words
    note: str | None = None  # something to follow up although the status is settled
    participant: bool = True
    agreement_at: str | None = None
    contact: bool | None = None  # an address in reference/kontakter.csv (None: the file cannot be read)
    invited_at: str | None = None
    reminded_at: str | None = None
    reminders: int = 0
    feedback_sent_at: str | None = None
    receipt_sent_at: str | None = None

    @property
    def answered(self) -> bool:
        return self.answered_at is not None and self.status in ANSWERED

    def as_json(self) -> dict:
        return asdict(self) | {"answered": self.answered}


@dataclass
class RoundStatus:
    survey_id: str
    title: str
    generated: bool  # any workbook issued for this survey
    deadline: dt.date | None
    resend_deadline: dt.date | None
    explicit_participants: bool
    rows: list[StatusRow]
    unattributed: list[dict] = field(default_factory=list)  # rejected files nobody could be tied to
    notes: list[str] = field(default_factory=list)  # for the consultant (English)

    @property
    def participants(self) -> list[StatusRow]:
        return [r for r in self.rows if r.participant]

    def response(self, today: dt.date | None = None) -> dict:
        """Answers among participants, and how many came by the deadline; the base is always stated."""
        today = today or dt.date.today()
        base = self.participants
        answered = [r for r in base if r.answered]
        on_time = [r for r in answered if self.deadline and local_date(r.answered_at) <= self.deadline]
        return {
            "participants": len(base),
            "answered": len(answered),
            "answered_share": round(len(answered) / len(base), 4) if base else None,
            "accepted": sum(r.status in ACCEPTED for r in base),
            "by_deadline": len(on_time) if self.deadline else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "days_to_deadline": (self.deadline - today).days if self.deadline else None,
            "resend_deadline": self.resend_deadline.isoformat() if self.resend_deadline else None,
            "not_answered": len(base) - len(answered),
        }

    def as_json(self, today: dt.date | None = None) -> dict:
        return {
            "survey": self.survey_id,
            "title": self.title,
            "generated": self.generated,
            "participants_listed": self.explicit_participants,
            "response": self.response(today),
            "summary": summary(self.rows),
            "unattributed": self.unattributed,
            "notes": self.notes,
            "municipalities": [r.as_json() for r in self.rows],
        }


def round_status(ws: Workspace, survey_id: str) -> RoundStatus:
    """The round's status. Raises WorkspaceError for an unknown survey."""
    survey = ws.survey(survey_id)
    settings = ws.config.round(survey_id)
    notes: list[str] = []
    try:
        contacts: dict | None = load_contacts(ws.reference)
    except ContactsError as exc:
        contacts = None
        notes.append(f"The contacts file cannot be read: {exc}")
    conn = ledger.connect(ws.ledger_path, readonly=True)  # never waits for a harvest
    try:
        rows = status_from(conn, survey_id, contacts)
        generated = bool(ledger.issued_for(conn, survey_id))
        explicit = participation(conn, survey_id).explicit
        unattributed = _unattributed(conn, survey_id)
    finally:
        conn.close()
    return RoundStatus(survey_id, survey.title, generated, settings.deadline, getattr(settings, "resend_deadline", None),
                       explicit, rows, unattributed, notes)


def survey_status(ws: Workspace, survey_id: str) -> list[StatusRow]:
    """All 98 municipalities, in kommunekode order. Raises WorkspaceError for an unknown survey."""
    return round_status(ws, survey_id).rows


def status_from(conn: sqlite3.Connection, survey_id: str, contacts: dict | None = None) -> list[StatusRow]:
    issued = {i.kommunekode for i in ledger.issued_for(conn, survey_id)}
    current = {r["kommunekode"]: r for r in current_submissions(conn, survey_id)}  # with answers
    files = _files_by_kommune(conn, survey_id)
    taking_part = participation(conn, survey_id)
    mails = history(conn, survey_id)
    rows = []
    for m in sorted(municipalities(), key=lambda m: int(m.code)):
        mine = files.get(m.code, [])
        base = {
            "kommunekode": m.code, "kommune": m.name, "kkr": m.kkr, "issued": m.code in issued,
            "participant": taking_part.takes_part(m.code), "agreement_at": taking_part.agreements.get(m.code),
            "contact": None if contacts is None else m.code in contacts,
            "received_at": mine[-1]["received_at"] if mine else None, "returned": bool(mine),
            "answered_at": next((f["received_at"] for f in mine if f["verdict"] in USABLE and f["content"]), None),
            **_mail_fields(mails, m.code),
        }
        rows.append(_row(conn, base, current.get(m.code), mine))
    return rows


def _row(conn, base: dict, current: sqlite3.Row | None, mine: list[sqlite3.Row]) -> StatusRow:
    note = None if base["participant"] or not mine else "not registered as a participant in this round"
    if current is not None:
        later = [f for f in mine if (f["received_at"], f["file"]) > (current["received_at"], current["file"])
                 and f["superseded_by"] is None and f["sha256"] != current["sha256"]]
        note = _join(note, _later_note(conn, later[-1]) if later else None)
        return _from_file(conn, base, current, note)
    pending = [f for f in mine if f["superseded_by"] is None and (f["verdict"] in USABLE or f["verdict"] == "rejected")]
    if pending:
        return _from_file(conn, base, pending[-1], note)
    if not base["participant"]:
        status = "not_participating"
    else:
        status = "missing" if base["issued"] else "not_issued"
    return StatusRow(status=status, note=note, **base)


def _from_file(conn, base: dict, sub: sqlite3.Row, note: str | None) -> StatusRow:
    errors, warnings = _counts(conn, sub["sha256"])
    reason = None
    if sub["verdict"] in ("rejected", "needs_correction"):
        reason = _reason(conn, sub["sha256"])
        if sub["survey_id"] is None:
            note = _join(note, "the file did not say which survey it answers")
    return StatusRow(status=sub["verdict"], cases=sub["n_cases"], errors=errors, warnings=warnings, file=sub["file"],
                     reason=reason, note=note, **base)


def _later_note(conn, later: sqlite3.Row) -> str:
    if later["verdict"] == "rejected":
        return f"a later file, {later['file']}, was rejected: {_reason(conn, later['sha256'])}"
    return f"a later file, {later['file']}, was not used: {_reason(conn, later['sha256'])}"


def _join(a: str | None, b: str | None) -> str | None:
    return "; ".join(x for x in (a, b) if x) or None


def _files_by_kommune(conn: sqlite3.Connection, survey_id: str) -> dict[str, list[sqlite3.Row]]:
    """Every file from each municipality, oldest first: this survey's, and rejected ones of no known survey."""
    rows = conn.execute(
        f"SELECT *, {HAS_CONTENT} AS content FROM submissions WHERE kommunekode IS NOT NULL "
        "AND (survey_id = ? OR (survey_id IS NULL AND verdict = 'rejected')) ORDER BY received_at, file",
        (survey_id,),
    )
    out: dict[str, list[sqlite3.Row]] = {}
    for row in rows:
        out.setdefault(row["kommunekode"], []).append(row)
    return out


def _unattributed(conn: sqlite3.Connection, survey_id: str) -> list[dict]:
    rows = conn.execute(
        "SELECT * FROM submissions WHERE kommunekode IS NULL AND (survey_id = ? OR survey_id IS NULL) "
        "AND verdict != 'unpacked' ORDER BY received_at, file",  # a mail or zip: its attachments count
        (survey_id,),
    ).fetchall()
    return [{"file": r["file"], "verdict": r["verdict"], "received_at": r["received_at"],
             "reason": _reason(conn, r["sha256"])} for r in rows]


def _reason(conn: sqlite3.Connection, sha: str) -> str:
    """Why a file cannot be used, in plain words: the catalogue titles of its errors, with counts."""
    rows = conn.execute(
        "SELECT code, COUNT(*) AS n FROM issues WHERE submission = ? AND severity = 'error' GROUP BY code "
        "ORDER BY MIN(seq)", (sha,)
    ).fetchall()
    return "; ".join(messages.title(r["code"]) + (f" ({r['n']})" if r["n"] > 1 else "") for r in rows)


def _counts(conn: sqlite3.Connection, sha: str) -> tuple[int, int]:
    row = conn.execute(
        "SELECT SUM(severity = 'error') AS e, SUM(severity = 'warning') AS w FROM issues WHERE submission = ?", (sha,)
    ).fetchone()
    return int(row["e"] or 0), int(row["w"] or 0)


def _mail_fields(mails: dict, code: str) -> dict:
    def last(kind: str) -> str | None:
        sent = mails.get((code, kind))
        return sent[-1]["created_at"] if sent else None

    return {
        "invited_at": last("invitation"),
        "reminded_at": last("reminder"),
        "reminders": len(mails.get((code, "reminder"), [])),
        "feedback_sent_at": last("feedback"),
        "receipt_sent_at": last("receipt"),
    }


def summary(rows: list[StatusRow]) -> dict[str, int]:
    """How many municipalities have each status, for the line under the table."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts
