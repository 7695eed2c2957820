"""The one base rule: which answers count for which figure, and why the others do not.

Every sheet of the master takes its bases from here, so a municipality whose
answer to one question was rejected is treated the same way everywhere
(docs/master.md, "Baser og regler"):

1. An answer is *valid*, *not answered* (left empty) or *rejected* (harvest
   found an error in it and stored it as empty, ``Snapshot.rejected``).
2. A figure uses a record (a municipality in the aggregate survey, a case in
   the case surveys) when every answer the figure needs is valid. A rejected
   answer removes the record only from the figures that need that answer; its
   other answers are used.
3. What a figure needs:
   * one question (a choice, a number, the number of cases): that answer;
   * a band group with a sum rule (cost bands, age bands): the number it
     splits (question 2) and every band, and the bands must add up to it. A
     municipality that reports 0 cases and leaves the bands empty has 0 in
     every band;
   * optional counts (the exit reasons): at least one of them given. A blank
     beside a given reason counts as 0 (the municipality has told us its
     reasons); a rejected reason leaves the municipality out;
   * the share over 2 mio. kr. of all in botilbud: both numbers.
4. Every record that is not used has exactly one reason, so the records used
   plus the records left out are all the records (the base lines add up).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from sdexl.survey.model import Question, Survey

VALID = "valid"
NOT_ANSWERED = "not_answered"
REJECTED = "rejected"
NOT_RELEVANT = "not_relevant"  # a follow-up question not asked, given the answer it depends on

# Why a record is left out of a band group (or an optional group).
WHOLE_NOT_ANSWERED = "whole_not_answered"
WHOLE_REJECTED = "whole_rejected"
BAND_NOT_ANSWERED = "band_not_answered"
BAND_REJECTED = "band_rejected"
MISMATCH = "mismatch"
NONE_GIVEN = "none_given"  # optional group: nothing filled in


def present(value) -> bool:
    """An answer that counts: not None/NaN and not an empty string."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or other non-scalar: an answer
        return True


# Issues that "reject" an answer that was never given: the answer is simply missing.
MISSING_CODES = ("required-missing", "case-ref-missing")


def state(value, code: str | None) -> str:
    """VALID, REJECTED or NOT_ANSWERED for one stored answer; ``code``: the issue that rejected it, if any."""
    if code is not None and code not in MISSING_CODES:
        return REJECTED
    return VALID if present(value) and code is None else NOT_ANSWERED


def number(value) -> float | None:
    """A valid count, or None (text, missing, NaN)."""
    if not present(value) or isinstance(value, str | bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def sum_whole(survey: Survey, questions: Iterable[Question]) -> str | None:
    """The question a band group must add up to (its ``sum_equals`` rule), if any."""
    ids = {q.id for q in questions}
    return next((r.whole for r in survey.rules if r.kind == "sum_equals" and set(r.parts or ()) == ids), None)


def rejected_by_row(rejected: dict[tuple, str]) -> dict[Hashable, dict[str, str]]:
    """``Snapshot.rejected`` regrouped: record label -> {question id: issue code}."""
    result: dict[Hashable, dict[str, str]] = {}
    for (row, qid), code in rejected.items():
        result.setdefault(row, {})[qid] = code
    return result


@dataclass
class GroupVerdict:
    reason: str | None  # None: the record counts
    values: list[float] = field(default_factory=list)  # the counts used, one per question (blanks as 0)


def group_verdict(
    record: dict,
    questions: tuple[Question, ...],
    whole: str | None,
    rejected: dict[str, str],
    optional: bool = False,
) -> GroupVerdict:
    """Whether one record's band (or optional count) group counts, with its values.

    ``rejected``: question id -> issue code, for the answers harvest rejected in this record.
    """
    states = [state(record.get(q.id), rejected.get(q.id)) for q in questions]
    if optional:
        if REJECTED in states:
            return GroupVerdict(BAND_REJECTED)
        if VALID not in states:
            return GroupVerdict(NONE_GIVEN)
        values = [number(record.get(q.id)) for q in questions]
        if any(v is None and st == VALID for v, st in zip(values, states)):
            return GroupVerdict(BAND_REJECTED)  # text where a count belongs
        return GroupVerdict(None, [v or 0.0 for v in values])
    if whole is not None:
        whole_state = state(record.get(whole), rejected.get(whole))
        if whole_state == REJECTED:
            return GroupVerdict(WHOLE_REJECTED)
        if whole_state == NOT_ANSWERED:
            return GroupVerdict(WHOLE_NOT_ANSWERED)
        total = number(record.get(whole))
        if total is None:
            return GroupVerdict(WHOLE_REJECTED)  # text where the number belongs
        if total == 0 and set(states) == {NOT_ANSWERED}:
            return GroupVerdict(None, [0.0] * len(questions))  # no cases: nothing to split
    if REJECTED in states:
        return GroupVerdict(BAND_REJECTED)
    if NOT_ANSWERED in states:
        return GroupVerdict(BAND_NOT_ANSWERED)
    values = [number(record.get(q.id)) for q in questions]
    if any(v is None for v in values):
        return GroupVerdict(BAND_REJECTED)
    if whole is not None and sum(values) != number(record.get(whole)):
        return GroupVerdict(MISMATCH)
    return GroupVerdict(None, values)


def single_verdict(record: dict, question: Question, rejected: dict[str, str]) -> str | None:
    """None when the record's answer to ``question`` counts, else NOT_ANSWERED or REJECTED."""
    s = state(record.get(question.id), rejected.get(question.id))
    if s == VALID and question.is_number and number(record.get(question.id)) is None:
        return REJECTED  # text where a number belongs never counts
    if s == NOT_ANSWERED and question.relevant is not None:
        if question.relevant.holds(record.get(question.relevant.question)) is False:
            return NOT_RELEVANT
    return None if s == VALID else s


def reason_text(reason: str, survey: Survey | None = None, whole: str | None = None) -> str:
    """The Danish wording of a reason (a main clause), naming the question it is about."""
    whole_name = _question_name(survey, whole) if whole else "antallet"
    return {
        NOT_ANSWERED: "ikke besvaret",
        NOT_RELEVANT: "ikke relevant efter svaret på det spørgsmål, det afhænger af",
        REJECTED: "afvist ved indlæsningen",
        WHOLE_NOT_ANSWERED: f"{whole_name} er ikke besvaret",
        WHOLE_REJECTED: f"svaret på {whole_name} blev afvist ved indlæsningen, så intervallerne ikke kan "
        "holdes op mod det",
        BAND_NOT_ANSWERED: "ikke alle felter er udfyldt",
        BAND_REJECTED: "et eller flere felter blev afvist ved indlæsningen",
        MISMATCH: f"felterne giver tilsammen ikke antallet i {whole_name}",
        NONE_GIVEN: "det frivillige spørgsmål er ikke udfyldt",
    }[reason]


def reasons_text(excluded: dict[str, int], survey: Survey | None = None, whole: str | None = None) -> str:
    """'spørgsmål 2 er ikke besvaret (1); felterne ... (2)', in a fixed order."""
    order = [NOT_ANSWERED, NOT_RELEVANT, REJECTED, WHOLE_NOT_ANSWERED, WHOLE_REJECTED, BAND_NOT_ANSWERED, BAND_REJECTED,
             MISMATCH, NONE_GIVEN]
    return "; ".join(f"{reason_text(r, survey, whole)} ({excluded[r]})" for r in order if excluded.get(r))


def _question_name(survey: Survey | None, qid: str | None) -> str:
    if survey is None or qid is None:
        return "antallet"
    q = survey.question(qid)
    return f"spørgsmål {q.number}" if q.number else (q.short or q.label)


def count_reason(survey: Survey, question: Question | None, value, code: str | None) -> str:
    """Why a municipality has no valid count ("spørgsmål 2 er ikke besvaret"), naming the question and cause."""
    from sdexl import messages  # the catalogue's short titles name the cause of a rejection

    name = _question_name(survey, question.id) if question is not None else "antallet"
    s = state(value, code)
    if s == NOT_ANSWERED:
        return f"{name} er ikke besvaret"
    if s == REJECTED:
        cause = messages.title(code) if code else ""
        cause = cause[:1].lower() + cause[1:] if cause and cause != code else ""
        return f"svaret på {name} blev afvist ved indlæsningen" + (f" ({cause})" if cause else "")
    return f"svaret på {name} er ikke et gyldigt tal"
