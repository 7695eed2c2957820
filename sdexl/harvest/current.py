"""Which submissions count, in SQL: for the harvest, status and mail paths, which must not import pandas.

Per municipality only the current submission counts: the latest usable file
(accepted, accepted with warnings or needs correction) that nothing has
superseded and that has something in it.
"""

from __future__ import annotations

import sqlite3

USABLE = ("accepted", "accepted_with_warnings", "needs_correction")

# A submission with something in it: answers, or "no cases" stated. An untouched
# template (needs correction) has neither and makes nobody a participant.
HAS_CONTENT = "(zero_cases = 1 OR EXISTS (SELECT 1 FROM answers a WHERE a.submission = submissions.sha256))"


def current_submissions(conn: sqlite3.Connection, survey_id: str, with_empty: bool = False) -> list[sqlite3.Row]:
    """One row per municipality: its latest usable, not superseded submission.

    ``with_empty``: count a usable file without answers (an untouched template) too, as ``status`` does.
    """
    marks = ",".join("?" * len(USABLE))
    content = "" if with_empty else f"AND {HAS_CONTENT} "
    rows = conn.execute(
        f"SELECT * FROM submissions WHERE survey_id = ? AND verdict IN ({marks}) AND superseded_by IS NULL "
        f"{content}ORDER BY received_at, file",
        (survey_id, *USABLE),
    ).fetchall()
    latest = {r["kommunekode"]: r for r in rows}  # later rows win, should two ever be current
    return sorted(latest.values(), key=lambda r: int(r["kommunekode"]))
