"""What reading one returned file produces: answers and issues, never exceptions.

Data problems are collected into a ``FileReport`` (all of them, in one pass, so a
municipality can fix everything at once). Exceptions are only for problems that
stop the run itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

Verdict = Literal[
    "accepted",
    "accepted_with_warnings",
    "needs_correction",  # data kept; cells with errors excluded and listed in feedback
    "rejected",  # unreadable or unidentifiable
    "duplicate",  # these exact bytes were harvested before
    "ignored",  # Excel lock files (~$...), temp files
    "unpacked",  # a mail or zip: its attachments are harvested as files of their own (harvest/mailbox.py)
    "superseded",  # a later file from the same municipality replaced it (set afterwards)
]


@dataclass(frozen=True)
class Issue:
    code: str  # stable slug from the catalogue in sdexl/messages.py, e.g. "not-a-category"
    severity: Severity
    message: str  # Danish, formatted from the catalogue: what is wrong and how to fix it
    sheet: str | None = None
    cell: str | None = None  # A1 address in the returned file, e.g. "F12"
    value: str | None = None  # the offending value as text (never personal fields)
    question_id: str | None = None
    row: int | None = None  # 1-based sheet row, for case surveys

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


@dataclass
class Identification:
    survey_id: str | None = None
    survey_version: str | None = None
    kommunekode: str | None = None
    token: str | None = None
    tool_version: str | None = None
    source: Literal["metadata", "vejledning", "filename", "none"] = "none"


@dataclass
class Record:
    """One case (or the one aggregate form) as read: canonical answers by question id."""

    row: int | None  # 1-based sheet row (None for the aggregate form)
    answers: dict[str, Any]  # only non-personal questions; error cells are None
    error_questions: set[str] = field(default_factory=set)  # answers excluded for errors


@dataclass
class FileReport:
    issues: list[Issue] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    zero_cases: bool = False  # the municipality stated "Kommunen har ingen sager"
    identification: Identification = field(default_factory=Identification)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]
