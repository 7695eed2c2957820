"""Variation across municipalities and correlation with size and socio-economics.

Quartiles use the inclusive method (Excel's QUARTILE.INC), so a consultant can
check them in the Data sheet with a formula. The standard deviation behind the
coefficient of variation is the sample standard deviation (STDEV.S).

The seeds compare municipalities as "more than 5 times as many as the lowest".
A municipality with no cases has rate 0, which makes that ratio infinite, so
the max/min ratio and the robust P90/P10 ratio (PERCENTILE.INC) are taken
among the municipalities with cases (rate above 0); the sheet says how many
zero-case municipalities that leaves out.
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
    # Among the municipalities with cases (rate > 0): the seeds' "times the lowest".
    n_with_cases: int = 0
    lowest_with_cases: float | None = None
    max_min_ratio: float | None = None
    ratio_note: str = ""  # why the ratio is not available
    p10: float | None = None  # PERCENTILE.INC(...; 0.1) among the municipalities with cases
    p90: float | None = None
    p90_p10_ratio: float | None = None
    p_ratio_note: str = ""
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
    _ratios(result, [v for v in values if v > 0])
    if n < 2:
        result.cv_note = "kræver mindst 2 kommuner"
    elif result.mean == 0:
        result.sd = 0.0
        result.cv_note = "kan ikke beregnes, fordi gennemsnittet er 0"
    else:
        result.sd = statistics.stdev(values)
        result.cv = result.sd / result.mean
    return result


def _ratios(result: Variation, with_cases: list[float]) -> None:
    """Max/min and P90/P10 among the municipalities with cases."""
    result.n_with_cases = len(with_cases)
    if len(with_cases) < 2:
        result.ratio_note = result.p_ratio_note = (
            f"kræver mindst 2 kommuner med sager (der er {len(with_cases)})"
        )
        if with_cases:
            result.lowest_with_cases = with_cases[0]
        return
    result.lowest_with_cases = min(with_cases)
    result.max_min_ratio = max(with_cases) / result.lowest_with_cases
    result.p10, result.p90 = percentile_inc(with_cases, 0.1), percentile_inc(with_cases, 0.9)
    result.p90_p10_ratio = result.p90 / result.p10


def percentile_inc(values: list[float], p: float) -> float:
    """Excel's PERCENTILE.INC (PERCENTIL.MEDTAG): linear between the closest ranks."""
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


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


SIGNIFICANCE = 0.05
SMALL_BASE = 10  # below this many municipalities a correlation is flagged as uncertain
USED_METHOD = "Spearman"
WHY_SPEARMAN = (
    "Vurderingen bygger på Spearmans rangkorrelation, fordi kommunernes størrelse og rater er skævt "
    "fordelt: få store kommuner eller enkelte høje rater kan alene bestemme Pearsons r. Pearson vises til "
    "sammenligning."
)


@dataclass
class Correlation:
    n: int
    pearson_r: float | None = None
    pearson_p: float | None = None
    spearman_rho: float | None = None
    spearman_p: float | None = None
    message: str = ""  # plain Danish: the conclusion, or why nothing was computed
    small_base: bool = False  # fewer than SMALL_BASE municipalities: read with care

    @property
    def significant(self) -> bool:
        """Significant by the test the verdict uses (Spearman)."""
        return self.spearman_p is not None and self.spearman_p < SIGNIFICANCE

    @property
    def direction(self) -> str | None:
        """'positiv' or 'negativ' from the sign of Spearman's rho, when it is significant."""
        if not self.significant or not self.spearman_rho:
            return None
        return "positiv" if self.spearman_rho > 0 else "negativ"


def correlation(x: dict[str, float], y: dict[str, float]) -> Correlation:
    """Pearson and Spearman over the keys present in both ``x`` and ``y``."""
    keys = sorted(set(x) & set(y))
    n = len(keys)
    if n < MIN_CORRELATION_N:
        return Correlation(n, message=f"for få kommuner (n={n}) til at beregne en sammenhæng", small_base=True)
    xs, ys = [x[k] for k in keys], [y[k] for k in keys]
    if len(set(xs)) == 1 or len(set(ys)) == 1:
        return Correlation(n, message=f"kan ikke beregnes, fordi alle {n} kommuner har samme værdi på den ene akse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = pearsonr(xs, ys)
        spearman = spearmanr(xs, ys)
    result = Correlation(
        n,
        _finite(pearson[0]),
        _finite(pearson[1]),
        _finite(spearman[0]),
        _finite(spearman[1]),
        small_base=n < SMALL_BASE,
    )
    result.message = _verdict(result)
    return result


# scipy.stats.pearsonr and spearmanr (two-sided), step for step as scipy 1.17 computes them, so the figures
# are the same to the last bit (tests/test_analysis_stats.py compares them): importing scipy.stats costs
# 0.7-1.5 s of every master build, scipy.special (the two distribution functions) a fifth of that.


def pearsonr(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(r, p) as ``scipy.stats.pearsonr``: r from the scaled, centred vectors; p from the beta distribution."""
    import numpy as np
    from scipy import special

    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    xm, ym = x - x.mean(keepdims=True), y - y.mean(keepdims=True)
    xmax, ymax = np.max(np.abs(xm), keepdims=True), np.max(np.abs(ym), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normxm = xmax * np.linalg.vector_norm(xm / xmax, keepdims=True)
        normym = ymax * np.linalg.vector_norm(ym / ymax, keepdims=True)
        r = np.clip(np.vecdot(xm / normxm, ym / normym), -1.0, 1.0)
    ab = np.asarray(len(x) / 2 - 1, dtype=float)
    p = 2 * special.betaincc(ab, ab, (np.abs(r) + 1) / 2)
    return float(r), float(p)


def spearmanr(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """(rho, p) as ``scipy.stats.spearmanr``: the correlation matrix of average ranks; p from Student's t."""
    import numpy as np
    from scipy import special

    if any(math.isnan(v) for v in (*xs, *ys)):
        return math.nan, math.nan  # as scipy's nan_policy="propagate"
    ranked = np.column_stack((_average_ranks(xs), _average_ranks(ys)))
    rs = np.corrcoef(ranked, rowvar=False)
    dof = len(xs) - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = rs * np.sqrt((dof / ((rs + 1.0) * (1.0 - rs))).clip(0))
    prob = 2 * special.stdtr(dof, -np.abs(t))
    return float(rs[1, 0]), float(prob[1, 0])


def _average_ranks(values: list[float]):
    """Ranks from 1, ties sharing the average of their ranks (``scipy.stats.rankdata``'s default)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    ordered = v[order]
    ranks = np.empty(len(v), dtype=float)
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and ordered[j + 1] == ordered[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _verdict(c: Correlation) -> str:
    """The conclusion by Spearman, what Pearson says beside it, and a warning for a small base."""
    if c.spearman_rho is None or c.spearman_p is None:
        return f"kan ikke beregnes for de {c.n} kommuner"
    rho = f"ρ = {danish(c.spearman_rho)}, {p_text(c.spearman_p)}"
    if c.direction:
        text = f"statistisk signifikant {c.direction} sammenhæng efter Spearman ({rho}, n={c.n})."
    else:
        text = f"ingen statistisk signifikant sammenhæng efter Spearman ({rho}, n={c.n})."
    text += " " + _pearson_note(c)
    if c.small_base:
        text += f" Forsigtig: kun {c.n} kommuner (under {SMALL_BASE}), så resultatet er meget usikkert."
    return text[0].upper() + text[1:]


def _pearson_note(c: Correlation) -> str:
    if c.pearson_r is None or c.pearson_p is None:
        return "Pearson kan ikke beregnes."
    r = f"r = {danish(c.pearson_r)}, {p_text(c.pearson_p)}"
    pearson_significant = c.pearson_p < SIGNIFICANCE
    pearson_sign = "positiv" if c.pearson_r > 0 else "negativ"
    if pearson_significant and c.direction == pearson_sign:
        return f"Pearson peger samme vej ({r})."
    if pearson_significant and c.direction:
        return f"Pearson peger den modsatte vej ({r}): sammenhængen er ikke lineær og bør læses med forsigtighed."
    if pearson_significant:
        return (
            f"Pearson alene er signifikant {pearson_sign} ({r}); da Spearman ikke er det, regnes det ikke som en "
            "sikker sammenhæng."
        )
    if c.direction:
        return f"Pearson er ikke signifikant ({r}): sammenhængen ses i rangordenen, men er ikke lineær."
    return f"Pearson er heller ikke signifikant ({r})."


def danish(value: float, decimals: int = 2) -> str:
    """0.3712 -> '0,37'; -0.02 -> '−0,02' (a real minus sign)."""
    text = f"{abs(value):.{decimals}f}".replace(".", ",")
    return ("−" if value < 0 and text.strip("0,") else "") + text


def p_text(p: float) -> str:
    """'p = 0,004', or 'p < 0,001'."""
    return "p < 0,001" if p < 0.001 else f"p = {danish(p, 3)}"


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
