"""``sdexl template check``: every problem in a definition, with its location.

Structural problems come from the pydantic model (see ``load.py``). This module
adds what only matters once the definition becomes a workbook: Excel's hard
limits, checked here, when the definition is read, rather than by Excel
"repairing" a file at a municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sdexl import workbook_text
from sdexl.survey.load import DefinitionError, _load, located
from sdexl.survey.model import Survey
from sdexl.survey.problems import FileProblem

SHEET_NAME_MAX = 31
VALIDATION_TITLE_MAX = 32
VALIDATION_MESSAGE_MAX = 255
INLINE_LIST_MAX = 255  # characters of a comma-joined inline list
DROPDOWN_ENTRY_MAX = 255  # a longer category is cut in Excel's dropdown
FORBIDDEN_SHEET_CHARS = set("[]:*?/\\")


@dataclass(frozen=True)
class Problem:
    """A problem found in a loaded survey; ``loc`` is its place in the data ("questions", 3)."""

    loc: tuple
    message: str
    severity: str = "error"  # or "warning"


def check_file(path: Path) -> list[FileProblem]:
    """Every problem of the file, each with its file, line and place, in one list (empty: the file is fine)."""
    try:
        survey, raw, locate = _load(path)
    except DefinitionError as exc:
        return exc.problems
    return [located(path, raw, locate, p.loc, p.message, p.severity) for p in check_survey(survey)]


def check_survey(survey: Survey) -> list[Problem]:
    problems: list[Problem] = []
    problems += _sheet_names(survey)
    for index, q in enumerate(survey.questions):
        where = ("questions", index)
        problems += _validation_texts(where, q)
        problems += _categories(where, q)
        if q.min is not None and q.max is not None and q.min > q.max:
            problems.append(Problem((*where, "min"), f"min {q.min:g} is greater than max {q.max:g}"))
    return problems


def _sheet_names(survey: Survey) -> list[Problem]:
    problems = []
    for name in workbook_text.sheet_names(survey):
        if len(name) > SHEET_NAME_MAX:
            problems.append(Problem(("entry_sheet",), f"sheet name '{name}' is {len(name)} characters; Excel allows {SHEET_NAME_MAX}"))
        if FORBIDDEN_SHEET_CHARS & set(name):
            problems.append(Problem(("entry_sheet",), f"sheet name '{name}' contains one of {''.join(sorted(FORBIDDEN_SHEET_CHARS))}"))
    return problems


def _validation_texts(where: str, q) -> list[Problem]:
    problems = []
    limits = [
        ("input help title", workbook_text.input_title(q), VALIDATION_TITLE_MAX),
        ("input help message (help)", workbook_text.input_message(q), VALIDATION_MESSAGE_MAX),
        ("error alert title", workbook_text.error_title(q), VALIDATION_TITLE_MAX),
        ("error alert message", workbook_text.error_message(q), VALIDATION_MESSAGE_MAX),
    ]
    for what, text, limit in limits:
        if text is not None and len(text) > limit:
            problems.append(Problem(where, f"{what} is {len(text)} characters; Excel allows {limit}: shorten it"))
    return problems


def _categories(where: str, q) -> list[Problem]:
    problems = []
    for label in q.labels:
        if len(label) > DROPDOWN_ENTRY_MAX:
            problems.append(Problem(where, f"category '{label[:40]}...' is longer than {DROPDOWN_ENTRY_MAX} characters"))
        if label != label.strip():
            problems.append(Problem(where, f"category '{label}' has leading or trailing spaces"))
    joined = ",".join(q.labels)
    if len(joined) > INLINE_LIST_MAX:
        # Not an error for sdexl, which feeds every dropdown from the hidden
        # list sheet through a defined name; said so that nobody "simplifies"
        # the generator to inline lists.
        problems.append(
            Problem(where, f"categories joined are {len(joined)} characters (> {INLINE_LIST_MAX}): this list only works through the list sheet", "warning")
        )
    return problems
