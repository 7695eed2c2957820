"""The master's Læring sheet: municipalities with a fall, their exit reasons and texts; the share in botilbud."""

from __future__ import annotations

import pytest

from sdexl.analysis.suppress import HIDDEN
from sdexl.publish.master import build_outputs
from tests.master_reader import read_sheets, same, table
from tests.synthetic_snapshots import AGG_2024, CASES_2022, CASES_2023, EVIL_TEXT, POPULATION, all_snapshots
from tests.test_master import workspace_with_population


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    ws = workspace_with_population(tmp_path_factory.mktemp("ws"))
    snapshots = all_snapshots()
    build_outputs(ws, "sde-2024", snapshots)
    return read_sheets(ws.output_dir("sde-2024") / "master.xlsx")["Læring"], snapshots


def shown(n: int):
    return HIDDEN if 0 < n < 3 else n


def test_every_fall_is_listed_with_suppressed_counts(sheet):
    rows, _ = sheet
    before = {**CASES_2022, **CASES_2023}
    falls = {c for c, n in AGG_2024.items() if c in before and n is not None and n < before[c]}
    assert falls == {"101", "265", "851", "159"}  # the design of the synthetic snapshots
    found = table(rows, "Kommuner med et fald")
    assert {r[0] for r in found.rows} == falls
    for r in found.rows:
        code = r[0]
        assert r[3] == shown(before[code]) and r[4] == shown(AGG_2024[code])
        small = before[code] < 3 or AGG_2024[code] < 3
        assert r[5] == (HIDDEN if small else AGG_2024[code] - before[code])
        if not small:
            assert same(r[6], before[code] / POPULATION[code] * 1000)
    # Largest fall in the rate first.
    shown_rates = [r for r in found.rows if r[6] != HIDDEN]
    drops = [r[7] - r[6] for r in shown_rates]
    assert drops == sorted(drops)


def test_exit_reasons_and_texts_side_by_side(sheet):
    rows, snapshots = sheet
    found = table(rows, "Kommuner med et fald")
    by_code = {r[0]: r for r in found.rows}
    assert by_code["101"][8].count(": 3") == 5  # 101 gave 3 for every exit reason
    assert "Dødsfald: 3" in by_code["101"][8]
    column = found.column("Bemærkninger")
    assert by_code["265"][column] == EVIL_TEXT  # kept as text, never a formula
    record = snapshots["sde-2024"].records.set_index("kommunekode").loc["851"]
    reasons = [f"{label}: {HIDDEN if 0 < v < 3 else v}" for label, v in zip(
        ["Dødsfald", "Frivillig flytning", "Bedre funktionsniveau", "Billigere botilbud", "Andet"],
        [record[q] for q in ("a05a_doedsfald", "a05b_frivillig_flytning", "a05c_bedre_funktion",
                              "a05d_billigere_botilbud", "a05e_andet")]) if v]
    assert by_code["851"][8] == ("; ".join(reasons) or "ingen angivet")


def test_share_in_botilbud_nationally_with_its_base(sheet):
    rows, snapshots = sheet
    records = [r for r in snapshots["sde-2024"].records.to_dict("records")
               if r["a02_over_2mio"] is not None and r["a01_botilbud_i_alt"]]
    found = table(rows, "Andel af alle borgere i botilbud, der er over 2 mio. kr.")
    national = found.row("Hele landet")
    assert same(national[3], sum(r["a02_over_2mio"] for r in records) / sum(r["a01_botilbud_i_alt"] for r in records))
    assert national[4] == len(records)
    assert f"n = {len(records)}" in found.base


def test_the_pooled_baseline_is_stated(sheet):
    rows, _ = sheet
    text = " ".join(str(c) for r in rows for c in r)
    assert "samme referencedato og indgår som én samlet opgørelse" in text
    assert "Runde 1 (2022) og Runde 2" in text
