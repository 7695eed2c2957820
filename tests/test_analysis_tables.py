"""Distributions with their bases, including multi-choice and band groups."""

from __future__ import annotations

import pandas as pd

from sdexl.analysis.bases import (
    BAND_NOT_ANSWERED,
    BAND_REJECTED,
    MISMATCH,
    NONE_GIVEN,
    WHOLE_NOT_ANSWERED,
    WHOLE_REJECTED,
)
from sdexl.analysis.suppress import HIDDEN, derived, suppress_small
from sdexl.analysis.tables import (
    analysis_items,
    by_kkr,
    distribution,
    number_summary,
    participants_by_kkr,
)
from tests.synthetic_snapshots import aggregate_snapshot, survey


def _records(qid: str, answers: list) -> pd.DataFrame:
    return pd.DataFrame({"kommunekode": ["101"] * len(answers), qid: answers})


def test_items_skip_text_and_case_ref_and_group_bands():
    items = analysis_items(survey("sde-2024"))
    kinds = [(i.kind, i.title) for i in items]
    assert kinds[:2] == [
        ("number", "1. Antallet af borgere i botilbud i alt"),
        ("number", "2. Antallet af borgere i botilbud til over 2 mio. kr."),
    ]
    assert [i.kind for i in items[2:]] == ["bands", "bands", "bands"]
    assert len(items[2].questions) == 7 and len(items[3].questions) == 6 and len(items[4].questions) == 5
    case_items = analysis_items(survey("sde-2022"))
    ids = [q.id for i in case_items for q in i.questions]
    assert "sagsnr" not in ids and "bemaerkninger" not in ids and "navn" not in ids


def test_single_choice_distribution():
    definition = survey("sde-2022")
    item = next(i for i in analysis_items(definition) if i.key == "q01_koen")
    dist = distribution(_records("q01_koen", ["Mand", "Kvinde", "Mand", None, ""]), item)
    assert dist.categories == ["Mand", "Kvinde", "Andet"]
    assert dist.counts == [2, 1, 0]
    assert (dist.base, dist.respondents, dist.missing) == (3, 3, 2)
    assert dist.pct(0) == 2 / 3


def test_multi_choice_counts_each_category_over_respondents():
    item = next(i for i in analysis_items(survey("sde-2022")) if i.key == "q06_sekundaer_paragraf")
    assert item.multi
    dist = distribution(_records("q06_sekundaer_paragraf", ["STU; §103", "§103", "Ingen", None]), item)
    assert dist.counts == [1, 2, 0, 1]
    assert dist.base == 3
    assert sum(dist.pct(i) for i in range(4)) > 1  # several answers per respondent


def test_band_distribution_sums_over_municipalities():
    snap = aggregate_snapshot()
    item = next(i for i in analysis_items(snap.survey) if i.title.startswith("3."))
    dist = distribution(snap.records, item)
    rows = snap.records.to_dict("records")
    complete = [
        r for r in rows
        if r["a02_over_2mio"] is not None and all(r[q.id] is not None for q in item.questions)
    ]
    expected = [sum(r[q.id] for r in complete) for q in item.questions]
    assert dist.counts == expected
    assert dist.base == sum(expected)
    assert dist.respondents == len(complete)
    # 461 left a band empty, 253's question 2 is empty: each left out once, and the line adds up.
    assert dist.excluded == {BAND_NOT_ANSWERED: 1, WHOLE_NOT_ANSWERED: 1}
    assert dist.respondents + dist.missing == len(rows)


def test_a_partly_invalid_or_inconsistent_band_set_is_left_out():
    """København's 3a=-2 and 3b=2.5 were rejected on harvest: its other bands must not count either."""
    item = next(i for i in analysis_items(survey("sde-2024")) if i.title.startswith("3."))
    ids = [q.id for q in item.questions]
    whole = item.whole
    assert whole == "a02_over_2mio"

    def row(code, bands, total):
        return {"kommunekode": code, whole: total, **dict(zip(ids, bands, strict=True))}

    frame = pd.DataFrame([
        row("101", [None, None, 5, 0, 0, 0, 0], 7),  # two bands rejected
        row("147", [1, 1, 0, 0, 0, 0, 0], 2),  # valid
        row("151", [1, 1, 1, 0, 0, 0, 0], 9),  # does not sum to the whole
        row("153", [None] * 7, 4),  # every band dropped (the harvest's sum rule failed)
        row("155", [None] * 7, None),  # not answered
        row("157", [0, 0, 0, 0, 0, 0, 3], None),  # whole rejected: the bands cannot be checked
        row("159", [None] * 7, 0),  # no cases, bands left empty: zeros
    ])
    rejected = {(0, ids[0]): "not-a-whole-number", (0, ids[1]): "not-a-whole-number",
                (3, ids[0]): "rule-sum-equals", (5, whole): "rule-at-most"}
    rejected |= {(3, qid): "rule-sum-equals" for qid in ids}
    dist = distribution(frame, item, rejected)
    assert dist.counts == [1, 1, 0, 0, 0, 0, 0]
    assert (dist.base, dist.respondents, dist.missing) == (2, 2, 5)
    assert dist.excluded == {BAND_REJECTED: 2, MISMATCH: 1, WHOLE_NOT_ANSWERED: 1, WHOLE_REJECTED: 1}


def test_optional_exit_reasons_blanks_are_zero_once_one_is_given():
    item = next(i for i in analysis_items(survey("sde-2024")) if i.title.startswith("5."))
    ids = [q.id for q in item.questions]
    frame = pd.DataFrame([
        {"kommunekode": "101", **dict(zip(ids, [2, None, None, 1, None]))},  # partly filled: blanks are 0
        {"kommunekode": "147", **dict(zip(ids, [None] * 5))},  # not filled in
        {"kommunekode": "151", **dict(zip(ids, [1, None, None, None, None]))},  # 5b rejected
    ])
    dist = distribution(frame, item, {(2, ids[1]): "negative-number"})
    assert dist.counts == [2, 0, 0, 1, 0] and dist.respondents == 1
    assert dist.excluded == {NONE_GIVEN: 1, BAND_REJECTED: 1}


def test_number_summary():
    q = survey("sde-2022").question("q03_beloeb")
    summary = number_summary(_records(q.id, [2_000_000.0, None, 4_000_000.0, 3_000_000.0]), q)
    assert (summary.n, summary.total, summary.mean, summary.median) == (3, 9_000_000.0, 3_000_000.0, 3_000_000.0)
    assert number_summary(_records(q.id, [None]), q).n == 0


def test_groups_by_kkr_cover_all_five():
    frame = pd.DataFrame({"kommunekode": ["101", "851", "851"], "x": [1, 2, 3]})
    groups = by_kkr(frame)
    assert len(groups) == 5 and len(groups["KKR Nordjylland"]) == 2 and groups["KKR Sjælland"].empty
    assert participants_by_kkr(["101", "851"])["KKR Nordjylland"] == ["851"]


def test_suppress_small():
    # One symbol for every hidden count: "<3" would tell the reader it is 1 or 2.
    assert [suppress_small(v, 3) for v in (0, 1, 2, 3, None)] == [0, HIDDEN, HIDDEN, 3, None]
    assert suppress_small(4, 5) == HIDDEN
    assert derived(0.5, 2, 10, threshold=3) == HIDDEN
    assert derived(0.5, 3, 10, threshold=3) == 0.5


def test_secondary_suppression_leaves_no_single_hidden_cell_in_a_line():
    from sdexl.analysis.suppress import secondary

    # KKR counts and the national total: one KKR "<3" would follow from the total minus the others.
    values = {"A": 2, "B": 7, "C": 5, "D": 0, "E": 9, "total": 23}
    lines = [(["A", "B", "C", "D", "E"], "total")]
    extra = secondary(values, lines, 3)
    assert extra == {"C"}  # the next-smallest non-zero count
    # A grid: rows add up to row totals, columns to column totals; repeat until stable.
    grid = {(r, c): v for r, row in enumerate([[1, 4, 6], [5, 8, 9], [6, 12, 15]]) for c, v in enumerate(row)}
    lines = [([(r, 0), (r, 1)], (r, 2)) for r in range(3)] + [([(0, c), (1, c)], (2, c)) for c in range(3)]
    hidden = secondary(grid, lines, 3) | {(0, 0)}
    for members, total in lines:
        assert sum(k in hidden for k in [*members, total]) != 1
