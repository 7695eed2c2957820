"""Cell formats shared by the sheets of a generated workbook."""

from __future__ import annotations

from dataclasses import dataclass

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook

BLUE = "#1F4E79"
LIGHT_BLUE = "#DDEBF7"
INPUT = "#FFFFFF"
MISSING = "#FFF2CC"  # yellow: a required answer is missing
INVALID = "#F8CBAD"  # red: not a category, out of range, or a rule is broken
IRRELEVANT = "#D9D9D9"  # grey: answered although the question should be skipped
FEEDBACK = "#FFC000"  # orange: a problem found on harvest, listed in "Fejl og rettelser"


@dataclass
class Styles:
    title: Format
    subtitle: Format
    text: Format
    wrap: Format
    bold: Format
    header: Format
    header_number: Format
    header_id: Format
    locked_number: Format
    input: Format  # unlocked, general
    input_text: Format  # unlocked, text (@): free text stays text when edited in Excel
    input_date: Format
    input_amount: Format
    input_int: Format
    input_marked: Format  # a single answer cell that must stand out: Excel's own "Input" cell style
    label_right: Format  # a label that ends where its input cell begins
    check: Format
    percent: Format
    count: Format
    amount: Format  # kr., thousands separated
    total: Format
    missing: Format
    invalid: Format
    irrelevant: Format
    feedback: Format
    section: Format
    section_wrap: Format  # a long section heading on the aggregate form
    meta: Format


def make_styles(wb: Workbook) -> Styles:
    def fmt(**props) -> Format:
        props.setdefault("font_name", "Calibri")
        props.setdefault("font_size", 11)
        props.setdefault("valign", "top")
        return wb.add_format(props)

    unlocked = {"locked": False, "border": 1, "border_color": "#BFBFBF", "bg_color": INPUT}
    return Styles(
        title=fmt(bold=True, font_size=16, font_color=BLUE),
        subtitle=fmt(bold=True, font_size=12, font_color=BLUE),
        text=fmt(),
        wrap=fmt(text_wrap=True),
        bold=fmt(bold=True),
        header=fmt(bold=True, text_wrap=True, bg_color=LIGHT_BLUE, border=1),
        header_number=fmt(bold=True, bg_color=BLUE, font_color="white", align="center", border=1),
        header_id=fmt(font_size=8, font_color="#7F7F7F", bg_color="#F2F2F2", border=1),
        locked_number=fmt(align="center", font_color="#7F7F7F"),
        input=fmt(**unlocked),
        input_text=fmt(num_format="@", text_wrap=False, **unlocked),
        input_date=fmt(num_format="dd-mm-yyyy", **unlocked),
        input_amount=fmt(num_format="#,##0", **unlocked),
        input_int=fmt(num_format="0", **unlocked),
        input_marked=fmt(locked=False, bg_color="#FFCC99", border=1, border_color="#7F7F7F", bold=True, align="center", valign="vcenter"),
        label_right=fmt(bold=True, text_wrap=True, align="right", valign="vcenter"),
        check=fmt(font_color="#7F7F7F", italic=True),
        percent=fmt(num_format="0.0 %"),
        count=fmt(num_format="0"),
        amount=fmt(num_format="#,##0"),
        total=fmt(bold=True, top=1, num_format="0"),
        missing=wb.add_format({"bg_color": MISSING}),
        invalid=wb.add_format({"bg_color": INVALID}),
        irrelevant=wb.add_format({"bg_color": IRRELEVANT, "font_strikeout": True}),
        feedback=fmt(bg_color=FEEDBACK, **{k: v for k, v in unlocked.items() if k != "bg_color"}),
        section=fmt(bold=True, font_color=BLUE, bottom=1),
        section_wrap=fmt(bold=True, font_color=BLUE, bottom=1, text_wrap=True),
        meta=fmt(font_size=9),
    )
