"""Generated workbooks, checked on the files themselves: validations, protection, metadata, ledger."""

from __future__ import annotations

import hashlib
import sqlite3
import zipfile

import openpyxl
import pytest

from sdexl import layout, ledger
from sdexl.generate.run import generate_all
from sdexl.reference import municipalities
from sdexl.survey.load import version_hash
from tests.workbooks import overview_figures

SURVEYS = ["sde-2022", "sde-2023", "sde-2024"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """All 98 workbooks for each survey, generated once for this module."""
    from sdexl.workspace import init_workspace

    ws = init_workspace(tmp_path_factory.mktemp("gen") / "ws")
    results = {survey_id: generate_all(ws, survey_id).files for survey_id in SURVEYS}
    return ws, results


def _defined_names(wb: openpyxl.Workbook) -> dict[str, str]:
    return {name: dn.attr_text for name, dn in wb.defined_names.items()}


def _column_protection(wb, sheet, index: int):
    """The protection of a column's default format (openpyxl groups equal columns)."""
    dim = next(d for d in sheet.column_dimensions.values() if d.min <= index <= d.max)
    return wb._protections[dim._style.protectionId]


def _list_values(wb: openpyxl.Workbook, name: str) -> list:
    sheet, ref = _defined_names(wb)[name].split("!")
    cells = wb[sheet.strip("'")][ref.replace("$", "")]
    return [row[0].value for row in cells]


def test_every_municipality_gets_a_workbook_named_by_code_and_name(generated):
    ws, results = generated
    for survey_id, files in results.items():
        assert sorted(p.name for p in files) == sorted(f"{m.code}_{m.name}.xlsx" for m in municipalities())
        assert all(p.parent == ws.outgoing / survey_id for p in files)


def test_ledger_records_each_issued_workbook_with_its_hash(generated):
    ws, results = generated
    conn = ledger.connect(ws.ledger_path)
    for survey_id, files in results.items():
        issued = ledger.issued_for(conn, survey_id)
        assert len(issued) == 98 and len({i.token for i in issued}) == 98
        by_file = {i.file: i for i in issued}
        for path in files[:5]:
            entry = by_file[str(path.relative_to(ws.root))]
            assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
            assert entry.survey_version == version_hash(ws.survey(survey_id))


@pytest.mark.parametrize("survey_id", ["sde-2022", "sde-2023"])
def test_every_choice_column_is_validated_over_all_rows_from_the_right_list(generated, survey_id):
    ws, results = generated
    survey = ws.survey(survey_id)
    wb = openpyxl.load_workbook(results[survey_id][0])
    sheet = wb[survey.entry_sheet]
    first, last = layout.FIRST_DATA_ROW + 1, layout.FIRST_DATA_ROW + survey.max_rows
    by_range = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    for col in layout.entry_columns(survey):
        q = col.question
        letter = layout.col_letter(col.index)
        dv = by_range[f"{letter}{first}:{letter}{last}"]
        assert dv.showErrorMessage and dv.errorStyle in (None, "stop") and dv.promptTitle
        if q.type == "single":
            assert dv.type == "list" and dv.formula1 == layout.list_name(q.id)
            assert _list_values(wb, dv.formula1) == q.labels
        elif q.type == "multi":
            assert dv.type == "list" and _list_values(wb, dv.formula1) == ["X"]
        elif q.is_number:
            assert dv.type in ("whole", "decimal")
        elif q.type == "date":
            assert dv.type == "date"
        assert sheet.cell(layout.ID_ROW + 1, col.index + 1).value == col.key


def test_input_cells_unlocked_everything_else_locked_and_sheets_protected(generated):
    ws, results = generated
    survey = ws.survey("sde-2022")
    wb = openpyxl.load_workbook(results["sde-2022"][0])
    sheet = wb[survey.entry_sheet]
    assert sheet.protection.sheet
    # Allowed on the protected sheet: sorting, filtering, resizing columns.
    assert sheet.protection.sort is False and sheet.protection.autoFilter is False and sheet.protection.formatColumns is False
    for col in layout.entry_columns(survey):
        # The column's default format is unlocked: every input row, also rows typed below the template area.
        assert _column_protection(wb, sheet, col.index + 1).locked is False, col.key
        assert sheet.cell(layout.LABEL_ROW + 1, col.index + 1).protection.locked
        assert sheet.cell(layout.ID_ROW + 1, col.index + 1).protection.locked
    kontrol = layout.check_column(survey) + 1
    assert sheet.cell(layout.FIRST_DATA_ROW + 1, kontrol).protection.locked
    assert sheet.cell(layout.FIRST_DATA_ROW + 1, 1).protection.locked  # the row number
    zero = sheet.cell(layout.ZERO_CASES_ROW + 1, layout.ZERO_CASES_INPUT_COL + 1)
    assert zero.protection.locked is False
    assert _defined_names(wb)[layout.ZERO_CASES_NAME] == f"'{survey.entry_sheet}'!${layout.col_letter(layout.ZERO_CASES_INPUT_COL)}${layout.ZERO_CASES_ROW + 1}"
    for name in (layout.GUIDE_SHEET, layout.OVERVIEW_SHEET, layout.LISTS_SHEET, layout.META_SHEET):
        assert wb[name].protection.sheet, name
    assert wb.security.lockStructure


def test_metadata_in_very_hidden_sheet_and_document_properties(generated):
    ws, results = generated
    conn = ledger.connect(ws.ledger_path)
    for survey_id in SURVEYS:
        path = results[survey_id][0]
        wb = openpyxl.load_workbook(path)
        assert wb[layout.META_SHEET].sheet_state == "veryHidden"
        assert wb[layout.LISTS_SHEET].sheet_state == "hidden"
        sheet_meta = {r[0].value: r[1].value for r in wb[layout.META_SHEET].iter_rows()}
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        assert set(sheet_meta) == set(layout.META_KEYS)
        for key, value in sheet_meta.items():
            assert props[layout.PROPERTY_PREFIX + key] == value
        code = path.name.split("_")[0]
        assert sheet_meta["survey_id"] == survey_id and sheet_meta["kommunekode"] == code
        issued = ledger.find_token(conn, sheet_meta["token"])
        assert issued and issued.kommunekode == code and issued.survey_id == survey_id
        guide = wb[layout.GUIDE_SHEET][layout.GUIDE_KOMMUNE_CELL].value
        assert guide == layout.kommune_caption(sheet_meta["kommune"], code)


def test_aggregate_form_carries_question_ids_beside_answer_cells(generated):
    ws, results = generated
    survey = ws.survey("sde-2024")
    wb = openpyxl.load_workbook(results["sde-2024"][0])
    sheet = wb[survey.entry_sheet]
    ids = {sheet.cell(r, layout.FORM_ID_COL + 1).value: r for r in range(1, sheet.max_row + 1)}
    names = _defined_names(wb)
    for q in survey.questions:
        row = ids[q.id]
        answer = sheet.cell(row, layout.FORM_ANSWER_COL + 1)
        assert answer.protection.locked is False
        assert names[f"q_{q.id}"] == f"'{survey.entry_sheet}'!${layout.col_letter(layout.FORM_ANSWER_COL)}${row}"
    assert sheet.cell(layout.FORM_HEADER_ROW + 1, layout.FORM_ANSWER_COL + 1).value == layout.FORM_ANSWER_HEADER


def test_workbook_text_is_danish_and_limits_hold(generated):
    ws, results = generated
    wb = openpyxl.load_workbook(results["sde-2022"][0])
    assert wb.sheetnames == ["Vejledning", "Sager", "Overblik", "Lister", "_sdexl"]
    guide = "\n".join(str(c.value) for row in wb["Vejledning"].iter_rows() for c in row if c.value)
    for phrase in ("2 mio. kr.", "statsrefusion", "Svarfrist", "ingen sager", "CPR", "Kontakt", "1. oktober 2022"):
        assert phrase in guide, phrase
    for dv in wb["Sager"].data_validations.dataValidation:
        assert len(dv.promptTitle or "") <= 32 and len(dv.prompt or "") <= 255 and len(dv.error or "") <= 255


def test_overview_has_a_native_chart_per_choice_question(generated):
    ws, results = generated
    survey = ws.survey("sde-2022")
    with zipfile.ZipFile(results["sde-2022"][0]) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == sum(q.is_choice for q in survey.questions)


def test_generate_selected_municipalities_only(workspace):
    files = generate_all(workspace, "sde-2024", ["101", "0147"]).files
    assert [p.name for p in files] == ["101_København.xlsx", "147_Frederiksberg.xlsx"]
    with pytest.raises(ValueError, match="999"):
        generate_all(workspace, "sde-2024", ["999"])


@pytest.mark.libreoffice
def test_all_generated_workbooks_open_in_libreoffice(generated, soffice, tmp_path):
    """Every workbook of every survey opens, recalculates and saves in LibreOffice headless."""
    import subprocess

    ws, results = generated
    for survey_id, files in results.items():
        out = tmp_path / survey_id
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--norestore",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *map(str, files)],
            capture_output=True, text=True, timeout=1200,
        )
        assert done.returncode == 0, done.stderr
        converted = sorted(out.glob("*.xlsx"))
        assert len(converted) == 98, f"{survey_id}: {len(converted)} of 98 converted"
        empty_status = "Skemaet er ikke udfyldt endnu."
        for path in converted[::10]:
            # The status formula had no cached value: a computed text proves LibreOffice evaluated the sheet.
            assert overview_figures(path)["check:status"] == empty_status, path.name


def test_ledger_schema_is_migrated_once(workspace):
    ledger.connect(workspace.ledger_path).close()
    ledger.connect(workspace.ledger_path).close()  # a second open runs nothing again
    conn = sqlite3.connect(workspace.ledger_path)
    names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [name for name, _ in ledger.MIGRATIONS]


def test_a_ledger_counted_by_user_version_is_upgraded_by_name(workspace):
    """Workspaces made before named migrations recorded only how many had run."""
    workspace.ledger_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(workspace.ledger_path)
    for _, script in ledger.MIGRATIONS[:2]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    ledger.connect(workspace.ledger_path).close()  # must not re-create the tables of the first two
    conn = sqlite3.connect(workspace.ledger_path)
    assert {r[0] for r in conn.execute("SELECT name FROM migrations")} == {n for n, _ in ledger.MIGRATIONS}