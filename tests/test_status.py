"""The status table: all 98 municipalities, and who to call."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sdexl.cli import main
from sdexl.harvest.run import harvest
from sdexl.harvest.status import summary, survey_status
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


def test_every_municipality_has_a_row_in_code_order(harvested):
    rows = survey_status(harvested, "sde-2024")
    assert len(rows) == 98 and rows[0].kommunekode == "101"
    assert [int(r.kommunekode) for r in rows] == sorted(int(r.kommunekode) for r in rows)


def test_status_is_the_verdict_of_the_current_file(harvested):
    rows = {r.kommunekode: r for r in survey_status(harvested, "sde-2024")}
    assert (rows["101"].status, rows["101"].cases, rows["101"].errors, rows["101"].issued) == ("accepted", 6, 0, True)
    assert rows["101"].file == "incoming/101_København.xlsx"
    assert rows["147"].status == "needs_correction" and rows["147"].errors >= 1
    assert (rows["151"].status, rows["151"].errors, rows["151"].returned) == ("rejected", 1, True)
    assert (rows["153"].status, rows["153"].issued, rows["153"].returned) == ("missing", True, False)
    assert (rows["860"].status, rows["860"].issued, rows["860"].file) == ("missing", False, None)
    assert summary(list(rows.values())) == {"accepted": 1, "needs_correction": 1, "rejected": 1, "missing": 95}


def test_a_corrected_return_moves_the_municipality_on(harvested):
    fixed = h.filled_form(harvested, "147", harvested.incoming / "147_Frederiksberg_rettet.xlsx")
    h.set_received(fixed, T0 + 3600)
    harvest(harvested)
    row = next(r for r in survey_status(harvested, "sde-2024") if r.kommunekode == "147")
    assert (row.status, row.errors, row.file) == ("accepted", 0, "incoming/147_Frederiksberg_rettet.xlsx")


def test_status_json(harvested):
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024", "--json"])
    assert done.exit_code == 0
    rows = json.loads(done.stdout)
    assert len(rows) == 98
    assert rows[0] == {
        "kommunekode": "101",
        "kommune": "København",
        "kkr": "KKR Hovedstaden",
        "status": "accepted",
        "cases": 6,
        "errors": 0,
        "warnings": 0,
        "file": "incoming/101_København.xlsx",
        "issued": True,
        "returned": True,
    }


def test_status_text_ends_with_a_summary(harvested):
    done = CliRunner().invoke(main, ["-w", str(harvested.root), "status", "sde-2024"])
    assert done.exit_code == 0
    lines = done.stdout.splitlines()
    assert len(lines) == 1 + 98 + 1
    assert lines[-1] == "1 accepted, 95 missing, 1 needs_correction, 1 rejected"


def test_an_unknown_survey_is_one_clear_sentence(workspace):
    done = CliRunner().invoke(main, ["-w", str(workspace.root), "status", "sde-1999"])
    assert done.exit_code == 1 and "Unknown survey 'sde-1999'" in done.output


def test_status_of_a_survey_nobody_answered(workspace):
    rows = survey_status(workspace, "sde-2022")
    assert {r.status for r in rows} == {"missing"}
