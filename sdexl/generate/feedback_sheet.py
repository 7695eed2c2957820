"""The sheet "Fejl og rettelser" of a feedback workbook: what to correct, and what is only a note.

Every problem harvest found is listed once, in three groups, in this order:

    Skal rettes    errors: the answer was not used; the municipality corrects it and sends the file again
    Bemærk         warnings and notes: the answer was used; nothing has to be sent again
    Rettet af os   what harvest tolerated and has already written correctly into this workbook

"Ret venligst de N punkter" counts the first group only. Each row links to its
cell, and the group is coloured, so the list reads at a glance on screen and on paper.
"""

from __future__ import annotations

from xlsxwriter.workbook import Workbook

from sdexl import layout, messages
from sdexl.generate.styles import Styles

FEEDBACK_SHEET = "Fejl og rettelser"
HEADER_ROW = 4  # 0-based: the table's header; problems follow
MESSAGE_WIDTH = 100  # characters in the "Besked" column
ACTION_ORDER = ("fix", "note", "fixed")
# The group's colour on its label: red must be corrected, yellow is a note, green was fixed by us.
ACTION_COLOURS = {"fix": "#F4B6B6", "note": "#FFF2CC", "fixed": "#E2EFDA"}


def action_label(action: str) -> str:
    return messages.ROUND_TEXTS[f"feedback-action-{action}"]


def ordered(problems: list) -> list[int]:
    """Indexes of ``problems``: what must be corrected first, then notes, then what we fixed (stable)."""
    return sorted(range(len(problems)), key=lambda i: ACTION_ORDER.index(problems[i].action))


def write_feedback_sheet(wb: Workbook, survey, styles: Styles, problems: list, cells, password: str) -> None:
    """``problems``: generate.workbook.Problem; ``cells``: problem index -> (row, col) in the entry sheet, or None."""
    ws = wb.add_worksheet(FEEDBACK_SHEET)
    text = messages.ROUND_TEXTS
    to_fix = sum(p.action == "fix" for p in problems)
    ws.write_string(0, 0, text["feedback-title"], styles.title)
    ws.set_row(0, 24)  # the 16 pt title, clear of the text below
    ws.merge_range(1, 0, 1, 5, intro(survey.entry_sheet, to_fix), styles.wrap)
    ws.set_row(1, 15 * (len(intro(survey.entry_sheet, to_fix)) // 150 + 1))
    if to_fix < len(problems):
        ws.merge_range(2, 0, 2, 5, text["feedback-notes-need-nothing"], styles.wrap)
        ws.set_row(2, 30)
    headers = ["Nr.", text["feedback-action-header"], "Fane", "Celle", "Celle i jeres fil", "Besked"]
    for col, header in enumerate(headers):
        ws.write_string(HEADER_ROW, col, header, styles.header)
    ws.set_row(HEADER_ROW, 32)  # "Celle i jeres fil" wraps to two lines
    colours = {action: _cell(wb, bg_color=colour, bold=action == "fix") for action, colour in ACTION_COLOURS.items()}
    link = _cell(wb, font_color="#0563C1", underline=1)
    plain = _cell(wb)
    for n, i in enumerate(ordered(problems)):
        p = problems[i]
        row = HEADER_ROW + 1 + n
        cell = cells.get(i)
        ws.write_number(row, 0, n + 1, plain)
        ws.write_string(row, 1, action_label(p.action), colours[p.action])
        ws.write_string(row, 2, survey.entry_sheet if cell else "", plain)
        if cell:
            ref = layout.cell_ref(*cell)
            # A link to the cell: one click from the list to the answer (Excel: click; LibreOffice: Ctrl+click).
            ws.write_url(row, 3, f"internal:'{survey.entry_sheet}'!{ref}", link, string=ref,
                         tip=text["feedback-link-tip"])
        else:
            ws.write_string(row, 3, "", plain)
        ws.write_string(row, 4, p.original_cell or "", plain)
        ws.write_string(row, 5, p.message, plain)
        # LibreOffice does not grow rows for wrapped text on load: size them here.
        ws.set_row(row, 15 * (len(p.message) // (MESSAGE_WIDTH - 8) + 1))
    # "Celle i jeres fil" in two lines even in the wider fonts LibreOffice prints Calibri with.
    for col, width in enumerate((5, 13, 10, 8, 16, MESSAGE_WIDTH)):
        ws.set_column(col, col, width)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.set_header("&C&A")
    ws.set_footer("&CSide &P af &N")
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.protect(password, {"format_columns": True, "format_rows": True})
    ws.activate()


def intro(entry_sheet: str, to_fix: int) -> str:
    text = messages.ROUND_TEXTS
    if to_fix == 0:
        return text["feedback-intro-nothing"]
    points = text["feedback-point-one"] if to_fix == 1 else text["feedback-points"].format(n=to_fix)
    return text["feedback-intro"].format(points=points, sheet=entry_sheet)


def _cell(wb: Workbook, **props):
    return wb.add_format({"font_name": "Calibri", "font_size": 11, "valign": "top", "text_wrap": True, "border": 1,
                          "border_color": "#BFBFBF", **props})
