"""Development between opgørelser: rounds with one reference date merge; only paired municipalities count."""

from __future__ import annotations

import datetime as dt

from sdexl.analysis.development import NATIONAL, RATE, development, periods
from sdexl.analysis.indicators import AGE_BAND, CASES
from tests.synthetic_snapshots import AGG_2024, CASES_2022, CASES_2023, POPULATION, all_snapshots


def test_rounds_with_the_same_reference_date_are_one_period():
    found = periods(all_snapshots())
    assert [p.reference_date for p in found] == [dt.date(2022, 10, 1), dt.date(2024, 10, 1)]
    assert found[0].survey_ids == ["sde-2022", "sde-2023"]
    assert found[0].participants == set(CASES_2022) | set(CASES_2023)
    assert found[0].label == "2022 (sde-2022, sde-2023)"


def test_national_change_over_paired_municipalities():
    dev = development(all_snapshots(), POPULATION)
    before = {**CASES_2022, **CASES_2023}
    paired = sorted(set(before) & set(AGG_2024), key=int)
    assert dev.paired == paired
    with_answer = [c for c in paired if AGG_2024[c] is not None]
    cases = next(c for c in dev.national if c.indicator == CASES)
    assert (cases.level, cases.n) == (NATIONAL, len(with_answer))
    assert cases.before == sum(before[c] for c in with_answer)
    assert cases.after == sum(AGG_2024[c] for c in with_answer)
    rate = next(c for c in dev.national if c.indicator == RATE)
    usable = [c for c in with_answer if c in POPULATION]
    people = sum(POPULATION[c] for c in usable)
    assert rate.before == sum(before[c] for c in usable) / people * 1000
    assert rate.n == len(usable)
    assert dev.only_after == sorted(set(AGG_2024) - set(before), key=int)
    assert {c.indicator for c in dev.national} == {CASES, RATE, "cost_band", AGE_BAND}


def test_kkr_with_one_paired_municipality_is_its_figure():
    dev = development(all_snapshots(), POPULATION)
    nord = next(c for c in dev.per_kkr if c.level == "KKR Nordjylland" and c.indicator == CASES)
    assert (nord.n, nord.before, nord.after) == (1, CASES_2022["851"], AGG_2024["851"])


def test_single_period_gives_none():
    snaps = all_snapshots()
    assert development({"sde-2024": snaps["sde-2024"]}, POPULATION) is None
