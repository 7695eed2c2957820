"""``sdexl status SURVEY --xlsx FILE``: the round's status as a Danish workbook to share with KL.

Two sheets: *Status* (one row per municipality: participation, agreement, invited,
reminded, latest file received, status and why, feedback and receipt sent) and
*Opsummering* (the response rate against the deadline, counts by status and by
KKR, each with its base). It holds no case counts and no file names: the
counts are published in the master with small-cell suppression, and a file name
can carry a person's name.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import xlsxwriter

from sdexl import atomic, messages
from sdexl.harvest.status import RoundStatus
from sdexl.reference import kkr_names
from sdexl.when import danish_date, danish_time, local_date, now_iso

STATUS_SHEET = "Status"
SUMMARY_SHEET = "Opsummering"
ORDER = ("accepted", "accepted_with_warnings", "needs_correction", "rejected", "missing", "not_issued",
         "not_participating")


def write_status_workbook(path: Path, status: RoundStatus, cases_round: bool, synthetic: bool = False,
                          today: dt.date | None = None) -> Path:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    wb.set_properties({"title": f"Status: {status.title}", "comments": "Lavet med sdexl"})
    f = _formats(wb)
    _status_sheet(wb, f, status, cases_round, synthetic)
    _summary_sheet(wb, f, status, synthetic, today)
    wb.close()
    return atomic.write_bytes(Path(path), buffer.getvalue())


def _formats(wb) -> dict:
    base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
    return {
        "title": wb.add_format({**base, "bold": True, "font_size": 14, "font_color": "#1F4E79"}),
        "text": wb.add_format(base),
        "wrap": wb.add_format({**base, "text_wrap": True}),
        "header": wb.add_format({**base, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "border": 1}),
        "cell": wb.add_format({**base, "border": 1, "border_color": "#BFBFBF"}),
        "cellwrap": wb.add_format({**base, "border": 1, "border_color": "#BFBFBF", "text_wrap": True}),
        "date": wb.add_format({**base, "border": 1, "border_color": "#BFBFBF", "num_format": "dd-mm-yyyy",
                               "align": "left"}),
        "count": wb.add_format({**base, "border": 1, "border_color": "#BFBFBF", "num_format": "0"}),
        "share": wb.add_format({**base, "border": 1, "border_color": "#BFBFBF", "num_format": "0.0 %"}),
        "bold": wb.add_format({**base, "bold": True}),
    }


def _danish(status: str) -> str:
    return messages.ROUND_TEXTS[f"status-{status}"]


def _status_sheet(wb, f, status: RoundStatus, cases_round: bool, synthetic: bool) -> None:
    ws = wb.add_worksheet(STATUS_SHEET)
    row = 0
    if synthetic:
        ws.write_string(row, 0, "SYNTETISKE DATA – lavet af sdexl demo", f["bold"])
        row += 1
    ws.write_string(row, 0, f"Status for {status.title}", f["title"])
    ws.write_string(row + 1, 0, f"Opgjort {danish_time(now_iso())}", f["text"])
    header_row = row + 3
    columns = [("Kommunekode", 13), ("Kommune", 18), ("KKR", 20), ("Deltager", 9)]
    if cases_round:
        columns.append(("Aftale modtaget", 11))
    columns += [("Inviteret", 11), ("Påmindet", 11), ("Seneste fil modtaget", 11), ("Status", 25),
                ("Hvorfor", 40), ("Tilbagemelding sendt", 14), ("Kvittering sendt", 11)]
    reason_col = [name for name, _ in columns].index("Hvorfor")
    for col, (name, width) in enumerate(columns):
        ws.write_string(header_row, col, name, f["header"])
        ws.set_column(col, col, width)
    ws.set_row(header_row, 30)
    for n, r in enumerate(status.rows):
        values: list = [r.kommunekode, r.kommune, r.kkr, "Ja" if r.participant else "Nej"]
        if cases_round:
            values.append(_date(r.agreement_at))
        values += [_date(r.invited_at), _date(r.reminded_at), _date(r.received_at), _danish(r.status),
                   r.reason or "", _date(r.feedback_sent_at), _date(r.receipt_sent_at)]
        for col, value in enumerate(values):
            if isinstance(value, dt.date):
                ws.write_datetime(header_row + 1 + n, col, dt.datetime.combine(value, dt.time()), f["date"])
            else:
                ws.write_string(header_row + 1 + n, col, value or "", f["cellwrap" if col == reason_col else "cell"])
        if r.reason and len(r.reason) > 40:  # LibreOffice does not grow rows for wrapped text on load
            ws.set_row(header_row + 1 + n, 15 * (len(r.reason) // 38 + 1))
    last = header_row + len(status.rows)
    ws.autofilter(header_row, 0, last, len(columns) - 1)
    ws.freeze_panes(header_row + 1, 2)
    ws.repeat_rows(header_row)
    _print(ws)


def _summary_sheet(wb, f, status: RoundStatus, synthetic: bool, today: dt.date | None) -> None:
    ws = wb.add_worksheet(SUMMARY_SHEET)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 3, 16)
    resp = status.response(today)
    row = 0
    if synthetic:
        ws.write_string(row, 0, "SYNTETISKE DATA – lavet af sdexl demo", f["bold"])
        row += 1
    ws.write_string(row, 0, f"Opsummering: {status.title}", f["title"])
    row += 2
    base = resp["participants"]
    deadline = danish_date(status.deadline) if status.deadline else "ikke fastsat"
    lines = [
        ("Deltagende kommuner", base, None),
        ("Har svaret", resp["answered"], resp["answered"] / base if base else None),
        (f"Har svaret senest {deadline}", resp["by_deadline"], (resp["by_deadline"] / base) if base and
         resp["by_deadline"] is not None else None),
        ("Godkendt", resp["accepted"], resp["accepted"] / base if base else None),
        ("Mangler svar", resp["not_answered"], resp["not_answered"] / base if base else None),
    ]
    for col, name in enumerate(["Svar", "Antal kommuner", "Andel af deltagende"]):
        ws.write_string(row, col, name, f["header"])
    ws.set_row(row, 30)
    for label, count, share in lines:
        row += 1
        ws.write_string(row, 0, label, f["cell"])
        _number(ws, row, 1, count, f["count"])
        _number(ws, row, 2, share, f["share"])
    row += 1
    ws.write_string(row, 0, f"Grundlag: de {base} deltagende kommuner. Svarfrist: {deadline}"
                    + (f"; frist for genfremsendelse: {danish_date(status.resend_deadline)}."
                       if status.resend_deadline else "."), f["text"])
    row += 2
    counts = {s: 0 for s in ORDER}
    for r in status.rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    for col, name in enumerate(["Status", "Antal kommuner"]):
        ws.write_string(row, col, name, f["header"])
    ws.set_row(row, 30)
    for s in ORDER:
        row += 1
        ws.write_string(row, 0, _danish(s), f["cell"])
        ws.write_number(row, 1, counts[s], f["count"])
    row += 1
    ws.write_string(row, 0, "Grundlag: alle 98 kommuner.", f["text"])
    row += 2
    for col, name in enumerate(["KKR", "Deltagende", "Har svaret", "Andel der har svaret"]):
        ws.write_string(row, col, name, f["header"])
    ws.set_row(row, 30)
    for kkr in kkr_names():
        members = [r for r in status.participants if r.kkr == kkr]
        answered = sum(r.answered for r in members)
        row += 1
        ws.write_string(row, 0, kkr, f["cell"])
        ws.write_number(row, 1, len(members), f["count"])
        ws.write_number(row, 2, answered, f["count"])
        _number(ws, row, 3, answered / len(members) if members else None, f["share"])
    row += 1
    ws.write_string(row, 0, "Grundlag: de deltagende kommuner i hver KKR.", f["text"])
    _print(ws)


def _number(ws, row: int, col: int, value, fmt) -> None:
    if value is None:
        ws.write_string(row, col, "–", fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _date(iso: str | None) -> dt.date | None:
    return local_date(iso) if iso else None


def _print(ws) -> None:
    ws.set_header("&C&A")
    ws.set_footer("&CSide &P af &N")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
