"""The municipality's own data quality: the files it sent, what harvest corrected and what it left out.

Read from the ledger. No file name is shown (a file name can carry a
citizen's name) and no typed value is quoted: only when a file came, its
verdict, and per issue its kind, where it was and what happened to the answer.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from sdexl import ledger, messages
from sdexl.harvest.feedback import FIXED_HERE

VERDICTS = {
    "accepted": "Godkendt",
    "accepted_with_warnings": "Godkendt med bemærkninger",
    "needs_correction": "Skal rettes (fejlbehæftede svar er udeladt)",
    "rejected": "Afvist (kunne ikke bruges)",
    "duplicate": "Samme fil modtaget igen",
    "superseded": "Erstattet af en senere fil",
    "imported": "Indlæst fra en tidligere opgørelse",
}
OUTCOMES = {
    "fixed": "Rettet af os: svaret er brugt i den rettede form",
    "excluded": "Udeladt: svaret havde en fejl og indgår ikke",
    "note": "Bemærkning: svaret er brugt, som det var",
}


@dataclass
class FileEntry:
    received: str  # 'dd.mm.yyyy kl. HH:MM'
    verdict: str  # Danish
    cases: int
    current: bool


@dataclass
class IssueLine:
    outcome: str  # a key of OUTCOMES
    title: str  # the kind of problem, in Danish
    count: int
    where: str  # 'Sager E8, F12' (at most a few cells)


@dataclass
class Quality:
    files: list[FileEntry] = field(default_factory=list)
    issues: list[IssueLine] = field(default_factory=list)
    imported_from: str | None = None  # the source of an imported round

    def count(self, outcome: str) -> int:
        return sum(i.count for i in self.issues if i.outcome == outcome)


def own_quality(ledger_path, survey_id: str, code: str) -> Quality:
    conn = ledger.connect(ledger_path)
    try:
        return _quality(conn, survey_id, code)
    finally:
        conn.close()


def _quality(conn: sqlite3.Connection, survey_id: str, code: str) -> Quality:
    rows = conn.execute(
        "SELECT * FROM submissions WHERE survey_id = ? AND kommunekode = ? ORDER BY received_at, file",
        (survey_id, code),
    ).fetchall()
    usable = [r for r in rows if r["verdict"] in ("accepted", "accepted_with_warnings", "needs_correction")]
    current = next((r for r in reversed(usable) if r["superseded_by"] is None), None)
    result = Quality()
    for r in rows:
        verdict = "superseded" if r["superseded_by"] else r["verdict"]
        if r["ident_source"] == "import":
            verdict = "imported"
            result.imported_from = r["container"] or r["file"]
        result.files.append(FileEntry(_when(r["received_at"]), VERDICTS.get(verdict, verdict), r["n_cases"], r is current))
    if current is None:
        return result
    grouped: dict[tuple[str, str], list[str]] = {}
    for issue in conn.execute("SELECT * FROM issues WHERE submission = ? ORDER BY seq", (current["sha256"],)):
        if issue["code"] == "more-issues":
            continue
        outcome = "excluded" if issue["severity"] == "error" else "fixed" if issue["code"] in FIXED_HERE else "note"
        cell = f"{issue['sheet']} {issue['cell']}" if issue["sheet"] and issue["cell"] else (issue["sheet"] or "")
        grouped.setdefault((outcome, issue["code"]), []).append(cell)
    order = list(OUTCOMES)
    for (outcome, code_), cells in sorted(grouped.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
        shown = [c for c in cells if c][:6]
        where = ", ".join(shown) + (f" og {len(cells) - len(shown)} flere" if len(cells) > len(shown) else "")
        result.issues.append(IssueLine(outcome, messages.title(code_), len(cells), where))
    return result


def _when(iso: str | None) -> str:
    if not iso:
        return ""
    text = str(iso).replace("T", " ")
    date, _, time = text.partition(" ")
    parts = date.split("-")
    if len(parts) != 3:
        return text
    return f"{parts[2]}.{parts[1]}.{parts[0]}" + (f" kl. {time[:5]}" if time else "")
