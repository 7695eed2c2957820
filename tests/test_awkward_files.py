"""Awkward returns (issue 9): each is a real file in incoming/, harvested end to end.

- a file name that is not valid UTF-8, as unzipping a Windows archive leaves it;
- a copied entry sheet ("Sager (2)") holding the same cases as Sager;
- a return whose personal columns (Navn, Fødselsdato) were deleted;
- a text longer than an Excel cell can hold.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3

from click.testing import CliRunner

from sdexl import layout, messages
from sdexl.cli import main
from sdexl.harvest.run import harvest
from tests import harvest_helpers as h
from tests.fill_helpers import cell_values, columns, fill_cases, put
from tests.harvest_helpers import valid_case

T0 = 1_700_000_000


def _cli(ws, *args):
    return CliRunner().invoke(main, ["-w", str(ws.root), *args], catch_exceptions=False)


def _ledger_files(ws) -> list[str]:
    conn = sqlite3.connect(ws.ledger_path)
    try:
        return [r[0] for r in conn.execute("SELECT file FROM submissions ORDER BY file")]
    finally:
        conn.close()


# --- 1. a file name that is not UTF-8 ----------------------------------------------------------

WINDOWS_NAME = b"101_K\xf8benhavn.xlsx"  # "København" in cp1252, as an unzipped Windows archive leaves it
SHOWN = "101_K\\xf8benhavn.xlsx"


def _bytes_named(ws, src, name: bytes = WINDOWS_NAME):
    target = os.fsencode(str(ws.incoming)) + b"/" + name
    shutil.copyfile(src, target)
    os.utime(target, (T0, T0))
    return target


def test_a_name_that_is_not_utf8_is_harvested_and_shown_escaped(workspace, tmp_path):
    ws = workspace
    _bytes_named(ws, h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx"))
    result = harvest(ws)
    [entry] = result.files
    assert entry.verdict == "accepted", [i.message for i in entry.issues]
    assert entry.file == f"incoming/{SHOWN}"
    assert entry.kommunekode == "101"
    assert _ledger_files(ws) == [f"incoming/{SHOWN}"]
    # The original bytes are archived under their hash, the name's bytes are not part of the archive path.
    archived = list(ws.archive.rglob("*.xlsx"))
    assert len(archived) == 1 and archived[0].read_bytes() == (tmp_path / "src" / "101.xlsx").read_bytes()


def test_json_and_text_output_stay_valid_utf8_for_such_a_name(workspace, tmp_path):
    ws = workspace
    _bytes_named(ws, h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx"))
    done = _cli(ws, "harvest", "--json")
    assert done.exit_code == 0, done.output
    text = done.stdout_bytes.decode("utf-8")  # strict: raises on invalid UTF-8
    [entry] = json.loads(text[text.index("["):])
    assert entry["file"] == f"incoming/{SHOWN}" and entry["verdict"] == "accepted"
    again = _cli(ws, "harvest")  # seen before: reported from the ledger
    assert again.exit_code == 0
    again.stdout_bytes.decode("utf-8")
    shown = _cli(ws, "status", "sde-2024", "--json")
    assert shown.exit_code == 0
    shown.stdout_bytes.decode("utf-8")


def test_feedback_for_such_a_name_names_the_file_escaped(workspace, tmp_path):
    ws = workspace
    src = h.filled_form(ws, "101", tmp_path / "src" / "101.xlsx", a02_over_2mio="mange")
    _bytes_named(ws, src)
    [entry] = harvest(ws).files
    assert entry.verdict == "needs_correction", [i.message for i in entry.issues]
    assert entry.feedback is not None and entry.feedback.exists()
    import openpyxl

    texts = [
        str(c.value) for sheet in openpyxl.load_workbook(entry.feedback).worksheets for row in sheet.iter_rows()
        for c in row if c.value is not None
    ]
    assert all("\udcf8" not in t for t in texts)


# --- 2. a copied entry sheet with the same cases ------------------------------------------------


def _cases_with_copy(ws, dst, change=None, extra_case=True):
    """Sager with S1-S3, and "Sager (2)" copied from it (as Excel's "Flyt eller kopiér" does); on the copy
    one more case S4, and ``change`` (column key -> value) applied to S2's row."""
    survey = ws.survey("sde-2022")
    rows = [cell_values(valid_case(survey, f"S{n}"), survey) for n in (1, 2, 3)]
    rows[0] |= {"navn": "Hans Hansen", "foedselsdato": dt.date(1980, 1, 2)}
    cols = columns(survey)

    def edit(sheet):
        copy = sheet.parent.copy_worksheet(sheet)
        copy.title = "Sager (2)"
        if extra_case:
            for key, value in cell_values(valid_case(survey, "S4"), survey).items():
                put(copy, layout.FIRST_DATA_ROW + 3, cols[key], value)
        for key, value in (change or {}).items():
            put(copy, layout.FIRST_DATA_ROW + 1, cols[key], value)

    dst.parent.mkdir(parents=True, exist_ok=True)
    return fill_cases(h.generated(ws, "sde-2022", "101"), dst, survey, rows, edit=edit)


def _answers_in_ledger(ws, sha) -> dict[int, dict[str, str]]:
    conn = sqlite3.connect(ws.ledger_path)
    try:
        found: dict[int, dict[str, str]] = {}
        for case, qid, value in conn.execute("SELECT record, question_id, value FROM answers WHERE submission = ?",
                                             (sha,)):
            found.setdefault(case, {})[qid] = json.loads(value)
        return found
    finally:
        conn.close()


def test_cases_copied_along_with_the_sheet_are_counted_once_with_a_note(workspace):
    ws = workspace
    _cases_with_copy(ws, ws.incoming / "101_København.xlsx")
    [entry] = harvest(ws).files
    assert entry.verdict == "accepted_with_warnings", [i.message for i in entry.issues]
    assert entry.cases == 4  # S1, S2, S3 once, and S4 from the copy
    refs = sorted(a["sagsnr"] for a in _answers_in_ledger(ws, entry.sha256).values())
    assert refs == ["S1", "S2", "S3", "S4"]
    [note] = [i for i in entry.issues if i.code == "copied-sheet-same-cases"]
    first = layout.FIRST_DATA_ROW + 1
    assert note.message == messages.render(
        "copied-sheet-same-cases", sheet="Sager (2)", count=3, other="Sager",
        rows_list=f"{first}, {first + 1} og {first + 2}",
    )
    assert not entry_errors(entry)


def test_the_same_case_number_with_other_answers_on_the_copy_is_an_error_naming_both_cells(workspace):
    ws = workspace
    survey = ws.survey("sde-2022")
    _cases_with_copy(ws, ws.incoming / "101_København.xlsx", change={"q01_koen": "Kvinde"})
    [entry] = harvest(ws).files
    assert entry.verdict == "needs_correction"
    conflicts = [i for i in entry.issues if i.code == "copied-sheet-conflict"]
    ref_cell = layout.cell_ref(layout.FIRST_DATA_ROW + 1, columns(survey)["sagsnr"])
    assert {(i.sheet, i.cell) for i in conflicts} == {("Sager", ref_cell), ("Sager (2)", ref_cell)}
    on_copy = next(i for i in conflicts if i.sheet == "Sager (2)")
    assert "fanen Sager, celle " + ref_cell in on_copy.message and "andre svar i spørgsmål 1." in on_copy.message
    assert "rigtige" in on_copy.message
    assert entry.cases == 5  # S1, S3 and S4 once; both S2 rows, until the municipality says which is right
    assert entry.feedback is not None and entry.feedback.exists()


def test_feedback_writes_a_case_copied_along_once_so_the_corrected_return_has_no_double_rows(workspace):
    ws = workspace
    survey = ws.survey("sde-2022")
    _cases_with_copy(ws, ws.incoming / "101_København.xlsx", change={"q01_koen": "Ukendt"}, extra_case=True)
    [entry] = harvest(ws).files
    assert entry.verdict == "needs_correction" and entry.feedback is not None
    from sdexl.harvest.read import read_file
    from sdexl.harvest.report import Identification

    again = read_file(entry.feedback, survey, Identification())
    # S1 and S3 were copied along unchanged: once each. S2 differs on the copy: both rows stay, side by side
    # on one sheet, for the municipality to choose (so only S2 is a repeated case number there).
    assert len(again.records) == 5
    refs = sorted(r.answers["sagsnr"] for r in again.records if r.answers["sagsnr"] is not None)
    assert refs == ["S1", "S3", "S4"]
    assert {i.value for i in again.issues if i.code == "duplicate-case-ref"} == {"S2"}


def entry_errors(entry):
    return [i for i in entry.issues if i.severity == "error"]


# --- 3. personal columns deleted ----------------------------------------------------------------


def _without_personal_columns(ws, dst, rows):
    """A return whose Navn and Fødselsdato columns were deleted (right-click > Slet on the two columns)."""
    survey = ws.survey("sde-2022")
    cols = columns(survey)
    personal = sorted(cols[q.id] for q in survey.questions if q.personal)
    assert personal == list(range(personal[0], personal[0] + len(personal)))  # side by side in the template

    def edit(sheet):
        sheet.delete_cols(personal[0] + 1, len(personal))

    dst.parent.mkdir(parents=True, exist_ok=True)
    return fill_cases(h.generated(ws, "sde-2022", "101"), dst, survey, rows, edit=edit)


def test_a_return_without_its_personal_columns_is_accepted(workspace):
    ws = workspace
    survey = ws.survey("sde-2022")
    rows = [cell_values(valid_case(survey, f"S{n}"), survey) for n in (1, 2)]
    _without_personal_columns(ws, ws.incoming / "101_København.xlsx", rows)
    [entry] = harvest(ws).files
    assert entry.verdict == "accepted", [i.message for i in entry.issues]
    assert entry.cases == 2
    assert sorted(a["sagsnr"] for a in _answers_in_ledger(ws, entry.sha256).values()) == ["S1", "S2"]


def test_feedback_for_such_a_return_never_asks_for_personal_data_back(workspace):
    ws = workspace
    survey = ws.survey("sde-2022")
    rows = [cell_values(valid_case(survey, "S1"), survey) | {"q01_koen": "Ukendt"}]
    _without_personal_columns(ws, ws.incoming / "101_København.xlsx", rows)
    [entry] = harvest(ws).files
    assert entry.verdict == "needs_correction"
    assert [i.code for i in entry_errors(entry)] == ["not-a-category"]
    import openpyxl

    texts = " ".join(
        str(c.value) for sheet in openpyxl.load_workbook(entry.feedback).worksheets for row in sheet.iter_rows()
        for c in row if isinstance(c.value, str)
    )
    for q in (q for q in survey.questions if q.personal):
        asked = messages.render("missing-question-column", sheet="Sager", question=messages.question_ref(None, q.header))
        assert asked not in texts
        assert f"kolonnen til feltet {q.header}" not in texts
    assert "'Ukendt' er ikke en af svarmulighederne til spørgsmål 1 (Køn)" in texts  # the one thing to correct


# --- 4. a text longer than a cell can hold ------------------------------------------------------


LONG_MARK = "TEKST-DER-ERSTATTES"


def _replace_in_zip(path, old: bytes, new: bytes) -> None:
    """Put a text into the file's XML as another program than Excel would: openpyxl itself cuts at 32,767."""
    import zipfile

    members = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            members.append((info, zf.read(info).replace(old, new)))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, data)
    assert any(new in data for _, data in members)


def test_a_text_longer_than_an_excel_cell_is_cut_with_a_warning_naming_the_cell(workspace):
    ws = workspace
    survey = ws.survey("sde-2022")
    long_text = ("Borgeren har brug for støtte døgnet rundt. " * 2500)[:100_000]  # written by a script, not Excel
    rows = [cell_values(valid_case(survey, "S1"), survey) | {"bemaerkninger": LONG_MARK}]
    path = fill_cases(h.generated(ws, "sde-2022", "101"), ws.incoming / "101_København.xlsx", survey, rows)
    _replace_in_zip(path, LONG_MARK.encode(), long_text.encode("utf-8"))
    [entry] = harvest(ws).files
    assert entry.verdict == "accepted_with_warnings", [i.message for i in entry.issues]
    [warning] = [i for i in entry.issues if i.code == "text-too-long"]
    cell = layout.cell_ref(layout.FIRST_DATA_ROW, columns(survey)["bemaerkninger"])
    assert warning.cell == cell and warning.severity == "warning"
    q = survey.question("bemaerkninger")
    assert warning.message == messages.render(
        "text-too-long", sheet="Sager", cell=cell, case="S1", question=messages.question_ref(q.number, q.header),
        length="100.000", limit="32.767",
    )
    [answers] = _answers_in_ledger(ws, entry.sha256).values()
    assert answers["bemaerkninger"] == long_text[:32767]
    assert all(len(i.message) < 1000 for i in entry.issues)  # a message quotes the value's beginning at most


def test_the_cut_counts_as_excel_does_and_never_splits_an_emoji():
    from sdexl.harvest import values

    text = "😀" * 20_000  # 40,000 UTF-16 units: Excel counts each emoji as two characters
    cut = values.cut_to_cell(text)
    assert cut == "😀" * 16_383 and values.excel_length(cut) == 32_766
    assert values.cut_to_cell("kort") == "kort"
    parsed = values.parse_text("a" * 32_767)
    assert parsed.notes == [] and len(parsed.value) == 32_767
