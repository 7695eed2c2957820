"""Issue 8 at harvest: receipts for accepted files, no "correct and resend" for notes, and feedback that
carries the token of the municipality it is for (a corrected feedback file no longer loops)."""

from __future__ import annotations

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from sdexl import layout, messages
from sdexl.harvest.feedback import feedback_path
from sdexl.harvest.receipt import SHEET, receipt_path
from sdexl.harvest.run import harvest
from sdexl.reference import by_code
from tests import harvest_helpers as h
from tests.fill_helpers import fill_form, valid_form

T0 = 1_700_000_000


def by_name(result):
    return {f.file.rsplit("/", 1)[-1]: f for f in result.files}


def receipt_facts(path) -> dict[str, str]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()
    return {str(row[0]): str(row[1]) for row in grid if len(row) > 1 and row[0]}


def test_a_returned_feedback_file_after_a_token_mismatch_is_accepted(workspace, tmp_path):
    """Reproduces the loop: 101's workbook claiming to be 147's is rejected; its feedback used to carry
    101's token with 147's code, so the corrected feedback file was rejected again, for ever."""
    h.generated(workspace, "sde-2024", "101")
    h.generated(workspace, "sde-2024", "147")
    filled = h.filled_form(workspace, "101", tmp_path / "101.xlsx")
    h.set_received(h.with_meta_value(filled, workspace.incoming / "svar.xlsx", "kommunekode", "147"), T0)
    first = by_name(harvest(workspace))["svar.xlsx"]
    assert first.verdict == "rejected" and any(i.code == "token-mismatch" for i in first.issues)
    assert first.feedback == feedback_path(workspace, workspace.survey("sde-2024"), by_code()["147"])

    meta = {row[0]: row[1] for row in
            CalamineWorkbook.from_path(str(first.feedback)).get_sheet_by_name(layout.META_SHEET).to_python()}
    issued_147 = next(t for t, i in _issued(workspace).items() if i.kommunekode == "147")
    assert (meta["kommunekode"], meta["token"]) == ("147", issued_147)

    survey = workspace.survey("sde-2024")
    corrected = fill_form(first.feedback, workspace.incoming / "svar rettet.xlsx", survey, valid_form(survey))
    h.set_received(corrected, T0 + 60)
    second = by_name(harvest(workspace))["svar rettet.xlsx"]
    assert (second.verdict, second.kommunekode) == ("accepted", "147")
    assert not any(i.code == "token-mismatch" for i in second.issues)


def _issued(ws):
    from sdexl import ledger

    conn = ledger.connect(ws.ledger_path)
    try:
        return {i.token: i for i in ledger.issued_for(conn, "sde-2024")}
    finally:
        conn.close()


def test_every_accepted_file_gets_a_receipt_in_danish(workspace):
    h.set_received(h.filled_form(workspace, "101", workspace.incoming / "101_København.xlsx"), T0)
    entry = by_name(harvest(workspace))["101_København.xlsx"]
    assert entry.verdict == "accepted"
    path = receipt_path(workspace, "sde-2024", by_code()["101"])
    facts = receipt_facts(path)
    text = messages.ROUND_TEXTS
    assert facts[text["receipt-kommune"]] == "København (kommunekode 101)"
    assert facts[text["receipt-file"]] == "101_København.xlsx"
    assert facts[text["receipt-status"]] == "Godkendt"
    assert facts[text["receipt-checksum"]].replace(" ", "") == entry.sha256[:16]
    count_label = next(k for k in facts if k.startswith("Spørgsmål 2"))
    assert facts[count_label] == "6"
    assert "kl." in facts[text["receipt-received"]] and "2023" in facts[text["receipt-received"]]
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python()
    assert any(text["receipt-no-notes"] in str(v) for row in grid for v in row)


def test_accepted_with_warnings_gets_its_notes_in_the_receipt_and_no_feedback(workspace):
    ws = workspace
    h.set_received(h.filled_form(ws, "101", ws.incoming / "101_København.xlsx", a01_botilbud_i_alt=" 20 "), T0)
    entry = by_name(harvest(ws))["101_København.xlsx"]
    assert entry.verdict == "accepted_with_warnings" and entry.feedback is None
    assert not feedback_path(ws, ws.survey("sde-2024"), by_code()["101"]).exists()
    grid = CalamineWorkbook.from_path(str(receipt_path(ws, "sde-2024", by_code()["101"]))).get_sheet_by_name(
        SHEET).to_python()
    texts = [str(v) for row in grid for v in row]
    warning = next(i for i in entry.issues if i.severity == "warning")
    assert warning.message in texts
    assert messages.ROUND_TEXTS["receipt-notes-heading"].format(n=1) in texts


def test_a_later_file_needing_correction_retires_the_receipt_and_a_clean_one_the_feedback(workspace):
    ws = workspace
    h.set_received(h.filled_form(ws, "101", ws.incoming / "a.xlsx"), T0)
    harvest(ws)
    receipt = receipt_path(ws, "sde-2024", by_code()["101"])
    assert receipt.exists()
    h.set_received(h.filled_form(ws, "101", ws.incoming / "b.xlsx", a01_botilbud_i_alt=2), T0 + 10)
    second = by_name(harvest(ws))["b.xlsx"]
    assert second.verdict == "needs_correction" and second.feedback.exists()
    assert not receipt.exists() and len(list((receipt.parent / "forældet").glob("*.xlsx"))) == 1
    h.set_received(h.filled_form(ws, "101", ws.incoming / "c.xlsx", a01_botilbud_i_alt=" 20 "), T0 + 20)
    third = by_name(harvest(ws))["c.xlsx"]
    assert third.verdict == "accepted_with_warnings"
    assert not second.feedback.exists() and receipt.exists()  # notes only: the old feedback no longer applies


@pytest.mark.libreoffice
def test_feedback_and_receipt_print_cleanly(workspace, tmp_path, soffice):
    """Look at them too: pdftoppm -png -r 60 the PDFs in tmp_path (the test keeps them)."""
    from tests.render import render

    ws = workspace
    survey = ws.survey("sde-2022")
    from tests.fill_helpers import cell_values, fill_cases, simple_valid_answers

    a = simple_valid_answers(survey, "S1")
    b = simple_valid_answers(survey, "S2")
    rows = [cell_values(a, survey) | {"q01_koen": "kvinde ", "q11_forhandling": "Måske"},
            cell_values(b, survey) | {"sagsnr": None}]
    (ws.incoming / "sde-2022").mkdir(parents=True, exist_ok=True)
    path = fill_cases(h.generated(ws, "sde-2022", "147"), ws.incoming / "sde-2022" / "147.xlsx", survey, rows)
    h.set_received(path, T0)
    h.set_received(h.filled_form(ws, "101", ws.incoming / "101.xlsx", a01_botilbud_i_alt=" 20 "), T0 + 1)
    files = by_name(harvest(ws))
    feedback = files["147.xlsx"].feedback
    fb = render(soffice, feedback, tmp_path / "feedback")
    pages = fb.pages_of("Fejl og rettelser")
    assert len(pages) == 1 and fb.hashes() == []
    text = "\n".join(fb.pages[p] for p in pages)
    assert "Skal rettes" in text and "Rettet af os" in text and "Side " in text
    receipt = render(soffice, receipt_path(ws, "sde-2024", by_code()["101"]), tmp_path / "receipt")
    assert len(receipt.pages) == 1 and receipt.pages_of(SHEET) == [0]
    assert "Kvittering for modtaget skema" in receipt.text() and receipt.hashes() == []
    wb = openpyxl.load_workbook(feedback)
    assert wb["Fejl og rettelser"].print_title_rows  # the header repeats on every printed page
