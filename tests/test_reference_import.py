"""Importing FOLK1A population and the socio-economic index; the CLI commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.reference import municipalities
from sdexl.reference.population import ReferenceImportError, import_population, match_name, population
from sdexl.reference.socio import import_socio, socio_index
from tests.synthetic_snapshots import all_snapshots

AGES = range(18, 67)


def _per_age(total: int) -> list[int]:
    share, rest = divmod(total, 49)
    return [share + (rest if age == 18 else 0) for age in AGES]


def test_statistikbanken_export_iso_8859_1_with_blank_repeats(workspace):
    """Title line, quarter headings, area named once, other areas and an unknown name."""
    lines = ['"Befolkningen den 1. i kvartalet efter område, alder og tid"', ';;"2024K2";"2024K3"']
    for name, total in (
        ("Hele landet", 3_700_000),
        ("Region Hovedstaden", 1_200_000),
        ("København", 430_001),
        ("Høje-Taastrup", 33_000),
        ("Christiansø", 60),
        ("Atlantis", 10),
    ):
        for i, (age, value) in enumerate(zip(AGES, _per_age(total))):
            lines.append(f'"{name if i == 0 else ""}";"{age} år";{value - 1};{value}')
        lines.append('"";"67 år";5;5')
    source = workspace.root / "folk1a.csv"
    source.write_bytes("\n".join(lines).encode("iso-8859-1"))
    report = import_population(source, workspace.reference)
    assert report.population == {"101": 430_001, "169": 33_000}
    assert report.quarter == "2024K3" and report.quarters_found == ["2024K2", "2024K3"]
    assert report.unmatched_names == ["Atlantis"]
    assert len(report.missing) == 96
    assert population(workspace) == {"101": 430_001, "169": 33_000}
    text = "\n".join(report.lines())
    assert "2 of 98" in text and "'Atlantis'" in text and "Missing (96)" in text
    header = (workspace.reference / "befolkning_18_66.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "kommunekode,befolkning_18_66,kvartal"


def test_api_style_long_format_utf8_with_breakdowns(workspace):
    """One row per area × sex × age × quarter; breakdown rows are skipped, totals used."""
    lines = ["OMRÅDE;KØN;ALDER;TID;INDHOLD"]
    for age, value in zip(AGES, _per_age(49_000)):
        lines.append(f"Aarhus;Køn i alt;{age} år;2024K3;{value}")
        lines.append(f"Aarhus;Mænd;{age} år;2024K3;{value // 2}")
    for age in AGES[:-1]:  # Odense misses the age 66: left out, not guessed
        lines.append(f"Odense;Køn i alt;{age} år;2024K3;100")
    source = workspace.root / "folk1a_api.csv"
    source.write_text("\n".join(lines), encoding="utf-8")
    report = import_population(source, workspace.reference)
    assert report.population == {"751": 49_000}
    assert report.incomplete == {"461": 1}
    assert report.breakdown_rows == 49
    assert "461 Odense: 1 of the ages 18-66 are missing" in "\n".join(report.lines())


def test_unusable_file_is_an_error(workspace):
    source = workspace.root / "wrong.csv"
    source.write_text("kommune;folketal\nKøbenhavn;600000\n", encoding="utf-8")
    with pytest.raises(ReferenceImportError, match="FOLK1A"):
        import_population(source, workspace.reference)


def test_every_shipped_name_matches_itself():
    assert all(match_name(m.name) == m.code for m in municipalities())
    assert match_name("Københavns Kommune") is None  # DST writes "København"; no guessing
    assert match_name("København Kommune") == "101"
    assert match_name("101 København") == "101"


def test_socio_import(workspace):
    source = workspace.root / "socio.csv"
    source.write_text("kommunekode;indeks\n0101;1,07\n147;0.95\n999;1\n151;abc\n101;2\n", encoding="utf-8")
    report = import_socio(source, workspace.reference)
    assert report.index == {"101": 1.07, "147": 0.95}
    assert report.bad_codes == ["line 4: '999'"]
    assert report.bad_values == ["line 5: 'abc'"]
    assert report.duplicates == ["line 6: 101"]
    assert socio_index(workspace) == {"101": 1.07, "147": 0.95}
    assert len(report.missing) == 96


def test_reference_readers_without_imports(workspace):
    assert population(workspace) == {} and socio_index(workspace) == {}


def test_cli_reference_commands(workspace):
    source = workspace.root / "socio.csv"
    source.write_text("101;1,0\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "reference", "socio", str(source)])
    assert result.exit_code == 0, result.output
    assert "1 of 98" in result.output
    bad = workspace.root / "bad.csv"
    bad.write_text("nothing here\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "reference", "population", str(bad)])
    assert result.exit_code == 1 and "FOLK1A" in result.output


def test_cli_build_uses_load_snapshot(workspace, monkeypatch):
    """``sdexl build`` calls sdexl.harvest.store.load_snapshot(ws, survey_id) -> Snapshot | None."""
    snapshots = all_snapshots()
    calls = []

    def load_snapshot(ws, survey_id):
        calls.append(survey_id)
        return snapshots.get(survey_id)

    from sdexl.harvest import store

    monkeypatch.delattr(store, "load_all_snapshots", raising=False)
    monkeypatch.setattr(store, "load_snapshot", load_snapshot)
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "build", "sde-2024"])
    assert result.exit_code == 0, result.output
    assert (workspace.output_dir("sde-2024") / "master.xlsx").exists()
    assert (workspace.output_dir("sde-2024") / "data.csv").exists()
    assert "sde-2022" in calls and "sde-2024" in calls
    help_text = CliRunner().invoke(main, ["build", "--help"]).output
    assert "Example" in help_text
