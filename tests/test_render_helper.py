"""The rendering helper itself: pages are attributed to sheets, and ### and raw floats are seen."""

from __future__ import annotations

import pytest
import xlsxwriter

from tests.render import render

pytestmark = pytest.mark.libreoffice


def test_pages_are_attributed_to_their_sheet_and_defects_are_found(soffice, tmp_path):
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("Første", "Anden"):
        ws = wb.add_worksheet(name)
        ws.set_header("&C&A")
        ws.set_footer("&CSide &P af &N")
        ws.write(0, 0, "Tekst")
    wb.get_worksheet_by_name("Første").write_number(1, 0, 0.0918367346938776)
    narrow = wb.get_worksheet_by_name("Anden")
    narrow.set_column(0, 0, 2)
    narrow.write_number(1, 0, 123456789, wb.add_format({"num_format": "#,##0"}))
    wb.close()
    rendered = render(soffice, path, tmp_path / "pdf")
    assert rendered.pages_of("Første") == [0]
    assert rendered.pages_of("Anden") == [1]
    assert [f[:7] for f in rendered.raw_floats()] in (["0.09183"], ["0,09183"])  # General shows what fits
    assert rendered.hashes() == [1]
