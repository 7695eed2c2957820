"""Who takes part in a round, and whether their data transfer agreement has come back.

By default all 98 municipalities take part. ``sdexl participants SURVEY add`` starts
a sign-up list (the round is then the municipalities added, as in the 2022 and
2023 case rounds, where municipalities signed up); ``remove`` takes municipalities
out (from the default of all 98 too); ``agreement`` records that a municipality's
data transfer agreement has been received. Generate, send and reminders use the
participants; ``status`` shows them. Stored in the ledger (table participants).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sdexl.reference import by_code, municipalities, normalise_code
from sdexl.when import now_iso


class ParticipantsError(ValueError):
    """A kommunekode that is no municipality, or an agreement for a municipality not taking part."""


@dataclass(frozen=True)
class Participation:
    survey_id: str
    explicit: bool  # False: nobody was added or removed, so all 98 take part
    members: frozenset[str]
    agreements: dict[str, str] = field(default_factory=dict)  # kommunekode -> when the agreement was received

    def takes_part(self, code: str) -> bool:
        return code in self.members

    def ordered(self) -> list[str]:
        return sorted(self.members, key=int)


def participation(conn: sqlite3.Connection, survey_id: str) -> Participation:
    rows = conn.execute("SELECT * FROM participants WHERE survey_id = ?", (survey_id,)).fetchall()
    explicit = any(r["taking_part"] is not None for r in rows)
    members = {r["kommunekode"] for r in rows if r["taking_part"] == 1} if explicit else set(by_code())
    agreements = {r["kommunekode"]: r["agreement_at"] for r in rows if r["agreement_at"]}
    return Participation(survey_id, explicit, frozenset(members), agreements)


def codes(values: list[str]) -> list[str]:
    """Kommunekoder from the command line, all checked before anything changes."""
    found, bad = [], []
    for value in values:
        code = normalise_code(value)
        (found if code else bad).append(code or value)
    if bad:
        raise ParticipantsError(
            f"not a kommunekode of one of the 98 municipalities: {', '.join(bad)} (e.g. 101 for København)"
        )
    return list(dict.fromkeys(found))


def add(conn: sqlite3.Connection, survey_id: str, values: list[str]) -> Participation:
    """Sign municipalities up. The first add of a round that took everybody by default starts a list."""
    now = now_iso()
    with conn:
        for code in codes(values):
            conn.execute(
                "INSERT INTO participants (survey_id, kommunekode, taking_part, updated_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (survey_id, kommunekode) DO UPDATE SET taking_part = 1, updated_at = excluded.updated_at",
                (survey_id, code, now),
            )
    return participation(conn, survey_id)


def remove(conn: sqlite3.Connection, survey_id: str, values: list[str]) -> Participation:
    """Take municipalities out; from the default of all 98, the others stay in."""
    chosen = codes(values)
    now = now_iso()
    with conn:
        if not participation(conn, survey_id).explicit:
            for m in municipalities():  # all 98 were in: write that down before taking some out
                conn.execute(
                    "INSERT INTO participants (survey_id, kommunekode, taking_part, updated_at) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT (survey_id, kommunekode) DO UPDATE SET taking_part = 1",
                    (survey_id, m.code, now),
                )
        for code in chosen:
            conn.execute(
                "INSERT INTO participants (survey_id, kommunekode, taking_part, updated_at) VALUES (?, ?, 0, ?) "
                "ON CONFLICT (survey_id, kommunekode) DO UPDATE SET taking_part = 0, updated_at = excluded.updated_at",
                (survey_id, code, now),
            )
    return participation(conn, survey_id)


def record_agreement(conn: sqlite3.Connection, survey_id: str, values: list[str]) -> Participation:
    """The data transfer agreement of these participants has been received (now)."""
    chosen = codes(values)
    current = participation(conn, survey_id)
    outside = [c for c in chosen if not current.takes_part(c)]
    if outside:
        names = ", ".join(f"{c} {by_code()[c].name}" for c in outside)
        raise ParticipantsError(
            f"{names} do(es) not take part in {survey_id}; add them first: sdexl participants {survey_id} add "
            + " ".join(outside)
        )
    now = now_iso()
    with conn:
        for code in chosen:
            conn.execute(
                "INSERT INTO participants (survey_id, kommunekode, agreement_at, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (survey_id, kommunekode) DO UPDATE SET agreement_at = excluded.agreement_at, "
                "updated_at = excluded.updated_at",
                (survey_id, code, now, now),
            )
    return participation(conn, survey_id)
