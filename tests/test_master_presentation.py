"""The master's presentation rules on a small workbook: formats, empty charts, count axes, page set-up."""

from __future__ import annotations

import zipfile

import openpyxl
import xlsxwriter

from sdexl.analysis.suppress import HIDDEN
from sdexl.publish.sheet import CHART_NOTE, Block, SheetWriter


def write(path, build) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    writer = SheetWriter(workbook, "Ark")
    build(writer)
    writer.finish()
    workbook.close()


def charts(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]


def test_a_chart_of_hidden_figures_is_a_note_and_a_float_is_never_raw(tmp_path):
    path = tmp_path / "a.xlsx"

    def build(writer):
        hidden = writer.block(Block("T", "e", "Grundlag: n = x.", ["Svar", "Antal"], [["Ja", HIDDEN], ["Nej", HIDDEN]], ["text", "int"]))
        writer.bar_chart(hidden, [1], ["Antal"], "Svar – antal sager", anchor_col=3, anchor_row=0, pct=False, counts=True)
        shown = writer.block(Block("U", "e", "Grundlag: n = 12.", ["Svar", "Antal", "Andel"], [["Ja", 5, 5 / 12], ["Nej", 7, 7 / 12]], ["text", "int", "General"]))
        writer.bar_chart(shown, [1], ["Antal"], "Svar – antal sager", anchor_col=4, anchor_row=10, pct=False, counts=True)

    write(path, build)
    xml = charts(path)
    assert len(xml) == 1  # the hidden table has a note instead
    assert 'formatCode="0"' in xml[0] and "<c:majorUnit val=\"1\"/>" in xml[0]  # whole numbers on the axis
    sheet = openpyxl.load_workbook(path)["Ark"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert CHART_NOTE in values
    formats = {c.value: c.number_format for row in sheet.iter_rows() for c in row if isinstance(c.value, float)}
    assert formats[5 / 12] == "0.00"  # a float without a format gets two decimals, never General


def test_every_sheet_prints_a4_with_its_name_and_page_numbers(tmp_path):
    path = tmp_path / "b.xlsx"
    rows = [[f"Kommune {i}", i, i / 100] for i in range(60)]

    def build(writer):
        writer.paragraph("En lang forklaring " * 20)
        writer.block(Block("Liste", "e", "Grundlag: n = 60.", ["Navn", "Antal", "Andel"], rows, ["text", "int", "pct"]))

    write(path, build)
    sheet = openpyxl.load_workbook(path)["Ark"]
    assert sheet.page_setup.paperSize == 9
    assert sheet.oddHeader.center.text == "&A" and "&P" in sheet.oddFooter.center.text
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default
    assert sheet.page_setup.fitToHeight == 0  # as many pages down as it takes
    assert sheet.print_title_rows == "$5:$5"  # the header row of the long table repeats on every page
    assert sheet.row_dimensions[1].height > 15  # the wrapped paragraph has room for its lines
    assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)  # across the table, wrapped
