"""What ``sdexl harvest`` tells the consultant, beyond a line per new file (English, like the CLI).

Per survey with workbooks issued or files received: how many participants sent
a file, how many are accepted, need correction, are rejected or missing, and
the next step. Files seen before are counted in one line (``--verbose`` lists
them), and files that are not returns (Office lock files ``~$...``, temporary
and system files) are named once as what they are, never as "seen before".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sdexl import ledger
from sdexl.workspace import Workspace

OFFICE_LOCK_PREFIX = "~$"  # Excel's owner file, there while a workbook is open (or left by a crash)


@dataclass
class Groups:
    new: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    office_locks: list = field(default_factory=list)
    other_ignored: list = field(default_factory=list)


def group_files(files: list) -> Groups:
    """Harvest FileResults by what the consultant is told about them."""
    groups = Groups()
    for entry in files:
        name = PurePosixPath(entry.file).name
        if entry.verdict == "ignored":
            (groups.office_locks if name.startswith(OFFICE_LOCK_PREFIX) else groups.other_ignored).append(entry)
        elif entry.new:
            groups.new.append(entry)
        else:
            groups.seen.append(entry)
    return groups


def file_lines(groups: Groups, verbose: bool) -> list[str]:
    """The lines after the new files: seen before, skipped, and the count."""
    lines = []
    if groups.seen and not verbose:
        n = len(groups.seen)
        lines.append(f"{_files(n)} seen before, unchanged (sdexl harvest --verbose lists {'it' if n == 1 else 'them'}).")
    if groups.office_locks:
        names = ", ".join(PurePosixPath(e.file).name for e in groups.office_locks)
        n = len(groups.office_locks)
        lines.append(f"Skipped {n} Office lock file{'s' if n != 1 else ''} ({names}): Excel leaves one while a "
                     "workbook is open; it is not a return.")
    if groups.other_ignored:
        names = ", ".join(PurePosixPath(e.file).name for e in groups.other_ignored)
        n = len(groups.other_ignored)
        lines.append(f"Skipped {n} temporary or system file{'s' if n != 1 else ''} ({names}).")
    total = len(groups.new) + len(groups.seen) + len(groups.office_locks) + len(groups.other_ignored)
    lines.append(f"{_files(total)}: {len(groups.new)} new, {len(groups.seen)} seen before, "
                 f"{len(groups.office_locks) + len(groups.other_ignored)} skipped.")
    return lines


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


# --- per survey -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundCounts:
    survey_id: str
    participants: int
    received: int  # participants with any file back
    accepted: int  # accepted, with or without notes
    needs_correction: int
    rejected: int
    missing: int  # issued, nothing back
    not_issued: int

    def line(self) -> str:
        parts = [f"{self.accepted} accepted", f"{self.needs_correction} need{'s' if self.needs_correction == 1 else ''} "
                 "correction", f"{self.rejected} rejected", f"{self.missing} missing"]
        if self.not_issued:
            parts.append(f"{self.not_issued} not issued a workbook yet")
        return (f"{self.survey_id}: {self.received} of {self.participants} participants have sent a file; "
                + ", ".join(parts) + ".")

    def next_steps(self) -> list[tuple[str, str]]:
        """(command, what it does), in the order to run them."""
        sid = self.survey_id
        steps = []
        if self.not_issued:
            steps.append((f"sdexl generate {sid}", f"workbooks for the {self.not_issued} participants without one"))
        if self.needs_correction or self.rejected:
            steps.append((f"sdexl send {sid} feedback",
                          f"to the {self.needs_correction + self.rejected} who must correct and resend"))
        if self.accepted:
            steps.append((f"sdexl send {sid} receipts", f"to the {self.accepted} accepted"))
        if self.missing:
            steps.append((f"sdexl send {sid} reminders", f"to the {self.missing} missing"))
        steps.append((f"sdexl status {sid}", "where each municipality stands"))
        return steps

    def next_lines(self) -> list[str]:
        if not (self.not_issued or self.needs_correction or self.rejected or self.missing):
            return [f"  Next: every participant is accepted; the master is output/{self.survey_id}/master.xlsx."]
        steps = self.next_steps()
        width = max(len(command) for command, _ in steps)
        return [f"  {'Next:' if n == 0 else '':<6}{command:<{width}}  {what}" for n, (command, what) in enumerate(steps)]


def round_counts(ws: Workspace, survey_id: str) -> RoundCounts:
    from sdexl.harvest.status import round_status

    rows = round_status(ws, survey_id).participants
    count = lambda *statuses: sum(r.status in statuses for r in rows)  # noqa: E731
    return RoundCounts(survey_id, len(rows), sum(r.returned for r in rows), count("accepted", "accepted_with_warnings"),
                       count("needs_correction"), count("rejected"), count("missing"), count("not_issued"))


def active_surveys(ws: Workspace) -> list[str]:
    """Surveys with a workbook issued or a file received."""
    conn = ledger.connect(ws.ledger_path, readonly=True)
    try:
        found = {r[0] for r in conn.execute("SELECT survey_id FROM issued UNION SELECT survey_id FROM submissions")}
    finally:
        conn.close()
    return sorted(found & set(ws.survey_ids()))


def round_lines(ws: Workspace) -> list[str]:
    lines = []
    for survey_id in active_surveys(ws):
        try:
            counts = round_counts(ws, survey_id)
        except Exception as exc:  # noqa: BLE001 - the harvest is done; the summary is a courtesy
            lines.append(f"{survey_id}: no summary ({type(exc).__name__}: {exc}); see sdexl status {survey_id}.")
            continue
        lines += [counts.line(), *counts.next_lines()]
    return lines
