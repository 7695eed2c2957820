"""Examine one archived file: is it safe, whose is it, what does it say.

This is the part that parses untrusted bytes, so ``run`` calls it in a child
process (``isolate``). It touches neither the ledger nor the workspace: it
gets everything it needs as arguments and returns a picklable ``Outcome``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sdexl import messages
from sdexl.harvest import opened
from sdexl.harvest.container import LIMITS, Container, Finding, inspect, read_column_ids, read_facts, sdexl_properties
from sdexl.harvest.identify import Clues, identify
from sdexl.harvest.mailbox import examine_container, source_notes
from sdexl.harvest.report import FileReport, Identification, Issue, Verdict
from sdexl.ledger import Issued
from sdexl.survey.model import Survey

# Issues from the reader that mean nothing in the file can be used. An unfilled
# template is not among them: it is readable and identified, so it needs correction
# (the municipality is told to fill it in); store.current_submissions keeps such a
# file without answers out of the participants, and it supersedes nothing.
UNUSABLE = {"unreadable-file", "entry-sheet-missing"}


@dataclass
class Outcome:
    verdict: Verdict
    container: str
    report: FileReport = field(default_factory=FileReport)

    @property
    def ident(self) -> Identification:
        return self.report.identification


def examine(archived: Path, name: str, surveys: dict[str, Survey], issued: dict[str, Issued], workdir: Path) -> Outcome:
    """``archived``: the archive copy; ``name``: where it arrived ("incoming/.../101_København.xlsx");
    ``workdir``: an empty folder this call may use (the caller removes it, even after a timeout)."""
    with opened.once(archived, max_bytes=LIMITS.max_file_bytes):  # the container check and the reader share one open zip
        return _examine(archived, name, surveys, issued, workdir)


def _examine(archived: Path, name: str, surveys, issued, workdir: Path) -> Outcome:
    display = PurePosixPath(name).name
    unpacked = examine_container(archived, name)  # a mail or zip: its attachments are files of their own
    if unpacked is not None:
        return unpacked
    container = inspect(archived)
    issues = source_notes(name) + [f.issue(display) for f in container.findings]
    if not container.readable:
        return Outcome("rejected", container.kind, FileReport(issues=issues))
    # The reader names the file in its messages and picks its parser by the
    # suffix: give it the original name with the suffix of what it really is.
    path = _link(archived, workdir / (PurePosixPath(name).stem + container.suffix))
    return _identify_and_read(path, name, container, issues, surveys, issued)


def _identify_and_read(path: Path, name: str, container: Container, issues: list[Issue], surveys, issued) -> Outcome:
    display = PurePosixPath(name).name
    try:
        facts = read_facts(path)
    except Exception as exc:  # noqa: BLE001 - calamine raises many types for a file it cannot open
        issues.append(_unreadable_issue(display, exc))
        return Outcome("rejected", container.kind, FileReport(issues=issues))
    clues = Clues(name=name, properties=sdexl_properties(container), facts=facts)
    clues.sheet_texts = lambda sheet: read_column_ids(path, sheet)
    found = identify(clues, surveys, issued)
    issues += [f.issue(display) for f in found.findings]
    if not found.ok:
        return Outcome("rejected", container.kind, FileReport(issues=issues, identification=found.ident))
    report = read_answers(path, surveys[found.ident.survey_id], found.ident)
    report.identification = found.ident
    report.issues = issues + report.issues
    return Outcome(verdict_for(report), container.kind, report)


def read_answers(path: Path, survey: Survey, ident: Identification) -> FileReport:
    """The reader's entry point, imported late so a missing reader fails one file, not the import."""
    from sdexl.harvest.read import read_file

    return read_file(path, survey, ident)


def verdict_for(report: FileReport) -> Verdict:
    """The rules of report.py: unusable -> rejected; errors -> needs correction."""
    if any(i.code in UNUSABLE for i in report.errors) and not report.records:
        return "rejected"
    if report.errors:
        return "needs_correction"
    if report.warnings:
        return "accepted_with_warnings"
    return "accepted"


def _unreadable_issue(display: str, exc: Exception) -> Issue:
    if type(exc).__name__ == "PasswordError":  # an encrypted .xls: RC4 inside the Workbook stream
        return Finding("encrypted").issue(display)
    reason = f"fejltype {type(exc).__name__}"
    return Issue(
        code="unreadable-file",
        severity="error",
        message=messages.render("unreadable-file", file=display, reason=reason),
    )


def _link(source: Path, target: Path) -> Path:
    """A hard link is free; a copy when the temp folder is on another disk."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target
