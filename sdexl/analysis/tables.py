"""Distributions of the answers: national, per KKR and per municipality.

A survey is analysed as a list of ``Item``s: a choice question (single or
multi), a group of band counts (the aggregate survey's "3a-3g"), or a plain
number. Every result carries its base, so each table can say what n is.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

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
    respondents: int  # records with an answer
    missing: int  # records without an answer (not asked, left empty or excluded for errors)
    # Bands: municipalities left out although they answered, by reason
    # (INCOMPLETE: not every band a valid number; MISMATCH: bands do not sum to the whole).
    excluded: dict[str, int] = field(default_factory=dict)

    def pct(self, i: int) -> float | None:
        return self.counts[i] / self.base if self.base else None


@dataclass
class NumberSummary:
    n: int
    total: float | None
    mean: float | None
    median: float | None


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
    ids = {q.id for q in questions}
    whole = next((r.whole for r in survey.rules if r.kind == "sum_equals" and set(r.parts or ()) == ids), None)
    return Item("bands", title, questions, whole)


def _title(q: Question) -> str:
    return f"{q.number}. {q.label}" if q.number else q.label


def distribution(records: pd.DataFrame, item: Item) -> Distribution:
    if item.kind == "bands":
        return _band_distribution(records, item)
    q = item.questions[0]
    answers = [a for a in (records[q.id].tolist() if q.id in records.columns else []) if present(a)]
    labels = q.labels
    if q.type == "multi":
        picked = [set(str(a).split(MULTI_SEPARATOR)) for a in answers]
        counts = [sum(label in p for p in picked) for label in labels]
    else:
        counts = [sum(str(a) == label for a in answers) for label in labels]
    return Distribution(labels, counts, len(answers), len(answers), len(records) - len(answers))


INCOMPLETE = "incomplete"  # a band is missing or was not a valid number (excluded on harvest)
MISMATCH = "mismatch"  # the bands do not sum to the whole
DROPPED = "dropped"  # no band, though the whole is above 0 (left empty, or dropped by the harvest's sum rule)


def _band_distribution(records: pd.DataFrame, item: Item) -> Distribution:
    """Band counts summed over the municipalities whose band set is whole and valid.

    A municipality counts only when every band of the group is a valid number:
    with one band rejected (say -2 or 2.5) the others would distort the
    distribution. When the group has a sum rule and the whole is given, a set
    of bands that does not add up to it (or that is missing altogether, as the
    harvest drops every band when the sum rule fails) is left out too.
    """
    rows = records.to_dict("records")
    answered = []
    excluded = {INCOMPLETE: 0, MISMATCH: 0, DROPPED: 0}
    for r in rows:
        given = [present(r.get(q.id)) for q in item.questions]
        whole = r.get(item.whole) if item.whole else None
        whole_given = present(whole) and not isinstance(whole, str)
        if not any(given):
            if whole_given and whole > 0:
                excluded[DROPPED] += 1
            continue
        if not all(given):
            excluded[INCOMPLETE] += 1
        elif whole_given and sum(r[q.id] for q in item.questions) != whole:
            excluded[MISMATCH] += 1
        else:
            answered.append(r)
    counts = [int(sum(r[q.id] for r in answered)) for q in item.questions]
    labels = [q.short or q.label for q in item.questions]
    left_out = {reason: n for reason, n in excluded.items() if n}
    return Distribution(labels, counts, sum(counts), len(answered), len(rows) - len(answered), left_out)


def number_summary(records: pd.DataFrame, q: Question) -> NumberSummary:
    values = [float(v) for v in (records[q.id].tolist() if q.id in records.columns else []) if present(v)]
    if not values:
        return NumberSummary(0, None, None, None)
    return NumberSummary(len(values), sum(values), statistics.fmean(values), statistics.median(values))


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
