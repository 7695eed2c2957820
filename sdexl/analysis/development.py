"""Development between opgørelser (reference dates) on the shared indicators.

Rounds with the same reference date are one opgørelse: the 2022 and 2023
case screenings both describe 1 October 2022 for different municipalities.
Should a municipality appear in both, the later round (highest survey id)
counts. The earliest and the latest opgørelse are compared, and only
municipalities present in both count ("paired"): otherwise a national change
would mostly show who took part.

The rate uses the same population figure for both opgørelser (only one
quarter is imported), so a change in the rate is a change in the number of
cases relative to today's population.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from sdexl.analysis.indicators import AGE_BAND, CASES, COST_BAND, Band, bands, indicators, rate_per_1000
from sdexl.analysis.snapshot import KOMMUNEKODE, Snapshot
from sdexl.reference import by_code, kkr_names

RATE = "rate"
NATIONAL = "Hele landet"
COMPARED = (CASES, RATE, COST_BAND, AGE_BAND)


@dataclass
class Period:
    reference_date: dt.date
    survey_ids: list[str]
    values: dict[tuple[str, str, str], float]  # (kommunekode, indicator, code) -> value
    participants: set[str]
    bands: dict[str, list[Band]]  # indicator -> bands, from the latest survey of the period

    @property
    def label(self) -> str:
        return f"{self.reference_date:%Y} ({', '.join(self.survey_ids)})"


@dataclass
class Change:
    level: str  # "Hele landet", a KKR name or a kommunekode
    indicator: str
    code: str
    n: int  # paired municipalities behind the figure
    before: float | None
    after: float | None

    @property
    def difference(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def relative(self) -> float | None:
        if self.difference is None or not self.before:
            return None
        return self.difference / self.before


@dataclass
class Development:
    before: Period
    after: Period
    paired: list[str]
    only_before: list[str]
    only_after: list[str]
    national: list[Change] = field(default_factory=list)
    per_kkr: list[Change] = field(default_factory=list)
    per_municipality: list[Change] = field(default_factory=list)


def periods(
    snapshots: dict[str, Snapshot], indicators_of: Callable[[Snapshot], pd.DataFrame] = indicators
) -> list[Period]:
    """One Period per reference date, oldest first. ``indicators_of``: the figures of one snapshot (a
    caller that already has them, sdexl.publish.context, passes its own so they are computed once)."""
    by_date: dict[dt.date, list[Snapshot]] = {}
    for snap in snapshots.values():
        if not snap.participants:
            continue  # nothing usable came back: not an opgørelse
        by_date.setdefault(snap.survey.reference_date, []).append(snap)
    return [
        _period(date, sorted(group, key=lambda s: s.survey_id), indicators_of) for date, group in sorted(by_date.items())
    ]


def _period(date: dt.date, group: list[Snapshot], indicators_of: Callable[[Snapshot], pd.DataFrame]) -> Period:
    values: dict[tuple[str, str, str], float] = {}
    participants: set[str] = set()
    for snap in group:  # later surveys overwrite earlier ones, municipality by municipality
        frame = indicators_of(snap)
        codes = set(frame[KOMMUNEKODE]) | {str(c) for c in snap.participants}
        for code in codes:
            for key in [k for k in values if k[0] == code]:
                del values[key]
        for row in frame.itertuples(index=False):
            values[(row.kommunekode, row.indicator, row.code)] = float(row.value)
        participants |= codes
    latest = group[-1].survey
    return Period(
        date,
        [s.survey_id for s in group],
        values,
        participants,
        {ind: bands(latest, ind) for ind in (COST_BAND, AGE_BAND)},
    )


def compare(before: Period, after: Period, population: dict[str, int]) -> Development:
    paired = sorted(before.participants & after.participants, key=int)
    result = Development(
        before,
        after,
        paired,
        sorted(before.participants - after.participants, key=int),
        sorted(after.participants - before.participants, key=int),
    )
    keys = _shared_keys(before, after)
    groups = {NATIONAL: paired}
    groups.update({kkr: [c for c in paired if by_code()[c].kkr == kkr] for kkr in kkr_names()})
    for level, members in groups.items():
        target = result.national if level == NATIONAL else result.per_kkr
        target += [_change(level, members, key, before, after, population) for key in keys]
    for code in paired:
        result.per_municipality += [_change(code, [code], key, before, after, population) for key in keys]
    return result


def _shared_keys(before: Period, after: Period) -> list[tuple[str, str]]:
    """(indicator, code) pairs both opgørelser have, in the later survey's order."""
    keys = [(CASES, ""), (RATE, "")]
    for indicator in (COST_BAND, AGE_BAND):
        earlier = {b.code for b in before.bands.get(indicator, [])}
        keys += [(indicator, b.code) for b in after.bands.get(indicator, []) if b.code in earlier]
    return keys


def _change(
    level: str, members: list[str], key: tuple[str, str], before: Period, after: Period, population: dict[str, int]
) -> Change:
    indicator, code = key
    if indicator == RATE:
        return _rate_change(level, members, before, after, population)
    both = [m for m in members if (m, indicator, code) in before.values and (m, indicator, code) in after.values]
    if not both:
        return Change(level, indicator, code, 0, None, None)
    return Change(
        level,
        indicator,
        code,
        len(both),
        sum(before.values[(m, indicator, code)] for m in both),
        sum(after.values[(m, indicator, code)] for m in both),
    )


def _rate_change(level: str, members: list[str], before: Period, after: Period, population: dict[str, int]) -> Change:
    """Pooled rate: all cases over all 18-66-year-olds of the paired municipalities."""
    usable = [
        m for m in members if population.get(m) and (m, CASES, "") in before.values and (m, CASES, "") in after.values
    ]
    if not usable:
        return Change(level, RATE, "", 0, None, None)
    people = sum(population[m] for m in usable)
    return Change(
        level,
        RATE,
        "",
        len(usable),
        rate_per_1000(sum(before.values[(m, CASES, "")] for m in usable), people),
        rate_per_1000(sum(after.values[(m, CASES, "")] for m in usable), people),
    )


def development(
    snapshots: dict[str, Snapshot], population: dict[str, int], found: list[Period] | None = None
) -> Development | None:
    """Earliest against latest opgørelse; None when there is only one. ``found``: ``periods(snapshots)``
    when the caller has it."""
    found = periods(snapshots) if found is None else found
    if len(found) < 2:
        return None
    return compare(found[0], found[-1], population)


def band_label(period: Period, indicator: str, code: str) -> str:
    for band in period.bands.get(indicator, []):
        if band.code == code:
            return band.label
    return code


def as_frame(changes: list[Change]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"level": c.level, "indicator": c.indicator, "code": c.code, "n": c.n, "before": c.before, "after": c.after}
            for c in changes
        ]
    )
