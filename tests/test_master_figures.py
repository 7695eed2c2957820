"""Issue 8, master figures: each figure recomputed by hand from the answers and compared with the sheet.

Every test builds a real master.xlsx from a synthetic snapshot (through
``build_outputs``, as ``sdexl build`` does), reads it back with calamine and
recomputes the figure with plain Python from the records, never with
sdexl.analysis. The contradiction cases of the issue are built on purpose: a
municipality whose question 2 was rejected (the only one of its KKR), a file
sent twice, partly filled exit reasons, zero-case municipalities in Variation,
and rates where Spearman and Pearson disagree.
"""

from __future__ import annotations

import math
import random

import pandas as pd
from scipy.stats import t as student_t

from sdexl.analysis.snapshot import KOMMUNEKODE, Snapshot
from sdexl.publish.master import build_outputs
from sdexl.reference.population import import_population
from sdexl.survey.load import version_hash
from sdexl.workspace import init_workspace
from tests.master_reader import average_ranks, kkr_of, kommuner, pearson, read_sheets, same, table
from tests.synthetic_snapshots import survey
from tests.test_master import write_folk1a

SID = "sde-2024"
CASES_Q = "a02_over_2mio"
TOTAL_Q = "a01_botilbud_i_alt"


def band_ids(indicator: str) -> list[str]:
    return [q.id for q in survey(SID).questions if q.indicator == indicator]


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    cuts = sorted(rng.randint(0, total) for _ in range(parts - 1))
    return [b - a for a, b in zip([0] + cuts, cuts + [total])]


def form(code: str, cases: int, rng: random.Random, exits: list | None = None) -> dict:
    """A consistent 2024 form: bands add up to the cases; exit reasons as given (None: blank)."""
    row: dict = {KOMMUNEKODE: code, CASES_Q: cases, TOTAL_Q: cases * 10 + 5}
    for indicator in ("cost_band", "age_band"):
        ids = band_ids(indicator)
        row.update(dict(zip(ids, split(cases, len(ids), rng))))
    row.update(dict(zip(band_ids("exit_reason"), exits or [None] * 5)))
    return row


def snapshot(rows: list[dict], rejected: dict | None = None, submissions: pd.DataFrame | None = None) -> Snapshot:
    definition = survey(SID)
    columns = [KOMMUNEKODE] + [q.id for q in definition.analysis_questions]
    records = pd.DataFrame(rows, columns=columns).astype(object)
    records = records.where(pd.notna(records), None)
    codes = [r[KOMMUNEKODE] for r in rows]
    return Snapshot(
        definition,
        version_hash(definition),
        records,
        codes,
        [],
        submissions if submissions is not None else pd.DataFrame(),
        pd.DataFrame(columns=["code", "severity", "count"]),
        rejected=rejected or {},
    )


def build(tmp_path, snap: Snapshot, population: dict[str, int]) -> dict[str, list[list]]:
    ws = init_workspace(tmp_path)
    folk = ws.root / "folk1a.csv"
    write_folk1a(folk, population)
    import_population(folk, ws.reference)
    build_outputs(ws, SID, {SID: snap})
    return read_sheets(ws.output_dir(SID) / "master.xlsx")


def facts(rows: list[list], title: str) -> dict:
    return {r[0]: r[1] for r in table(rows, title).rows}


def codes_in(kkr: str | None = None) -> list[str]:
    return [c for c in kommuner() if kkr is None or kkr_of(c) == kkr]


# -- Variation: zero-case municipalities ----------------------------------------


def percentile_inc(values: list[float], p: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def test_variation_ratios_among_municipalities_with_cases(tmp_path):
    rng = random.Random(3)
    codes = codes_in()[:24]
    cases = {c: (0 if i < 4 else rng.randint(1, 40)) for i, c in enumerate(codes)}  # four report zero
    population = {c: 5000 + 1000 * i for i, c in enumerate(codes)}
    sheets = build(tmp_path, snapshot([form(c, n, rng) for c, n in cases.items()]), population)
    stats = facts(sheets["Variation"], "Fordelingen af raten")
    rates = {c: cases[c] / population[c] * 1000 for c in codes}
    positive = [r for r in rates.values() if r > 0]
    assert stats["Laveste"] == 0  # the zero-case municipalities are in the distribution
    assert stats["Kommuner med sager (rate over 0)"] == len(positive) == 20
    assert same(stats["Laveste blandt kommuner med sager"], min(positive))
    assert same(stats["Forhold mellem højeste og laveste (kommuner med sager)"], max(positive) / min(positive))
    p10, p90 = percentile_inc(positive, 0.1), percentile_inc(positive, 0.9)
    assert same(stats["10. percentil (kommuner med sager)"], p10)
    assert same(stats["90. percentil (kommuner med sager)"], p90)
    assert same(stats["Forhold mellem 90. og 10. percentil (kommuner med sager)"], p90 / p10)
    base = table(sheets["Variation"], "Fordelingen af raten").base
    assert "20 kommuner med sager (4 uden sager er ikke med)" in base


# -- Sammenhæng: Spearman and Pearson disagree -----------------------------------


def spearman_p(rho: float, n: int) -> float:
    return 2 * student_t.sf(abs(rho) * math.sqrt((n - 2) / (1 - rho**2)), n - 2)


def test_correlation_direction_comes_from_the_reported_test(tmp_path):
    """Rates rise with size, except one very large municipality with the lowest rate.

    Spearman finds a significant positive relationship; Pearson, pulled by the
    one large municipality, is negative. The verdict must say "positiv".
    """
    rng = random.Random(5)
    codes = codes_in()[:20]
    population = {c: 20000 + 2000 * i for i, c in enumerate(codes[:-1])} | {codes[-1]: 600000}
    cases = {c: 4 + 2 * i for i, c in enumerate(codes[:-1])} | {codes[-1]: 12}
    sheets = build(tmp_path, snapshot([form(c, n, rng) for c, n in cases.items()]), population)
    xs = [population[c] for c in codes]
    ys = [cases[c] / population[c] * 1000 for c in codes]
    r, rho = pearson(xs, ys), pearson(average_ranks(xs), average_ranks(ys))
    assert rho > 0 > r and spearman_p(rho, 20) < 0.05  # the disagreement the test is about
    t = table(sheets["Sammenhæng"], "Korrelationer")
    row = t.row("Rate og kommunestørrelse (antal 18-66-årige)")
    assert same(row[2], r, 1e-7) and same(row[4], rho, 1e-7) and same(row[5], spearman_p(rho, 20), 1e-6)
    verdict = row[6]
    assert "signifikant positiv sammenhæng efter Spearman" in verdict and "negativ sammenhæng" not in verdict
    assert "Pearson" in verdict  # both are reported, and the verdict says what Pearson shows
    assert "Spearman" in t.explanation and "fordi" in t.explanation  # which is used, and why
    # On a log scale Pearson changes and Spearman does not.
    log_row = t.row("Rate og kommunestørrelse på logaritmisk skala (log10 af antal 18-66-årige)")
    assert same(log_row[2], pearson([math.log10(x) for x in xs], ys), 1e-7)
    assert same(log_row[4], rho, 1e-7)


def test_correlation_flags_a_base_under_ten(tmp_path):
    rng = random.Random(6)
    codes = codes_in()[:7]
    population = {c: 10000 + 3000 * i for i, c in enumerate(codes)}
    cases = {c: 3 + i for i, c in enumerate(codes)}
    sheets = build(tmp_path, snapshot([form(c, n, rng) for c, n in cases.items()]), population)
    row = table(sheets["Sammenhæng"], "Korrelationer").row("Rate og kommunestørrelse (antal 18-66-årige)")
    assert row[1] == 7 and "Forsigtig: kun 7 kommuner (under 10)" in row[6]
