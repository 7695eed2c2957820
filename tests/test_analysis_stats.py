"""Variation and correlation against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sdexl.analysis.stats import correlation, ranking, variation
from tests.master_reader import average_ranks, pearson, quartiles_inclusive


def test_variation_known_values():
    v = variation([1.0, 2.0, 3.0, 4.0])
    assert (v.n, v.mean, v.median, v.minimum, v.maximum) == (4, 2.5, 2.5, 1.0, 4.0)
    assert (v.q1, v.q3) == (1.75, 3.25)  # QUARTILE.INC
    assert v.max_min_ratio == 4.0
    assert v.sd == pytest.approx(math.sqrt(5 / 3))
    assert v.cv == pytest.approx(math.sqrt(5 / 3) / 2.5)


def test_variation_edge_cases_are_explained():
    with_zero = variation([0.0, 1.0, 2.0])  # the ratio is among the municipalities with cases
    assert (with_zero.minimum, with_zero.lowest_with_cases, with_zero.max_min_ratio) == (0.0, 1.0, 2.0)
    only_one = variation([0.0, 0.0, 2.0])
    assert only_one.max_min_ratio is None and "mindst 2 kommuner med sager" in only_one.ratio_note
    one = variation([0.7])
    assert (one.q1, one.q3, one.cv) == (0.7, 0.7, None) and "mindst 2" in one.cv_note
    assert variation([]).n == 0
    zeros = variation([0.0, 0.0])
    assert zeros.cv is None and "gennemsnittet er 0" in zeros.cv_note


@given(st.lists(st.floats(min_value=0, max_value=10, allow_nan=False), min_size=2, max_size=40))
def test_quartiles_match_hand_formula(values):
    v = variation(values)
    q1, q3 = quartiles_inclusive(values)
    assert v.q1 == pytest.approx(q1, abs=1e-9) and v.q3 == pytest.approx(q3, abs=1e-9)


def test_ranking_ties_share_rank():
    assert ranking({"a": 1.0, "b": 3.0, "c": 3.0, "d": 0.5}) == [
        (1, "b", 3.0),
        (1, "c", 3.0),
        (3, "a", 1.0),
        (4, "d", 0.5),
    ]


def test_correlation_too_few():
    c = correlation({"1": 1.0, "2": 2.0, "3": 3.0, "4": 4.0}, {"1": 1.0, "2": 2.0, "3": 3.0, "4": 5.0, "5": 1.0})
    assert c.n == 4 and c.pearson_r is None
    assert c.message == "for få kommuner (n=4) til at beregne en sammenhæng"


def test_correlation_matches_hand_computation():
    x = {str(i): float(v) for i, v in enumerate([10, 20, 30, 40, 50, 60])}
    y = {str(i): float(v) for i, v in enumerate([1.0, 0.8, 1.4, 1.1, 2.0, 1.9])}
    c = correlation(x, y)
    xs, ys = list(x.values()), list(y.values())
    assert c.n == 6
    assert c.pearson_r == pytest.approx(pearson(xs, ys))
    assert c.spearman_rho == pytest.approx(pearson(average_ranks(xs), average_ranks(ys)))
    assert 0 <= c.pearson_p <= 1 and "n=6" in c.message


def test_correlation_constant_values():
    x = {str(i): 1.0 for i in range(6)}
    y = {str(i): float(i) for i in range(6)}
    assert "samme værdi" in correlation(x, y).message


def test_pearson_and_spearman_are_scipys_to_the_last_bit():
    """stats.pearsonr/spearmanr repeat scipy.stats' computation (scipy.stats itself is slow to import)."""
    import random
    import warnings

    from scipy import stats as scipy_stats

    from sdexl.analysis.stats import pearsonr, spearmanr

    rng = random.Random(9)
    for trial in range(400):
        n = rng.randint(5, 98)
        xs = [rng.choice([rng.random() * 1000, float(rng.randint(0, 5)), rng.randint(0, 9)]) for _ in range(n)]
        ys = [x * rng.random() + rng.gauss(0, 100) if trial % 2 else float(rng.randint(0, 4)) for x in xs]
        if len(set(xs)) == 1 or len(set(ys)) == 1:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, s = scipy_stats.pearsonr(xs, ys), scipy_stats.spearmanr(xs, ys)
        assert pearsonr(xs, ys) == (float(p.statistic), float(p.pvalue))
        assert spearmanr(xs, ys) == (float(s.statistic), float(s.pvalue))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, ys = [1.0, 2.0, float("nan"), 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 6.0]
        for mine, theirs in ((pearsonr(xs, ys), scipy_stats.pearsonr(xs, ys)),
                             (spearmanr(xs, ys), scipy_stats.spearmanr(xs, ys))):
            assert all(math.isnan(v) for v in (*mine, theirs.statistic, theirs.pvalue))
