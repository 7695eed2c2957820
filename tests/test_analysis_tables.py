"""Distributions with their bases, including multi-choice and band groups."""

from __future__ import annotations

import pandas as pd

from sdexl.analysis.suppress import HIDDEN, derived, suppress_small
from sdexl.analysis.tables import analysis_items, by_kkr, distribution, number_summary, participants_by_kkr
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
    expected = [sum(r[q.id] for r in rows if r[q.id] is not None) for q in item.questions]
    assert dist.counts == expected
    assert dist.base == sum(expected)
    assert dist.respondents == len(rows)


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
    assert [suppress_small(v, 3) for v in (0, 1, 2, 3, None)] == [0, "<3", "<3", 3, None]
    assert suppress_small(4, 5) == "<5"
    assert derived(0.5, 2, 10, threshold=3) == HIDDEN
    assert derived(0.5, 3, 10, threshold=3) == 0.5
