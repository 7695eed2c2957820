"""Everything the master's sheets read, computed once: one survey's snapshot,
the other rounds (for Udvikling), the reference data and the settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from sdexl.analysis.bases import count_reason, group_verdict, reason_text, sum_whole
from sdexl.analysis.development import Period, periods
from sdexl.analysis.indicators import CASES, band_questions, cases_question, indicators, lookup, rate_per_1000
from sdexl.analysis.records import complete
from sdexl.analysis.snapshot import KOMMUNEKODE, Snapshot
from sdexl.analysis.suppress import derived, suppress_small
from sdexl.analysis.tables import Distribution, Item, by_kkr, distribution, with_places
from sdexl.background import Background
from sdexl.reference import by_code, municipalities
from sdexl.reference.population import Population

NA = "ikke tilgængelig"
NA_NO_POPULATION = "ikke tilgængelig: befolkningstal mangler"
NA_NO_ANSWER = "ikke tilgængelig: antallet mangler eller havde fejl"
NA_NO_BASE = "ikke tilgængelig: ingen svar"
NOT_PARTICIPATING = "Ikke deltaget"

INTERNAL_NOTE = (
    "Internt arbejdsark for konsulenterne: tallene er ikke diskretionerede (små tal er ikke skjult) "
    "og må ikke videregives til andre kommuner i denne form."
)


NATIONAL_GROUP = "Hele landet"  # the whole country beside the KKRs


@dataclass
class MasterInput:
    snapshot: Snapshot
    snapshots: dict[str, Snapshot]
    population: Population
    socio: dict[str, float]
    threshold: int = 3
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    _distributions: dict = field(default_factory=dict, init=False, repr=False)  # see group_distribution
    _indicators: dict = field(default_factory=dict, init=False, repr=False)  # see indicators_of
    _memo: dict = field(default_factory=dict, init=False, repr=False)  # see memo
    _background: Background | None = field(default=None, init=False, repr=False)  # see in_background

    def __post_init__(self):
        own = self.snapshot
        self.snapshot = complete(own)
        # The survey being built is also among the rounds: the same completed object, so its figures
        # are computed once for Oversigt, Kommuner, Udvikling and Læring.
        self.snapshots = {sid: self.snapshot if s is own else complete(s) for sid, s in self.snapshots.items()}

    @property
    def survey(self):
        return self.snapshot.survey

    @cached_property
    def kkr_records(self) -> dict[str, pd.DataFrame]:
        """The records of each KKR (the participants' own), in the KKRs' order."""
        return by_kkr(with_places(self.snapshot.records))

    # -- figures computed once a build, perhaps by a child on the other core -------------------
    def in_background(self, compute: Callable[[MasterInput], None]) -> None:
        """Fork a child that runs ``compute(self)`` (filling the caches below) and hands back what it
        computed; the first ``group_distribution`` or ``memo`` takes it (sdexl.background)."""
        def run() -> dict:  # in the child
            compute(self)
            return {"distributions": self._distributions, "memo": self._memo}

        self._background = Background(run)

    def join_background(self) -> None:
        """Take the child's figures, if there is a child; without them every figure is computed here."""
        background, self._background = self._background, None
        computed = (background.join() if background is not None else None) or {}
        for key, value in computed.get("distributions", {}).items():
            self._distributions.setdefault(key, value)
        for key, value in computed.get("memo", {}).items():
            self._memo.setdefault(key, value)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, once a build (the correlations of Sammenhæng, say)."""
        self.join_background()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def group_distribution(self, group: str, item: Item) -> Distribution:
        """The distribution of ``item`` in a KKR, or in ``NATIONAL_GROUP`` (all records), computed
        once a build: Land, KKR, Udtrådte and their protection show the same ones."""
        self.join_background()
        key = (group, item.key)
        if key not in self._distributions:
            records = self.snapshot.records if group == NATIONAL_GROUP else self.kkr_records[group]
            self._distributions[key] = distribution(records, item, self.snapshot.rejected)
        return self._distributions[key]

    def indicators_of(self, snapshot: Snapshot) -> pd.DataFrame:
        """``indicators(snapshot)`` for one of this build's snapshots, computed once a build."""
        key = id(snapshot)
        if key not in self._indicators:
            self._indicators[key] = (snapshot, indicators(snapshot))  # the snapshot held: its id stays its own
        return self._indicators[key][1]

    @cached_property
    def indicator_frame(self) -> pd.DataFrame:
        return self.indicators_of(self.snapshot)

    @cached_property
    def periods(self) -> list[Period]:
        """Every opgørelse of the workspace, oldest first (Udvikling, Læring and the reports compare them)."""
        return periods(self.snapshots, self.indicators_of)

    @cached_property
    def participants(self) -> list[str]:
        codes = {str(c) for c in self.snapshot.participants} | {str(c) for c in self.snapshot.zero_cases}
        return sorted((c for c in codes if c in by_code()), key=int)

    @property
    def missing(self) -> list[str]:
        taking_part = set(self.participants)
        return [m.code for m in municipalities() if m.code not in taking_part]

    @cached_property
    def indicator_values(self) -> dict[tuple[str, str, str], float]:
        return lookup(self.indicator_frame)

    def indicator(self, code: str, indicator: str, band: str = "") -> float | None:
        return self.indicator_values.get((code, indicator, band))

    def cases(self, code: str) -> float | None:
        return self.indicator(code, CASES)

    @cached_property
    def rates(self) -> dict[str, float]:
        """Cases per 1,000 aged 18-66 for participants with both figures."""
        result = {}
        for code in self.participants:
            rate = rate_per_1000(self.cases(code), self.population.values.get(code))
            if rate is not None:
                result[code] = rate
        return result

    def rate_reason(self, code: str) -> str:
        """Why a participant has no rate: the real cause, the number of cases first."""
        if self.cases(code) is None:
            return self.cases_reason(code)
        return NA_NO_POPULATION

    @cached_property
    def _forms(self) -> dict[str, tuple]:
        """Aggregate survey: kommunekode -> (record label, record)."""
        records = self.snapshot.records
        return {str(r[KOMMUNEKODE]): (label, r) for label, r in zip(records.index, records.to_dict("records"))}

    def answer_reason(self, code: str, question) -> str:
        """'ikke tilgængelig: spørgsmål 2 er ikke besvaret' (or rejected, and why) for one municipality."""
        label, record = self._forms.get(code, (None, {}))
        issue = self.snapshot.rejected.get((label, question.id)) if question is not None else None
        value = record.get(question.id) if question is not None else None
        return f"{NA}: {count_reason(self.survey, question, value, issue)}"

    def group_reason(self, code: str, indicator: str) -> str:
        """Why a municipality's band set (or exit reasons) is left out, by the base rule."""
        label, record = self._forms.get(code, (None, {}))
        questions = tuple(band_questions(self.survey, indicator))
        whole = sum_whole(self.survey, questions)
        rejected = {qid: issue for (row, qid), issue in self.snapshot.rejected.items() if row == label}
        optional = not any(q.required for q in questions)
        verdict = group_verdict(record, questions, whole, rejected, optional)
        return f"{NA}: {reason_text(verdict.reason, self.survey, whole)}" if verdict.reason else NA

    def cases_reason(self, code: str) -> str:
        """Why a participant has no valid number of cases."""
        return self.answer_reason(code, cases_question(self.survey))

    @cached_property
    def with_cases(self) -> list[str]:
        """Participants with a valid number of cases: the base of every case figure."""
        return [c for c in self.participants if self.cases(c) is not None]

    def pooled_rate(self, codes: list[str]) -> tuple[float | None, int]:
        """All cases over all 18-66-year-olds of ``codes`` having both; and their number."""
        usable = [c for c in codes if c in self.rates]
        people = sum(self.population.values[c] for c in usable)
        return rate_per_1000(sum(self.cases(c) for c in usable), people), len(usable)

    def count(self, value):
        """A count as published on a suppressed sheet."""
        return suppress_small(value, self.threshold)

    def share(self, value: float | None, *counts):
        """A percentage as published on a suppressed sheet (hidden with its count)."""
        return derived(NA_NO_BASE if value is None else value, *counts, threshold=self.threshold)

    def name(self, code: str) -> str:
        return by_code()[code].name if code in by_code() else code

    def kkr_of(self, code: str) -> str:
        return by_code()[code].kkr if code in by_code() else ""
