"""Whose file is this, and which survey does it answer?

In order of trust:

1. the metadata the generator wrote (the very hidden ``_sdexl`` sheet and the
   ``sdexl_*`` custom properties), checked against the ledger's issued tokens;
2. the caption on Vejledning ("København (kommunekode 101)"), which survives
   when a municipality copies its sheets into a new workbook;
3. the file name ("101_København.xlsx", or a municipality's name in it).

2 and 3 are guesses, so they come with a warning the municipality sees. When
the metadata is gone the survey is told by the question ids on the entry sheet.
Nothing found means the file is rejected with a message saying what to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

from sdexl import layout
from sdexl.harvest.container import Finding, WorkbookFacts, plain_text
from sdexl.harvest.report import Identification
from sdexl.ledger import Issued
from sdexl.reference import Municipality, by_code, municipalities, normalise_code
from sdexl.survey.load import version_hash
from sdexl.survey.model import Survey

_CAPTION_CODE = re.compile(r"kommunekode\D{0,3}(\d{1,4})", re.IGNORECASE)
_LEADING_CODE = re.compile(r"^\s*(\d{3})(?!\d)")
_MIN_ID_SHARE = 0.5  # at least half the survey's question ids must be on the entry sheet


@dataclass
class Clues:
    """Everything identification looks at, gathered by the caller."""

    name: str  # the file's path relative to the workspace: "incoming/sde-2024/101_København.xlsx"
    properties: dict[str, str] = field(default_factory=dict)  # sdexl_* custom properties, prefix removed
    facts: WorkbookFacts | None = None  # None when the workbook could not be opened
    # Text cells of a sheet by name, read on demand (only when the metadata is gone).
    sheet_texts: Callable[[str], set[str]] | None = None


@dataclass
class Result:
    ident: Identification
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.ident.survey_id and self.ident.kommunekode) and not any(
            f.severity == "error" for f in self.findings
        )


def identify(clues: Clues, surveys: dict[str, Survey], issued: dict[str, Issued]) -> Result:
    """Identify one file. ``issued`` maps token -> the ledger's issued row."""
    meta = metadata(clues)
    result = _from_metadata(meta, issued) if meta.get("kommunekode") or meta.get("token") else None
    if result is None:
        result = _from_guide_or_name(clues)
        if result.ident.kommunekode and not result.ident.survey_id:
            result.ident.survey_id = meta.get("survey_id") or guess_survey(
                clues, surveys, issued, result.ident.kommunekode
            )
    _check_survey(result, clues, surveys)
    return result


def metadata(clues: Clues) -> dict[str, str]:
    """The sheet's values, with the custom properties filling any gaps."""
    sheet = clues.facts.meta_sheet if clues.facts else {}
    merged = {k: plain_text(v) for k, v in clues.properties.items() if str(v).strip()}
    merged.update({k: plain_text(v) for k, v in sheet.items() if str(v).strip()})
    return merged


# --- 1. metadata + token ---------------------------------------------------------------------


def _from_metadata(meta: dict[str, str], issued: dict[str, Issued]) -> Result | None:
    token = meta.get("token") or None
    known = issued.get(token) if token else None
    code = normalise_code(meta.get("kommunekode", "")) or (known.kommunekode if known else None)
    survey_id = meta.get("survey_id") or (known.survey_id if known else None)
    if code is None:
        return None  # a mangled code: fall back to the caption and the file name
    ident = Identification(
        survey_id=survey_id,
        survey_version=meta.get("survey_version") or None,
        kommunekode=code,
        token=token,
        tool_version=meta.get("tool_version") or None,
        source="metadata",
    )
    result = Result(ident)
    if known is None:
        result.findings.append(Finding("unknown-token", _kommune_fields(code)))
    elif _replaced(known, issued) and known.kommunekode == code:
        # `sdexl generate --force` issued a newer workbook: the old one is still this municipality's.
        result.findings.append(Finding("replaced-token", _kommune_fields(code)))
    elif known.kommunekode != code or (survey_id and known.survey_id != survey_id):
        fields = _kommune_fields(code)
        fields.update(issued_kommune=by_code()[known.kommunekode].name, issued_kode=known.kommunekode)
        result.findings.append(Finding("token-mismatch", fields))
    return result


# --- 2. and 3. the caption on Vejledning, the file name ------------------------------------


def _from_guide_or_name(clues: Clues) -> Result:
    caption = clues.facts.guide_kommune if clues.facts else None
    found = municipality_in_caption(caption) if caption else None
    if found:
        return Result(
            Identification(kommunekode=found.code, source="vejledning"), [_guessed("identified-by-guide", found)]
        )
    found = municipality_in_filename(PurePosixPath(clues.name).stem)
    if found:
        return Result(
            Identification(kommunekode=found.code, source="filename"), [_guessed("identified-by-filename", found)]
        )
    return Result(Identification(source="none"), [Finding("unidentified")])


def _guessed(code: str, kommune: Municipality) -> Finding:
    return Finding(code, _kommune_fields(kommune.code))


def municipality_in_caption(caption: str) -> Municipality | None:
    """ "København (kommunekode 101)" -> København; a bare name works too."""
    match = _CAPTION_CODE.search(caption)
    code = normalise_code(match.group(1)) if match else None
    return by_code()[code] if code else municipality_named_in(caption)


def municipality_in_filename(stem: str) -> Municipality | None:
    """ "101_København", "101 svar", "Svar fra Høje-Taastrup kommune" -> the municipality."""
    match = _LEADING_CODE.match(stem)
    code = normalise_code(match.group(1)) if match else None
    return by_code()[code] if code else municipality_named_in(stem)


def municipality_named_in(text: str) -> Municipality | None:
    """The one municipality whose name appears as whole words in ``text``.

    Mail clients and file systems mangle Danish letters (Koebenhavn,
    Kobenhavn, Aarhus/Århus), so both sides are folded the same way. Two
    different names found (a file about two municipalities) is no answer.
    """
    folded = f" {_fold(text)} "
    hits = {name: m for name, m in _folded_names() if f" {name} " in folded}
    # A name inside a longer hit is not a second municipality.
    outer = [m for name, m in hits.items() if not any(name != other and f" {name} " in f" {other} " for other in hits)]
    return outer[0] if len(outer) == 1 else None


@lru_cache(maxsize=1)
def _folded_names() -> tuple[tuple[str, Municipality], ...]:
    return tuple((_fold(m.name), m) for m in municipalities())


def _fold(text: str) -> str:
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = text.replace("aa", "a").replace("oe", "o")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _replaced(known: Issued, issued: dict[str, Issued]) -> bool:
    """A later workbook of the same survey was issued to the same municipality."""
    return any(i.survey_id == known.survey_id and i.kommunekode == known.kommunekode and i.generated_at > known.generated_at
               for i in issued.values())


def _kommune_fields(code: str) -> dict[str, str]:
    return {"kommune": by_code()[code].name, "kommunekode": code}


# --- which survey, when the metadata is gone -----------------------------------------------


def guess_survey(clues: Clues, surveys: dict[str, Survey], issued: dict[str, Issued], code: str) -> str | None:
    """The survey whose question ids best cover the ids on the entry sheet.

    Round 2 (sde-2023) is round 1 plus three questions: a round 1 file covers
    round 1 fully and round 2 only partly, a round 2 file covers both fully
    and then the larger number of matched ids wins. A survey issued to this
    municipality breaks any remaining tie; otherwise there is no guess.
    """
    if clues.facts is None or clues.sheet_texts is None:
        return None
    sheets = {s.casefold() for s in clues.facts.sheets}
    issued_here = {i.survey_id for i in issued.values() if i.kommunekode == code}
    scored = []
    for survey in surveys.values():
        if survey.entry_sheet.casefold() not in sheets:
            continue
        expected = _expected_ids(survey)
        matched = len(expected & clues.sheet_texts(survey.entry_sheet))
        coverage = matched / len(expected)
        if coverage >= _MIN_ID_SHARE:
            scored.append(((round(coverage, 6), matched, survey.id in issued_here), survey.id))
    scored.sort(reverse=True)
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


def _expected_ids(survey: Survey) -> set[str]:
    if survey.kind == "cases":
        return {c.key for c in layout.entry_columns(survey)}
    return {q.id for q in survey.questions}


# --- the survey itself -------------------------------------------------------------------------


def _check_survey(result: Result, clues: Clues, surveys: dict[str, Survey]) -> None:
    ident = result.ident
    if not ident.kommunekode:
        return
    if not ident.survey_id or ident.survey_id not in surveys:
        detail = f" ('{ident.survey_id}' er ikke en af undersøgelserne {_known(surveys)})" if ident.survey_id else ""
        result.findings.append(Finding("survey-unknown", {"detail": detail}))
        return
    survey = surveys[ident.survey_id]
    if ident.survey_version and ident.survey_version != version_hash(survey):
        result.findings.append(Finding("survey-version"))
    folder = _survey_folder(clues.name, surveys)
    if folder and folder != ident.survey_id:
        result.findings.append(Finding("other-survey", {"folder": folder, "survey": ident.survey_id}))


def _known(surveys: dict[str, Survey]) -> str:
    return ", ".join(sorted(surveys))


def _survey_folder(name: str, surveys: dict[str, Survey]) -> str | None:
    """The survey a consultant filed the file under, if a folder is named after one."""
    parts = PurePosixPath(name).parts[:-1]
    return next((p for p in reversed(parts) if p in surveys), None)
