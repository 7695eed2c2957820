"""Distributions of the answers: national, per KKR and per municipality.

A survey is analysed as a list of ``Item``s: a choice question (single or
multi), a group of band counts (the aggregate survey's "3a-3g"), or a plain
number. Every result carries its base, so each table can say what n is.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
from pandas.core.dtypes.cast import maybe_box_native

from sdexl.analysis.bases import (  # noqa: F401  (re-exported: the sheets import them from here)
    BAND_NOT_ANSWERED,
    BAND_REJECTED,
    MISMATCH,
    NOT_ANSWERED,
    REJECTED,
    group_verdict,
    present,
    rejected_by_row,
    single_verdict,
    sum_whole,
)
from sdexl.analysis.snapshot import KOMMUNEKODE
from sdexl.reference import by_code, kkr_names
from sdexl.survey.model import Question, Survey

MULTI_SEPARATOR = "; "
KOMMUNE = "kommune"
KKR = "kkr"


@dataclass(frozen=True)
class Item:
    kind: Literal["choice", "bands", "number"]
    title: str
    questions: tuple[Question, ...]
    whole: str | None = None  # bands: the question the bands must sum to (a sum_equals rule), if any

    @property
    def key(self) -> str:
        return self.questions[0].id

    @property
    def multi(self) -> bool:
        return self.kind == "choice" and self.questions[0].type == "multi"


@dataclass
class Distribution:
    categories: list[str]
    counts: list[int]
    base: int  # the denominator of the percentages
    respondents: int  # records used (for bands: municipalities whose band set counts)
    missing: int  # records not used, for any reason: ``sum(excluded.values())``
    # Every record not used, by reason (sdexl.analysis.bases): NOT_ANSWERED and
    # REJECTED for one question; for band groups also WHOLE_*, BAND_*, MISMATCH,
    # NONE_GIVEN. respondents + missing = all records.
    excluded: dict[str, int] = field(default_factory=dict)

    def pct(self, i: int) -> float | None:
        return self.counts[i] / self.base if self.base else None


@dataclass
class NumberSummary:
    n: int
    total: float | None
    mean: float | None
    median: float | None
    excluded: dict[str, int] = field(default_factory=dict)  # records without a valid answer, by reason


def analysis_items(survey: Survey) -> list[Item]:
    """Choice questions, band groups and numbers, in the order of the form."""
    items: list[Item] = []
    groups: dict[str, list[Question]] = {}
    for q in survey.analysis_questions:
        if q.role == "case_ref" or q.type in ("text", "other_text", "date"):
            continue
        if q.is_choice:
            items.append(Item("choice", _title(q), (q,)))
        elif q.indicator and q.code:
            if q.indicator not in groups:
                groups[q.indicator] = []
                # A placeholder keeps the group at its first question's place;
                # _fill_group puts the questions in once all are seen.
                items.append(Item("bands", q.indicator, ()))
            groups[q.indicator].append(q)
        else:
            items.append(Item("number", _title(q), (q,)))
    return [_fill_group(item, groups, survey) for item in items]


def _fill_group(item: Item, groups: dict[str, list[Question]], survey: Survey) -> Item:
    if item.kind != "bands":
        return item
    questions = tuple(groups[item.title])
    title = questions[0].section or item.title
    return Item("bands", title, questions, sum_whole(survey, questions))


def _title(q: Question) -> str:
    return f"{q.number}. {q.label}" if q.number else q.label


Rejected = dict  # Snapshot.rejected: (record label, question id) -> issue code


def distribution(records: pd.DataFrame, item: Item, rejected: Rejected | None = None) -> Distribution:
    """Counts per category over the records the base rule uses (sdexl.analysis.bases).

    ``rejected`` (``Snapshot.rejected``) tells a rejected answer from one left
    empty; the records' index labels are its keys, so a subset (one KKR) works.
    """
    by_row = rejected_by_row(rejected or {})
    if item.kind == "bands":
        return _band_distribution(records, item, by_row)
    q = item.questions[0]
    answers, excluded = [], Counter()
    for label, record in _records(records, _needs(q)):
        reason = single_verdict(record, q, by_row.get(label, {}))
        if reason is None:
            answers.append(record[q.id])
        else:
            excluded[reason] += 1
    labels = q.labels
    if q.type == "multi":
        picked = [set(str(a).split(MULTI_SEPARATOR)) for a in answers]
        counts = [sum(label in p for p in picked) for label in labels]
    else:
        counts = [sum(str(a) == label for a in answers) for label in labels]
    return Distribution(labels, counts, len(answers), len(answers), sum(excluded.values()), dict(excluded))


def optional_group(item: Item) -> bool:
    """A group of counts nobody has to fill in (the exit reasons): blanks beside a given one are 0."""
    return item.kind == "bands" and not any(q.required for q in item.questions)


def _band_distribution(records: pd.DataFrame, item: Item, by_row: dict) -> Distribution:
    """Band counts summed over the municipalities whose band set counts by the base rule.

    See ``sdexl.analysis.bases.group_verdict``: every band valid and adding up to
    the number it splits (question 2), which must itself be valid; for an
    optional group (exit reasons) at least one count given, blanks counting 0.
    """
    optional = optional_group(item)
    totals = [0.0] * len(item.questions)
    used, excluded = 0, Counter()
    needs = [q.id for q in item.questions] + ([item.whole] if item.whole else [])
    for label, record in _records(records, needs):
        verdict = group_verdict(record, item.questions, item.whole, by_row.get(label, {}), optional)
        if verdict.reason is not None:
            excluded[verdict.reason] += 1
            continue
        used += 1
        totals = [t + v for t, v in zip(totals, verdict.values)]
    counts = [int(t) for t in totals]
    labels = [q.short or q.label for q in item.questions]
    return Distribution(labels, counts, sum(counts), used, sum(excluded.values()), dict(excluded))


def number_summary(records: pd.DataFrame, q: Question, rejected: Rejected | None = None) -> NumberSummary:
    by_row = rejected_by_row(rejected or {})
    values, excluded = [], Counter()
    for label, record in _records(records, _needs(q)) if q.id in records.columns else []:
        reason = single_verdict(record, q, by_row.get(label, {}))
        if reason is None:
            values.append(float(record[q.id]))
        else:
            excluded[reason] += 1
    if not values:
        return NumberSummary(0, None, None, None, dict(excluded))
    return NumberSummary(len(values), sum(values), statistics.fmean(values), statistics.median(values), dict(excluded))


def _needs(q: Question) -> list[str]:
    """The answers ``single_verdict`` looks at for ``q``."""
    return [q.id] + ([q.relevant.question] if q.relevant is not None else [])


def _records(records: pd.DataFrame, needs: list[str]) -> zip:
    """(index label, record) pairs as ``records.to_dict("records")`` gives them, holding only the columns in
    ``needs`` (the others would be looked up as absent anyway). Converting every column of every record once
    per table was most of a master build; this reads each needed column once."""
    wanted = list(dict.fromkeys(c for c in needs if c in records.columns))
    if not wanted:
        return zip(records.index, [{} for _ in range(len(records))])
    values = [[maybe_box_native(v) for v in records[c].tolist()] for c in wanted]
    return zip(records.index, [dict(zip(wanted, row)) for row in zip(*values)])


def with_places(records: pd.DataFrame) -> pd.DataFrame:
    """The records with the municipality's name and KKR added after the code."""
    frame = records.copy()
    codes = frame[KOMMUNEKODE].astype(str) if len(frame) else pd.Series([], dtype=str)
    frame.insert(1, KOMMUNE, [by_code()[c].name if c in by_code() else "" for c in codes])
    frame.insert(2, KKR, [by_code()[c].kkr if c in by_code() else "" for c in codes])
    return frame


def by_kkr(records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """All five KKRs, each with its records (possibly none)."""
    frame = records if KKR in records.columns else with_places(records)
    return {name: frame[frame[KKR] == name] for name in kkr_names()}


def participants_by_kkr(participants: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {name: [] for name in kkr_names()}
    for code in participants:
        municipality = by_code().get(str(code))
        if municipality:
            result[municipality.kkr].append(municipality.code)
    return result
