"""Comparable municipalities: nearest by standardised distance, recomputed here by hand; chosen groups win."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.reference import municipalities
from sdexl.reference.comparable import ComparableError, groups, import_comparable
from sdexl.reference.population import import_population
from sdexl.workspace import init_workspace

CODES = [m.code for m in municipalities()]
NAMES = {m.code: m.name for m in municipalities()}


def made_up(seed: int = 3) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
    rng = random.Random(seed)
    people = {c: rng.randrange(5_000, 200_000) for c in CODES}
    totals = {c: int(people[c] / rng.uniform(0.55, 0.68)) for c in CODES}
    socio = {c: round(rng.uniform(0.7, 1.3), 3) for c in CODES}
    return people, totals, socio


def write_reference(folder: Path, people, totals, socio) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "befolkning_18_66.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kommunekode", "befolkning_18_66", "kvartal", "befolkning_i_alt"])
        for c in CODES:
            writer.writerow([c, people[c], "2024K3", totals[c]])
    (folder / "socio_indeks.csv").write_text(
        "kommunekode,indeks\n" + "".join(f"{c},{socio[c]}\n" for c in CODES), encoding="utf-8"
    )


def by_hand(people, totals, socio, code: str, k: int = 5) -> list[str]:
    """z-scores with the sample SD written out, then the k smallest Euclidean distances."""
    columns = [
        {c: float(people[c]) for c in CODES},
        {c: float(socio[c]) for c in CODES},
        {c: people[c] / totals[c] for c in CODES},
    ]
    z = []
    for col in columns:
        n = len(col)
        mean = sum(col.values()) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in col.values()) / (n - 1))
        z.append({c: (v - mean) / sd for c, v in col.items()})
    distance = {o: math.sqrt(sum((zc[code] - zc[o]) ** 2 for zc in z)) for o in CODES if o != code}
    return sorted(distance, key=lambda o: (distance[o], int(o)))[:k]


def test_nearest_recomputed_by_hand(tmp_path):
    people, totals, socio = made_up()
    write_reference(tmp_path, people, totals, socio)
    result = groups(tmp_path)
    assert result.variables == ["population", "socio", "share"]
    assert len(result.peers) == 98
    for code in ("101", "147", "825", "851"):
        assert result.of(code) == by_hand(people, totals, socio, code)
        assert code not in result.of(code)
    assert "socioøkonomisk indeks" in result.method("101") and "z-score" in result.method("101")


def test_without_socio_only_the_imported_variables_count_and_the_method_says_so(tmp_path):
    people, totals, socio = made_up()
    write_reference(tmp_path, people, totals, socio)
    (tmp_path / "socio_indeks.csv").unlink()
    result = groups(tmp_path, k=3)
    assert result.variables == ["population", "share"]
    assert "Ikke med" in result.method() and "socioøkonomisk indeks" in result.method()
    assert all(len(p) == 3 for p in result.peers.values())


def test_chosen_groups_win_over_the_computed_ones(tmp_path):
    people, totals, socio = made_up()
    write_reference(tmp_path, people, totals, socio)
    source = tmp_path / "klynger.csv"
    source.write_text("kommunekode;sammenlignelige\n101;751, 461 851\n0147;101\n", encoding="utf-8")
    import_comparable(source, tmp_path)
    result = groups(tmp_path)
    assert result.of("101") == ["751", "461", "851"]
    assert result.of("147") == ["101"]
    assert result.source["101"] == "valgt" and "valgt" in result.method("101")
    assert result.of("151") == by_hand(people, totals, socio, "151")  # not listed: computed


def test_bad_lines_are_listed_and_nothing_is_imported(tmp_path):
    source = tmp_path / "klynger.csv"
    source.write_text("kommunekode;sammenlignelige\n101;751 999\n147;147\n10x;101\n", encoding="utf-8")
    with pytest.raises(ComparableError) as caught:
        import_comparable(source, tmp_path)
    text = str(caught.value)
    assert "line 2: '999'" in text and "line 3: 147 is listed as its own" in text and "line 4: '10x'" in text
    assert not (tmp_path / "sammenlignelige.csv").exists()


def test_cli_writes_the_default_which_is_no_override_until_imported(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    people, totals, socio = made_up()
    write_reference(ws.reference, people, totals, socio)
    runner = CliRunner()
    out = runner.invoke(main, ["-w", str(ws.root), "reference", "comparable"])
    assert out.exit_code == 0, out.output
    expected = by_hand(people, totals, socio, "101")
    assert f"101 København: {', '.join(NAMES[c] for c in expected)}" in out.output
    written = ws.reference / "sammenlignelige.csv"
    assert groups(ws.reference).source["101"] == "beregnet"
    # Edit the written file and import it: now it is the chosen group.
    text = written.read_text(encoding="utf-8").replace(f"101,København,{' '.join(expected)}", "101,København,147 151")
    edited = tmp_path / "edited.csv"
    edited.write_text(text, encoding="utf-8")
    out = runner.invoke(main, ["-w", str(ws.root), "reference", "comparable", str(edited)])
    assert out.exit_code == 0, out.output
    assert groups(ws.reference).of("101") == ["147", "151"]
    assert groups(ws.reference).source["101"] == "valgt"


def test_population_import_of_all_ages_gives_the_share(tmp_path):
    lines = [';;"2024K3"']
    for m in municipalities():
        for age in range(0, 101):
            lines.append(f'"{m.name}";"{age} år";{10 if 18 <= age <= 66 else 5}')
    source = tmp_path / "folk1a.csv"
    source.write_text("\n".join(lines), encoding="utf-8")
    report = import_population(source, tmp_path)
    assert report.population["101"] == 49 * 10
    assert report.totals["101"] == 49 * 10 + 52 * 5
    result = groups(tmp_path)
    assert "share" in result.variables
