"""Cross-round indicators: the figures the case screening and the follow-up share.

The 2022 case screening has one row per citizen; the 2024 follow-up has one
form per municipality with counts. Both feed the same indicators, because the
definitions mark questions with ``indicator`` and band categories with ``code``:

* ``cases``: number of citizens over 2 mio. kr. (case survey: number of rows;
  aggregate survey: the integer question with ``indicator: cases``);
* ``cost_band`` / ``age_band`` / ``exit_reason``: counts by ``code`` (case
  survey: rows per category of the single question with that indicator;
  aggregate survey: the integer questions with that indicator, one per code);
* ``botilbud_total``: all citizens in botilbud, where the survey asks for it.

Nothing here names a survey or a question id: everything is read from the
definitions, so a new round only needs its YAML.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sdexl.analysis.bases import group_verdict, rejected_by_row, single_verdict, sum_whole
from sdexl.analysis.records import complete
from sdexl.analysis.snapshot import KOMMUNEKODE, Snapshot
from sdexl.survey.model import Question, Survey

CASES = "cases"
COST_BAND = "cost_band"
AGE_BAND = "age_band"
EXIT_REASON = "exit_reason"
BOTILBUD_TOTAL = "botilbud_total"
BAND_INDICATORS = (COST_BAND, AGE_BAND, EXIT_REASON)

COLUMNS = [KOMMUNEKODE, "indicator", "code", "value"]


@dataclass(frozen=True)
class Band:
    code: str
    label: str  # Danish text as the survey shows it


def band_questions(survey: Survey, indicator: str) -> list[Question]:
    """Aggregate survey: the count questions of one band indicator, in form order."""
    return [q for q in survey.questions if q.indicator == indicator and q.is_number and q.code]


def band_choice_question(survey: Survey, indicator: str) -> Question | None:
    """Case survey: the single-choice question whose categories are the bands."""
    return next((q for q in survey.questions if q.indicator == indicator and q.type == "single"), None)


def bands(survey: Survey, indicator: str) -> list[Band]:
    """The bands of an indicator in this survey (empty when it does not ask)."""
    if survey.kind == "aggregate":
        return [Band(q.code, q.short or q.label) for q in band_questions(survey, indicator)]
    question = band_choice_question(survey, indicator)
    if question is None:
        return []
    return [Band(c.code or c.label, c.label) for c in question.choices or []]


def cases_question(survey: Survey) -> Question | None:
    """Aggregate survey: the question holding the number of cases."""
    return next((q for q in survey.questions if q.indicator == CASES and q.is_number), None)


def total_question(survey: Survey) -> Question | None:
    """The question counting all citizens in botilbud, if the survey asks for it.

    Marked ``indicator: botilbud_total``; otherwise it is the ``whole`` of an
    ``at_most`` rule whose ``part`` is the cases question ("over 2 mio. kr.
    cannot exceed all in botilbud"), which says exactly that.
    """
    marked = next((q for q in survey.questions if q.indicator == BOTILBUD_TOTAL and q.is_number), None)
    if marked is not None:
        return marked
    cases = cases_question(survey)
    if cases is None:
        return None
    for rule in survey.rules:
        if rule.kind == "at_most" and rule.part == cases.id and rule.whole:
            return survey.question(rule.whole)
    return None


def indicators(snapshot: Snapshot) -> pd.DataFrame:
    """Tidy long table: kommunekode, indicator, code, value (one row per figure).

    A figure whose answer is missing or had an error is absent, never zero.
    """
    snapshot = complete(snapshot)
    if snapshot.survey.kind == "aggregate":
        rows = _aggregate_rows(snapshot)
    else:
        rows = _case_rows(snapshot)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["value"] = frame["value"].astype("float64")
    return frame


def _case_rows(snapshot: Snapshot) -> list[tuple]:
    survey, records = snapshot.survey, snapshot.records
    codes = _participant_codes(snapshot)
    # Each municipality's rows by position, found in one pass (a filter per municipality was 98 passes).
    positions = {str(k): v for k, v in records.groupby(KOMMUNEKODE, sort=False).indices.items()} if len(records) else {}
    banded = [(ind, q) for ind in BAND_INDICATORS if (q := band_choice_question(survey, ind)) is not None]
    columns = {q.id: records[q.id].tolist() for _, q in banded if q.id in records.columns}
    rows: list[tuple] = []
    for code in codes:
        own = positions.get(code, ())
        rows.append((code, CASES, "", len(own)))
        for indicator, question in banded:
            column = columns.get(question.id)
            answers = [column[i] for i in own] if column is not None else []
            for choice in question.choices or []:
                rows.append((code, indicator, choice.code or choice.label, sum(a == choice.label for a in answers)))
    return rows


def _aggregate_rows(snapshot: Snapshot) -> list[tuple]:
    """One row per valid figure, by the base rule (sdexl.analysis.bases).

    A band group enters only as a whole (every band valid and adding up to the
    number of cases), so Kommuner, Udvikling and Land count the same
    municipalities; the optional exit reasons count with blanks as 0 once one
    reason is given.
    """
    survey = snapshot.survey
    single = {CASES: cases_question(survey), BOTILBUD_TOTAL: total_question(survey)}
    groups = {ind: tuple(band_questions(survey, ind)) for ind in BAND_INDICATORS}
    by_row = rejected_by_row(snapshot.rejected)
    rows: list[tuple] = []
    for label, record in zip(snapshot.records.index, snapshot.records.to_dict("records")):
        code = str(record[KOMMUNEKODE])
        rejected = by_row.get(label, {})
        for indicator, question in single.items():
            if question is not None and single_verdict(record, question, rejected) is None:
                rows.append((code, indicator, "", _number(record[question.id])))
        for indicator, questions in groups.items():
            if not questions:
                continue
            optional = not any(q.required for q in questions)
            verdict = group_verdict(record, questions, sum_whole(survey, questions), rejected, optional)
            if verdict.reason is None:
                rows += [(code, indicator, q.code, v) for q, v in zip(questions, verdict.values)]
    return rows


def _participant_codes(snapshot: Snapshot) -> list[str]:
    """Participants plus any municipality with records (a zero-case one has none)."""
    codes = [str(c) for c in snapshot.participants]
    if len(snapshot.records):
        codes += [str(c) for c in snapshot.records[KOMMUNEKODE].unique()]
    codes += [str(c) for c in snapshot.zero_cases]
    return list(dict.fromkeys(codes))


def _number(value) -> float | None:
    if value is None or isinstance(value, str):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return None
    return float(value)


def value_of(frame: pd.DataFrame, kommunekode: str, indicator: str, code: str = "") -> float | None:
    """One figure from an indicator table, or None when it is absent."""
    return lookup(frame).get((kommunekode, indicator, code))


def lookup(frame: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    """The indicator table as a dict keyed by (kommunekode, indicator, code).

    Built once per table: filtering the frame for every municipality and band
    made the master build quadratic in practice.
    """
    return {
        (k, i, c): float(v)
        for k, i, c, v in zip(frame[KOMMUNEKODE], frame["indicator"], frame["code"], frame["value"])
    }


def rate_per_1000(cases: float | None, population: float | None) -> float | None:
    """Cases per 1,000 citizens aged 18-66; None when either is unknown or pop is 0."""
    if cases is None or not population:
        return None
    return cases / population * 1000
