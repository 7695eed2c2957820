"""Variation across municipalities and correlation with size and socio-economics.

Quartiles use the inclusive method (Excel's QUARTILE.INC), so a consultant can
check them in the Data sheet with a formula. The standard deviation behind the
coefficient of variation is the sample standard deviation (STDEV.S).
"""

from __future__ import annotations

import math
import statistics
import warnings
from dataclasses import dataclass

MIN_CORRELATION_N = 5


@dataclass
class Variation:
    n: int
    mean: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_min_ratio: float | None = None
    ratio_note: str = ""  # why the ratio is not available
    sd: float | None = None
    cv: float | None = None  # sd / mean
    cv_note: str = ""


def variation(values: list[float]) -> Variation:
    """Mean, median, quartiles, range, max/min and CV of the municipal rates."""
    n = len(values)
    if n == 0:
        return Variation(0, ratio_note="ingen kommuner med tal", cv_note="ingen kommuner med tal")
    result = Variation(n, statistics.fmean(values), statistics.median(values))
    result.minimum, result.maximum = min(values), max(values)
    result.q1, result.q3 = _quartiles(values)
    if result.minimum > 0:
        result.max_min_ratio = result.maximum / result.minimum
    else:
        result.ratio_note = "kan ikke beregnes, fordi den laveste værdi er 0"
    if n < 2:
        result.cv_note = "kræver mindst 2 kommuner"
    elif result.mean == 0:
        result.sd = 0.0
        result.cv_note = "kan ikke beregnes, fordi gennemsnittet er 0"
    else:
        result.sd = statistics.stdev(values)
        result.cv = result.sd / result.mean
    return result


def _quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) == 1:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def ranking(values: dict[str, float]) -> list[tuple[int, str, float]]:
    """(rank, key, value), highest first; ties share the best rank (1, 2, 2, 4)."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    result: list[tuple[int, str, float]] = []
    for position, (key, value) in enumerate(ordered, start=1):
        rank = result[-1][0] if result and result[-1][2] == value else position
        result.append((rank, key, value))
    return result


@dataclass
class Correlation:
    n: int
    pearson_r: float | None = None
    pearson_p: float | None = None
    spearman_rho: float | None = None
    spearman_p: float | None = None
    message: str = ""  # plain Danish: the conclusion, or why nothing was computed


def correlation(x: dict[str, float], y: dict[str, float]) -> Correlation:
    """Pearson and Spearman over the keys present in both ``x`` and ``y``."""
    keys = sorted(set(x) & set(y))
    n = len(keys)
    if n < MIN_CORRELATION_N:
        return Correlation(n, message=f"for få kommuner (n={n}) til at beregne en sammenhæng")
    xs, ys = [x[k] for k in keys], [y[k] for k in keys]
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        return Correlation(n, message=f"kan ikke beregnes, fordi alle {n} kommuner har samme værdi på den ene akse")
    # scipy costs about 0,5 s of imports: only a build that computes a correlation pays it.
    from scipy import stats as scipy_stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = scipy_stats.pearsonr(xs, ys)
        spearman = scipy_stats.spearmanr(xs, ys)
    result = Correlation(
        n,
        _finite(pearson.statistic),
        _finite(pearson.pvalue),
        _finite(spearman.statistic),
        _finite(spearman.pvalue),
    )
    result.message = _verdict(result)
    return result


def _verdict(c: Correlation) -> str:
    significant = [p for p in (c.pearson_p, c.spearman_p) if p is not None and p < 0.05]
    if significant:
        direction = "positiv" if (c.pearson_r or 0) > 0 else "negativ"
        return f"statistisk signifikant {direction} sammenhæng (p < 0,05, n={c.n})"
    return f"ingen statistisk signifikant sammenhæng (p ≥ 0,05, n={c.n})"


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
