"""Cross-round indicators, derived from the definitions, never from hard-coded ids."""

from __future__ import annotations

from sdexl.analysis.indicators import (
    AGE_BAND,
    CASES,
    COST_BAND,
    EXIT_REASON,
    bands,
    indicators,
    rate_per_1000,
    total_question,
    value_of,
)
from tests.synthetic_snapshots import AGG_2024, CASES_2022, ZERO, aggregate_snapshot, case_snapshot, survey


def test_bands_share_codes_across_rounds():
    case_codes = [b.code for b in bands(survey("sde-2022"), COST_BAND)]
    agg_codes = [b.code for b in bands(survey("sde-2024"), COST_BAND)]
    assert case_codes == agg_codes == ["2.0-2.5", "2.5-3.0", "3.0-3.5", "3.5-4.0", "4.0-6.0", "6.0-10.0", "10+"]
    assert [b.code for b in bands(survey("sde-2022"), AGE_BAND)] == [
        b.code for b in bands(survey("sde-2024"), AGE_BAND)
    ]
    assert bands(survey("sde-2022"), EXIT_REASON) == []


def test_total_question_found_through_the_at_most_rule():
    assert total_question(survey("sde-2024")).id == "a01_botilbud_i_alt"
    assert total_question(survey("sde-2022")) is None


def test_case_indicators_count_rows():
    snap = case_snapshot("sde-2022", CASES_2022)
    frame = indicators(snap)
    records = snap.records.to_dict("records")
    for code, n in CASES_2022.items():
        assert value_of(frame, code, CASES) == n
        own = [r for r in records if r["kommunekode"] == code]
        for choice in snap.survey.question("q03_udgift").choices:
            assert value_of(frame, code, COST_BAND, choice.code) == sum(r["q03_udgift"] == choice.label for r in own)
    assert value_of(frame, ZERO, CASES) == 0
    assert value_of(frame, ZERO, AGE_BAND, "18-25") == 0


def test_aggregate_indicators_read_the_counts():
    snap = aggregate_snapshot()
    frame = indicators(snap)
    rows = {r["kommunekode"]: r for r in snap.records.to_dict("records")}
    exit_ids = [q.id for q in snap.survey.questions if q.indicator == "exit_reason"]
    for code, cases in AGG_2024.items():
        assert value_of(frame, code, CASES) == (None if cases is None else cases)
        whole_set = cases is not None and code != "461"  # 461 has an empty band; 253 no question 2
        assert value_of(frame, code, COST_BAND, "10+") == (rows[code]["a03g_over_10"] if whole_set else None)
        # Optional exit reasons: blanks are 0 once one reason is given; nothing given, nothing counted.
        given = any(rows[code][q] is not None for q in exit_ids)
        expected = (rows[code]["a05a_doedsfald"] or 0) if given else None
        assert value_of(frame, code, EXIT_REASON, "doedsfald") == expected
    # An answer excluded for an error is absent, never zero, and takes its band set with it.
    assert value_of(frame, "461", COST_BAND, "3.0-3.5") is None
    assert value_of(frame, "461", COST_BAND, "2.0-2.5") is None
    assert value_of(frame, "253", CASES) is None


def test_rate_never_invented():
    assert rate_per_1000(5, 10_000) == 0.5
    assert rate_per_1000(5, None) is None
    assert rate_per_1000(None, 10_000) is None
    assert rate_per_1000(5, 0) is None
