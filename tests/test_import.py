"""``sdexl import``: earlier rounds loaded into the ledger, so development works without harvesting them."""

from __future__ import annotations

import csv
import random
import sqlite3
from pathlib import Path

import pytest
import xlsxwriter
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.harvest.store import load_all_snapshots
from sdexl.publish.master import build_from_ledger
from sdexl.report.run import build_reports
from tests.master_reader import read_sheets

CASES_2022 = {"101": 5, "147": 3, "265": 4, "751": 6, "851": 2}
ZERO_2022 = "151"
CASES_2023 = {"159": 3, "657": 2}
FORMS_2024 = {"101": (120, 7), "147": (60, 2), "151": (40, 1), "265": (80, 3), "751": (150, 9), "159": (30, 4)}


def choice_rows(ws, survey_id: str, cases: dict[str, int], seed: int) -> list[dict]:
    survey = ws.survey(survey_id)
    rng = random.Random(seed)
    rows = []
    for code, n in cases.items():
        for i in range(n):
            row = {"kommunekode": code, "kommune": "x", "kkr": "y", "sagsnr": f"{code}-{i + 1}"}
            for q in survey.analysis_questions:
                if q.is_choice and q.type == "single":
                    row[q.id] = rng.choice(q.labels)
            rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict], extra: list[dict] = ()) -> Path:
    columns = list(dict.fromkeys(k for r in [*rows, *extra] for k in r))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows([*rows, *extra])
    return path


def forms_csv(path: Path) -> Path:
    rows = []
    for code, (total, cases) in FORMS_2024.items():
        bands = [cases] + [0] * 6
        rows.append({"kommunekode": code, "a01_botilbud_i_alt": total, "a02_over_2mio": cases,
                     **{f"a03{x}": v for x, v in zip("abcdefg", bands)}})
    survey_ids = {"a03a": "a03a_2_0_2_5", "a03b": "a03b_2_5_3_0", "a03c": "a03c_3_0_3_5", "a03d": "a03d_3_5_4_0",
                  "a03e": "a03e_4_0_6_0", "a03f": "a03f_6_0_10_0", "a03g": "a03g_over_10"}
    rows = [{survey_ids.get(k, k): v for k, v in r.items()} for r in rows]
    return write_csv(path, rows)


def mapped_xlsx(path: Path, rows: list[dict]) -> tuple[Path, Path]:
    """Round 2 as a municipality's own Excel sheet with Danish headings, and the mapping file."""
    headings = {"kommunekode": "Kommunenr.", "sagsnr": "Sag", "q01_koen": "Køn", "q26_socialtilsynet": "Tilsyn"}
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Ark1")
    columns = list(headings) + ["navn"]
    for col, key in enumerate(columns):
        sheet.write_string(0, col, headings.get(key, "Navn"))
    for r, row in enumerate(rows, start=1):
        for col, key in enumerate(columns):
            value = "Hans Hansen" if key == "navn" else row.get(key, "")
            if key == "kommunekode":
                sheet.write_number(r, col, int(value))
            else:
                sheet.write_string(r, col, str(value))
    book.close()
    mapping = path.with_name("kolonner.csv")
    mapping.write_text("kolonne;spørgsmål\n" + "".join(f"{h};{k}\n" for k, h in headings.items()) + "Navn;navn\n",
                       encoding="utf-8")
    return path, mapping


@pytest.fixture
def imported(workspace, tmp_path):
    ws = workspace
    runner = CliRunner()
    rows22 = choice_rows(ws, "sde-2022", CASES_2022, 1)
    source22 = write_csv(tmp_path / "data_2022.csv", rows22, [{"kommunekode": ZERO_2022}])
    out = runner.invoke(main, ["-w", str(ws.root), "import", "sde-2022", str(source22)])
    assert out.exit_code == 0, out.output
    rows23 = choice_rows(ws, "sde-2023", CASES_2023, 2)
    book, mapping = mapped_xlsx(tmp_path / "runde2.xlsx", rows23)
    out23 = runner.invoke(main, ["-w", str(ws.root), "import", "sde-2023", str(book), "--mapping", str(mapping)])
    assert out23.exit_code == 0, out23.output
    out24 = runner.invoke(main, ["-w", str(ws.root), "import", "sde-2024", str(forms_csv(tmp_path / "f.csv"))])
    assert out24.exit_code == 0, out24.output
    return ws, rows22, rows23, out.output


def test_imported_rounds_are_snapshots_with_their_answers(imported):
    ws, rows22, rows23, output = imported
    assert "Imported 20 cases from 6 municipalities into sde-2022" in output
    snaps = load_all_snapshots(ws)
    assert set(snaps) == {"sde-2022", "sde-2023", "sde-2024"}
    s22 = snaps["sde-2022"]
    assert sorted(s22.participants, key=int) == sorted([*CASES_2022, ZERO_2022], key=int)
    assert s22.zero_cases == [ZERO_2022]
    got = sorted(zip(s22.records["sagsnr"], s22.records["q01_koen"], s22.records["q05_ejerskab"]))
    assert got == sorted((r["sagsnr"], r["q01_koen"], r["q05_ejerskab"]) for r in rows22)
    s23 = snaps["sde-2023"]
    assert sorted(zip(s23.records["sagsnr"], s23.records["q26_socialtilsynet"])) == sorted(
        (r["sagsnr"], r["q26_socialtilsynet"]) for r in rows23)
    assert "Hans Hansen" not in s23.records.astype(str).to_string()  # a personal column is never stored


def test_source_is_recorded_and_archived(imported):
    ws, *_ = imported
    conn = sqlite3.connect(ws.ledger_path)
    rows = conn.execute("SELECT survey_id, source, sha256, mapping, municipalities, records FROM imports").fetchall()
    assert [(r[0], Path(r[1]).name, r[4], r[5]) for r in rows] == [
        ("sde-2022", "data_2022.csv", 6, 20), ("sde-2023", "runde2.xlsx", 2, 5), ("sde-2024", "f.csv", 6, 6)]
    assert '"Køn": "q01_koen"' in rows[1][3]
    archived = conn.execute("SELECT DISTINCT archive FROM submissions WHERE survey_id = 'sde-2022'").fetchall()
    assert len(archived) == 1 and (ws.root / archived[0][0]).exists()
    assert all(r[0] == "import" for r in conn.execute("SELECT ident_source FROM submissions"))


def test_development_uses_the_imported_pooled_baseline(imported):
    ws, *_ = imported
    build_from_ledger(ws, "sde-2024")
    udvikling = read_sheets(ws.output_dir("sde-2024") / "master.xlsx")["Udvikling"]
    text = " ".join(str(c) for r in udvikling for c in r)
    assert "2022 (sde-2022, sde-2023)" in text
    run = build_reports(ws, "sde-2024", ["101", "159"], pdf=False)
    for code, path in zip(["101", "159"], run.workbooks):
        sheet = read_sheets(path)["Udvikling"]
        flat = " ".join(str(c) for r in sheet for c in r)
        assert "samlet udgangspunkt" in flat and "metodeskiftet" in flat
        name = {"101": "København", "159": "Gladsaxe"}[code]
        own = next(r for r in sheet if r[0] == name)
        before = CASES_2022.get(code, CASES_2023.get(code))
        assert own[1:4] == [1, before, FORMS_2024[code][1]]
    quality = read_sheets(run.workbooks[0])["Datakvalitet og metode"]
    assert any("Indlæst fra en tidligere opgørelse" in str(c) for r in quality for c in r)


def test_bad_values_are_listed_and_nothing_is_imported(workspace, tmp_path):
    rows = choice_rows(workspace, "sde-2022", {"101": 2}, 3)
    rows[1]["q01_koen"] = "hankøn"
    rows.append({"kommunekode": "999", "q01_koen": "Mand"})
    out = CliRunner().invoke(main, ["-w", str(workspace.root), "import", "sde-2022", str(write_csv(tmp_path / "d.csv", rows))])
    assert out.exit_code == 1
    assert "line 3, column q01_koen: 'hankøn' is not a valid answer" in out.output
    assert "line 4: '999' is not a kommunekode" in out.output
    assert "Nothing was imported" in out.output
    assert load_all_snapshots(workspace) == {}


def test_importing_again_replaces_the_earlier_import(imported, tmp_path):
    ws, *_ = imported
    fewer = choice_rows(ws, "sde-2022", {"101": 1}, 9)
    out = CliRunner().invoke(main, ["-w", str(ws.root), "import", "sde-2022", str(write_csv(tmp_path / "n.csv", fewer))])
    assert out.exit_code == 0, out.output
    assert "Replaced the earlier import (6 municipalities)" in out.output
    snap = load_all_snapshots(ws)["sde-2022"]
    assert snap.participants == ["101"] and len(snap.records) == 1


def test_a_harvested_survey_is_not_overwritten(workspace, tmp_path):
    from sdexl import ledger

    conn = ledger.connect(workspace.ledger_path)
    with conn:
        conn.execute(
            "INSERT INTO submissions (sha256, file, received_at, size, archive, survey_id, kommunekode, verdict, "
            "ident_source, harvested_at) VALUES ('x', 'f.xlsx', '2022-11-01', 1, 'a', 'sde-2022', '101', 'accepted', "
            "'metadata', '2022-11-01')"
        )
    conn.close()
    rows = choice_rows(workspace, "sde-2022", {"147": 1}, 4)
    out = CliRunner().invoke(main, ["-w", str(workspace.root), "import", "sde-2022", str(write_csv(tmp_path / "d.csv", rows))])
    assert out.exit_code == 1 and "already has 1 harvested files" in out.output


def test_a_harvested_data_csv_round_trips_with_the_municipalities_without_cases(workspace, tmp_path):
    rows = choice_rows(workspace, "sde-2022", {"101": 2, "147": 1}, 5)
    source = write_csv(tmp_path / "data.csv", rows)
    out = CliRunner().invoke(main, ["-w", str(workspace.root), "import", "sde-2022", str(source),
                                    "--no-cases", "151", "--no-cases", "0825"])
    assert out.exit_code == 0, out.output
    snap = load_all_snapshots(workspace)["sde-2022"]
    assert sorted(snap.participants, key=int) == ["101", "147", "151", "825"]
    assert sorted(snap.zero_cases, key=int) == ["151", "825"]
    clash = CliRunner().invoke(main, ["-w", str(workspace.root), "import", "sde-2022", str(source), "--no-cases", "101"])
    assert clash.exit_code == 1 and "has rows for: 101" in clash.output
