"""Both demo masters printed by LibreOffice, as KL would print them.

Every sheet prints its name in the page header, so each PDF page is attributed
to its sheet: the test checks that no page shows "###" (a column too narrow for
its number), that no number is printed raw (0.0918367346938776), and that each
sheet prints on a bounded number of pages: the report sheets in a few, the
long internal lists in about one page per screenful of rows.
Look at the pictures too: ``pdftoppm -png -r 60 master.pdf page``.
"""

from __future__ import annotations

import math

import pytest
from python_calamine import CalamineWorkbook

from tests.demo_masters import MASTERS, demo_master
from tests.render import render

pytestmark = pytest.mark.libreoffice

# Pages a report sheet may take (the demo's 98 municipalities).
REPORT_PAGES = {
    "Oversigt": 3,
    "Land": 18,  # 25 questions with a chart each in the case survey, each kept on one page
    "KKR": 20,
    "Variation": 6,
    "Sammenhæng": 4,
    "Udtrådte": 3,
    "Kvalitet": 2,
}
ROWS_PER_PAGE = 25  # the long lists: at least this many rows on a page (landscape, fit to width)
LONG_LISTS = ("Data", "Kommuner", "Udvikling", "Tiltag", "Kilder")


def used_rows(path, sheet: str) -> int:
    return len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python())


@pytest.fixture(scope="module")
def rendered(soffice, tmp_path_factory):
    out = tmp_path_factory.mktemp("render")
    return {sid: render(soffice, demo_master(sid), out / sid) for sid in MASTERS}


@pytest.mark.parametrize("survey_id", MASTERS)
def test_every_page_belongs_to_a_sheet_and_shows_no_hashes_or_raw_floats(rendered, survey_id):
    r = rendered[survey_id]
    sheets = CalamineWorkbook.from_path(str(demo_master(survey_id))).sheet_names
    attributed = {sheet: r.pages_of(sheet) for sheet in sheets}
    assert sum(len(pages) for pages in attributed.values()) == len(r.pages), "a page without its sheet name"
    assert all(attributed[sheet] for sheet in sheets), [s for s in sheets if not attributed[s]]
    assert r.hashes() == [], f"### on pages {r.hashes()}"
    assert r.raw_floats() == [], r.raw_floats()[:10]


@pytest.mark.parametrize("survey_id", MASTERS)
def test_each_sheet_prints_on_a_bounded_number_of_pages(rendered, survey_id):
    r = rendered[survey_id]
    path = demo_master(survey_id)
    too_many = {}
    for sheet, bound in REPORT_PAGES.items():
        if len(r.pages_of(sheet)) > bound:
            too_many[sheet] = (len(r.pages_of(sheet)), bound)
    for sheet in LONG_LISTS:
        bound = math.ceil(used_rows(path, sheet) / ROWS_PER_PAGE) * 2 + 1  # at most two pages wide
        if len(r.pages_of(sheet)) > bound:
            too_many[sheet] = (len(r.pages_of(sheet)), bound)
    assert not too_many, too_many


def test_the_report_sheets_of_the_follow_up_print_as_a_short_report(rendered):
    """sde-2024 without its long internal lists: a report of a few dozen pages (111 before, all told)."""
    r = rendered["sde-2024"]
    report = sum(len(r.pages_of(sheet)) for sheet in REPORT_PAGES)
    assert report <= 25, report
