"""The status table: all 98 municipalities, who to call, and how the round is going."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from sdexl import ledger, messages
from sdexl.cli import main
from sdexl.harvest.run import harvest
from sdexl.harvest.status import round_status, summary, survey_status
from sdexl.harvest.store import load_snapshot
from tests import harvest_helpers as h

T0 = 1_700_000_000


@pytest.fixture
def harvested(workspace, tmp_path):
    """101 clean, 147 with an error, 151 sent an encrypted file, 153 issued but silent."""
    for code in ("101", "147", "151", "153"):
        h.generated(workspace, "sde-2024", code)
    inc = workspace.incoming
    h.set_received(h.filled_form(workspace, "101", inc / "101_København.xlsx"), T0)
    h.set_received(h.filled_form(workspace, "147", inc / "147_Frederiksberg.xlsx", a01_botilbud_i_alt=2), T0 + 1)
    ballerup = h.filled_form(workspace, "151", tmp_path / "151.xlsx")
    h.set_received(h.encrypted(ballerup, inc / "151_Ballerup.xlsx"), T0 + 2)
    harvest(workspace)
    return workspace


def rows_of(ws, survey="sde-2024"):
    return {r.kommunekode: r for r in survey_status(ws, survey)}


def test_every_municipality_has_a_row_in_code_order(harvested):
    rows = survey_status(harvested, "sde-2024")
    assert len(rows) == 98 and rows[0].kommunekode == "101"
    assert [int(r.kommunekode) for r in rows] == sorted(int(r.kommunekode) for r in rows)


def test_status_is_the_verdict_of_the_current_file(harvested):
    rows = rows_of(harvested)
    assert (rows["101"].status, rows["101"].cases, rows["101"].errors, rows["101"].issued) == ("accepted", 6, 0, True)
    assert rows["101"].file == "incoming/101_København.xlsx"
    assert rows["147"].status == "needs_correction" and rows["147"].errors >= 1
    assert (rows["151"].status, rows["151"].errors, rows["151"].returned) == ("rejected", 1, True)
    assert (rows["153"].status, rows["153"].issued, rows["153"].returned) == ("missing", True, False)
    # never sent a workbook: not "missing"
    assert (rows["860"].status, rows["860"].issued, rows["860"].file) == ("not_issued", False, None)
    assert summary(list(rows.values())) == {"accepted": 1, "needs_correction": 1, "rejected": 1, "missing": 1,
                                            "not_issued": 94}


def test_a_rejected_file_says_it_came_and_why(harvested):
    row = rows_of(harvested)["151"]
    assert row.returned and row.received_at and row.file == "incoming/151_Ballerup.xlsx"
    assert row.reason == messages.title("encrypted")  # "Filen er beskyttet med adgangskode"
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024"])
    assert f'why: "{messages.title("encrypted")}" (incoming/151_Ballerup.xlsx)' in done.stdout


def test_a_rejected_file_of_unknown_survey_still_shows_on_its_municipality(workspace, tmp_path):
    """Issued both surveys and sent an encrypted file to incoming/ itself: whose survey is unknown."""
    h.generated(workspace, "sde-2024", "151")
    h.generated(workspace, "sde-2022", "151")
    good = h.filled_form(workspace, "151", tmp_path / "151.xlsx")
    h.set_received(h.encrypted(good, workspace.incoming / "151_Ballerup.xlsx"), T0)
    harvest(workspace)
    for survey in ("sde-2022", "sde-2024"):
        row = rows_of(workspace, survey)["151"]
        assert (row.status, row.reason) == ("rejected", messages.title("encrypted"))
        assert "did not say which survey" in row.note


def test_a_file_nobody_can_be_tied_to_is_listed_apart(workspace, tmp_path):
    h.generated(workspace, "sde-2024", "101")
    good = h.filled_form(workspace, "101", tmp_path / "101.xlsx")
    h.set_received(h.encrypted(good, workspace.incoming / "svar.xlsx"), T0)
    harvest(workspace)
    status = round_status(workspace, "sde-2024")
    assert [(u["file"], u["reason"]) for u in status.unattributed] == [("incoming/svar.xlsx", messages.title("encrypted"))]
    done = CliRunner().invoke(main, ["-w", str(workspace.root), "status", "sde-2024"])
    assert "Not tied to any municipality: incoming/svar.xlsx" in done.stdout


def test_a_blank_template_after_a_filled_file_changes_neither_status_nor_data(harvested):
    before = load_snapshot(harvested, "sde-2024").records.to_dict("records")
    blank = shutil.copyfile(h.generated(harvested, "sde-2024", "101"), harvested.incoming / "101 igen.xlsx")
    h.set_received(blank, T0 + 3600)
    result = harvest(harvested)
    entry = next(f for f in result.files if f.file.endswith("101 igen.xlsx"))
    assert entry.verdict == "needs_correction" and entry.feedback is None  # no "correct and resend"
    assert any("unfilled workbook" in n and "stays current" in n for n in result.notes)
    row = rows_of(harvested)["101"]
    assert (row.status, row.file, row.cases) == ("accepted", "incoming/101_København.xlsx", 6)
    assert "101 igen.xlsx" in row.note
    assert load_snapshot(harvested, "sde-2024").records.to_dict("records") == before


def test_a_corrected_return_moves_the_municipality_on(harvested):
    fixed = h.filled_form(harvested, "147", harvested.incoming / "147_Frederiksberg_rettet.xlsx")
    h.set_received(fixed, T0 + 3600)
    harvest(harvested)
    row = rows_of(harvested)["147"]
    assert (row.status, row.errors, row.file) == ("accepted", 0, "incoming/147_Frederiksberg_rettet.xlsx")


def test_status_json(harvested):
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024", "--json"])
    assert done.exit_code == 0
    data = json.loads(done.stdout)
    assert data["survey"] == "sde-2024" and data["generated"] is True
    assert data["response"]["participants"] == 98 and data["response"]["answered"] == 2
    rows = data["municipalities"]
    assert len(rows) == 98
    first = rows[0]
    assert {k: first[k] for k in ("kommunekode", "kommune", "kkr", "status", "cases", "errors", "warnings", "file",
                                  "issued", "returned", "participant", "answered")} == {
        "kommunekode": "101", "kommune": "København", "kkr": "KKR Hovedstaden", "status": "accepted", "cases": 6,
        "errors": 0, "warnings": 0, "file": "incoming/101_København.xlsx", "issued": True, "returned": True,
        "participant": True, "answered": True,
    }
    assert {"invited_at", "reminded_at", "feedback_sent_at", "receipt_sent_at", "received_at"} <= set(first)


def test_status_text_ends_with_a_summary_and_the_response_rate(harvested):
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024"])
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert sum(line[:4].strip().isdigit() for line in lines) == 98
    assert "1 accepted, 1 missing, 1 needs_correction, 94 not_issued, 1 rejected" in lines
    assert lines[-1].startswith("Response: 2 of 98 participants answered (2.0 %), 2 of them by the deadline 2024-12-09")


def test_response_rate_counts_by_the_deadline(harvested):
    status = round_status(harvested, "sde-2024")
    status.deadline = dt.datetime.fromtimestamp(T0, dt.UTC).date() - dt.timedelta(days=1)  # before every return
    response = status.response(today=status.deadline)
    assert (response["answered"], response["by_deadline"], response["accepted"]) == (2, 0, 1)
    assert response["answered_share"] == round(2 / 98, 4) and response["days_to_deadline"] == 0


def test_an_unknown_survey_is_one_clear_sentence(workspace):
    done = CliRunner().invoke(main, ["-w", str(workspace.root), "status", "sde-1999"])
    assert done.exit_code == 1 and "Unknown survey 'sde-1999'" in done.output


def test_a_survey_never_generated_says_so(workspace):
    rows = survey_status(workspace, "sde-2022")
    assert {r.status for r in rows} == {"not_issued"}
    done = CliRunner().invoke(main, ["-w", str(workspace.root), "status", "sde-2022"])
    assert done.exit_code == 0
    assert "No workbook of sde-2022 has been generated" in done.stdout and "missing" not in done.stdout
    assert len(done.stdout.splitlines()) == 2


def test_participants_are_shown_and_the_rest_not_listed(harvested):
    conn = ledger.connect(harvested.ledger_path)
    try:
        from sdexl.participants import add

        add(conn, "sde-2024", ["101", "147", "151", "153", "155"])
    finally:
        conn.close()
    rows = rows_of(harvested)
    assert rows["155"].status == "not_issued" and rows["157"].status == "not_participating"
    assert round_status(harvested, "sde-2024").response()["participants"] == 5
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024"])
    assert sum(line[:4].strip().isdigit() for line in done.stdout.splitlines()) == 5
    assert "93 municipalities that do not take part are not listed" in done.stdout
    assert "Response: 2 of 5 participants answered (40.0 %)" in done.stdout


def test_status_xlsx_is_a_danish_overview_without_case_counts_or_file_names(harvested, tmp_path):
    out = tmp_path / "status.xlsx"
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024", "--xlsx", str(out)])
    assert done.exit_code == 0 and out.exists()
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Status", "Opsummering"]
    sheet = wb["Status"]
    grid = [[c.value for c in row] for row in sheet.iter_rows()]
    header_at = next(i for i, row in enumerate(grid) if row[0] == "Kommunekode")
    header = grid[header_at]
    body = [dict(zip(header, row)) for row in grid[header_at + 1:]]
    assert len(body) == 98
    by_code = {r["Kommunekode"]: r for r in body}
    assert by_code["101"]["Status"] == "Godkendt" and by_code["151"]["Status"] == "Afvist"
    assert by_code["151"]["Hvorfor"] == messages.title("encrypted")
    assert by_code["153"]["Status"] == "Ikke modtaget" and by_code["860"]["Status"] == "Ikke udsendt"
    texts = {str(v) for row in grid for v in row if v is not None}
    assert not any(".xlsx" in t for t in texts) and "Sager" not in header and "Antal sager" not in header
    summary_grid = [[c.value for c in row] for row in wb["Opsummering"].iter_rows()]
    answered = next(row for row in summary_grid if row[0] == "Har svaret")
    assert answered[1:3] == [2, pytest.approx(2 / 98)]
    assert any(str(row[0]).startswith("Grundlag: de 98 deltagende") for row in summary_grid if row[0])


@pytest.mark.libreoffice
def test_status_xlsx_prints_cleanly(harvested, tmp_path, soffice):
    from tests.render import render

    out = tmp_path / "status.xlsx"
    CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024", "--xlsx", str(out)])
    rendered = render(soffice, out, tmp_path / "pdf")
    assert rendered.hashes() == [] and rendered.raw_floats() == []
    assert 1 <= len(rendered.pages_of("Status")) <= 4 and len(rendered.pages_of("Opsummering")) == 1
