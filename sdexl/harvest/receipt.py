"""A receipt for each accepted return: what was received, when, how many cases, and any notes.

``output/<survey>/kvitteringer/<kode>_<Kommune>_kvittering.xlsx``, one small Danish workbook
per municipality whose current file is accepted (with or without notes). It is
built from the ledger alone, so ``sdexl send SURVEY receipts`` can make one for
a file harvested before receipts existed. A municipality whose file was accepted
with notes gets its notes here, not a feedback workbook: nothing has to be sent again.

The receipt workbook goes to the municipality (it may quote their notes); the
mail text (``summary_lines``) carries no cell values at all, only counts and the
catalogue's titles.
"""

from __future__ import annotations

import io
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import xlsxwriter

from sdexl import atomic, ledger, messages, privacy
from sdexl.background import Background
from sdexl.reference import Municipality, by_code
from sdexl.survey.model import Survey
from sdexl.when import danish_time
from sdexl.workspace import Workspace

RECEIPT_FOLDER = "kvitteringer"
RETIRED_FOLDER = "forældet"
ACCEPTED = ("accepted", "accepted_with_warnings")
SHEET = "Kvittering"
LABEL_WIDTH = 32  # characters in column A


@dataclass
class Receipt:
    survey: Survey
    kommune: Municipality
    sha256: str
    file: str  # the name it arrived under, without folders
    received_at: str
    harvested_at: str
    verdict: str
    n_cases: int
    zero_cases: bool
    notes: list[str] = field(default_factory=list)  # Danish messages of the warnings and notes
    note_titles: dict[str, int] = field(default_factory=dict)  # catalogue title -> how many


def receipt_path(ws: Workspace, survey_id: str, kommune: Municipality) -> Path:
    """``101_København_kvittering.xlsx``: attached to a mail, it is not mistaken for the workbook itself."""
    return ws.output_dir(survey_id) / RECEIPT_FOLDER / f"{kommune.file_stem}_kvittering.xlsx"


def receipt_for(conn: sqlite3.Connection, survey: Survey, sha256: str) -> Receipt | None:
    """The receipt of an accepted submission, from the ledger; None when it is not accepted."""
    row = conn.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None or row["verdict"] not in ACCEPTED or row["kommunekode"] not in by_code():
        return None
    issues = conn.execute(
        "SELECT code, message FROM issues WHERE submission = ? AND severity != 'error' ORDER BY seq", (sha256,)
    ).fetchall()
    titles: dict[str, int] = {}
    for issue in issues:
        title = messages.title(issue["code"])
        titles[title] = titles.get(title, 0) + 1
    return Receipt(
        survey=survey,
        kommune=by_code()[row["kommunekode"]],
        sha256=sha256,
        file=privacy.mask_cpr(PurePosixPath(row["file"]).name),
        received_at=row["received_at"],
        harvested_at=row["harvested_at"],
        verdict=row["verdict"],
        n_cases=row["n_cases"],
        zero_cases=bool(row["zero_cases"]),
        notes=[issue["message"] for issue in issues],
        note_titles=titles,
    )


def cases_line(receipt: Receipt) -> tuple[str, str]:
    """(label, value) for the number of cases, in the survey's own terms."""
    text = messages.ROUND_TEXTS
    if receipt.survey.kind == "cases":
        value = text["receipt-zero-cases"] if receipt.zero_cases else str(receipt.n_cases)
        return text["receipt-cases"], value
    count_q = next((q for q in receipt.survey.questions if q.indicator == "cases"), None)
    label = text["receipt-count-question"].format(number=count_q.number, label=count_q.label) if count_q else ""
    return label or text["receipt-cases"], str(receipt.n_cases)


def facts(receipt: Receipt) -> list[tuple[str, str]]:
    text = messages.ROUND_TEXTS
    survey = receipt.survey
    return [
        (text["receipt-survey"], f"{survey.title} ({survey.round})"),
        (text["receipt-kommune"], f"{receipt.kommune.name} (kommunekode {receipt.kommune.code})"),
        (text["receipt-file"], receipt.file),
        (text["receipt-received"], danish_time(receipt.received_at)),
        (text["receipt-harvested"], danish_time(receipt.harvested_at)),
        (text["receipt-status"], text[f"status-{receipt.verdict}"]),
        cases_line(receipt),
        (text["receipt-checksum"], checksum_text(receipt.sha256)),
    ]


def checksum_text(sha256: str) -> str:
    """The first 16 hex digits in groups of four: '5786 4fb6 21a0 2a98'.

    Ungrouped, one checksum in about sixteen holds ten digits in a row, which a municipality's
    mail filter (and a reader) takes for a CPR number.
    """
    head = sha256[:16]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


def summary_lines(receipt: Receipt, with_file: bool = True) -> list[str]:
    """The receipt as lines of text: facts and the kinds of notes, never a cell's value. A mail leaves out
    the name of the file that came (``with_file=False``): a file name can carry a citizen's name."""
    text = messages.ROUND_TEXTS
    lines = [f"{label}: {value}" for label, value in facts(receipt) if with_file or label != text["receipt-file"]]
    if receipt.note_titles:
        lines.append(text["receipt-notes-count"].format(n=sum(receipt.note_titles.values())))
        lines += [f"- {title}" + (f" ({n})" if n > 1 else "") for title, n in receipt.note_titles.items()]
    else:
        lines.append(text["receipt-no-notes"])
    return lines


def write_receipt(ws: Workspace, receipt: Receipt) -> Path:
    """Write the receipt workbook (whole or not at all) and return its path."""
    target = receipt_path(ws, receipt.survey.id, receipt.kommune)
    atomic.write_bytes(target, receipt_workbook(receipt, ws.config))
    return target


def receipt_workbook(receipt: Receipt, config) -> bytes:
    text = messages.ROUND_TEXTS
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                      "strings_to_numbers": False})
    wb.set_properties({"title": text["receipt-title"], "subject": f"{receipt.kommune.name} ({receipt.kommune.code})",
                       "author": config.sender.organisation, "comments": "Lavet med sdexl"})
    base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
    title = wb.add_format({**base, "bold": True, "font_size": 16, "font_color": "#1F4E79"})
    subtitle = wb.add_format({**base, "bold": True, "font_size": 12, "font_color": "#1F4E79"})
    bold = wb.add_format({**base, "bold": True, "text_wrap": True})
    wrap = wb.add_format({**base, "text_wrap": True})
    sheet = wb.add_worksheet(SHEET)
    sheet.hide_gridlines(2)
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, 1, 90)
    row = 0
    if getattr(config, "synthetic", False):
        # Not wrapped: one line running across the empty cells beside it, clear of the title.
        banner = wb.add_format({**base, "bold": True, "font_color": "#C00000"})
        sheet.write_string(row, 0, text["receipt-synthetic"], banner)
        row += 1
    sheet.write_string(row, 0, text["receipt-title"], title)
    sheet.set_row(row, 24)  # the 16 pt title
    row += 2
    sheet.merge_range(row, 0, row, 1, text["receipt-intro"], wrap)
    sheet.set_row(row, 30)
    row += 2
    for label, value in facts(receipt):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, value, wrap)
        lines = max(len(label) // (LABEL_WIDTH - 4), len(value) // 85) + 1
        if lines > 1:  # LibreOffice does not grow rows for wrapped text on load
            sheet.set_row(row, 15 * lines)
        row += 1
    row += 1
    sheet.write_string(row, 0, text["receipt-notes-heading"].format(n=len(receipt.notes)), subtitle)
    row += 1
    if not receipt.notes:
        sheet.write_string(row, 1, text["receipt-no-notes"], wrap)
        row += 1
    else:
        sheet.merge_range(row, 0, row, 1, text["receipt-notes-intro"], wrap)
        sheet.set_row(row, 30)
        row += 1
    for n, note in enumerate(receipt.notes, start=1):
        sheet.write_string(row, 0, f"{n}.", wrap)
        sheet.write_string(row, 1, note, wrap)
        sheet.set_row(row, 15 * (len(note) // 85 + 1))
        row += 1
    row += 1
    sheet.merge_range(row, 0, row, 1, text["receipt-closing"], wrap)
    sheet.set_row(row, 30)
    row += 2
    contact = config.contact
    reach = ", ".join(x for x in (contact.email, f"telefon {contact.phone}" if contact.phone else "") if x)
    sheet.write_string(row, 0, text["receipt-contact"], bold)
    sheet.write_string(row, 1, f"{contact.name}, {contact.organisation}" + (f" ({reach})" if reach else ""), wrap)
    sheet.set_header("&C&A")
    sheet.set_footer("&CSide &P af &N")
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.protect("", {"format_columns": True, "format_rows": True})
    wb.close()
    return buffer.getvalue()


RECEIPTS_PER_BATCH = 64  # written (and synced to disk) together; a batch's workbooks are held in memory


def write_receipts(ws: Workspace, surveys: dict[str, Survey], shas: list[str]) -> list[Path]:
    """A receipt for each accepted submission in ``shas`` (others are skipped)."""
    if not shas:
        return []
    written: list[Path] = []
    batch: list[tuple[Path, bytes]] = []
    conn = ledger.connect(ws.ledger_path)
    try:
        for sha in shas:
            row = conn.execute("SELECT survey_id FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
            survey = surveys.get(row["survey_id"]) if row else None
            receipt = receipt_for(conn, survey, sha) if survey else None
            if receipt is not None:
                batch.append((receipt_path(ws, receipt.survey.id, receipt.kommune), receipt))
            if len(batch) >= RECEIPTS_PER_BATCH:
                written += atomic.write_all(_workbooks(batch, ws.config))
                batch = []
        written += atomic.write_all(_workbooks(batch, ws.config))
    finally:
        conn.close()
    return written


SPLIT_FROM = 8  # receipts in a batch from which half are made on the other core (a fork costs about two)


def _workbooks(batch: list[tuple[Path, Receipt]], config) -> list[tuple[Path, bytes]]:
    """Each receipt's workbook; from ``SPLIT_FROM`` on, a child on the other core makes the second half
    (sdexl.background: it only computes, and this process writes every file)."""
    receipts = [receipt for _, receipt in batch]
    half = len(receipts) // 2 if len(receipts) >= SPLIT_FROM else len(receipts)
    rest = receipts[half:]
    other = Background(lambda: [receipt_workbook(r, config) for r in rest]) if rest else None
    made = [receipt_workbook(r, config) for r in receipts[:half]]
    if other is not None:
        made += other.join() or [receipt_workbook(r, config) for r in rest]
    return [(path, data) for (path, _), data in zip(batch, made)]


def retire_receipt(ws: Workspace, survey_id: str, kommune: Municipality, stamp: str) -> Path | None:
    """Move a receipt aside (kvitteringer/forældet/) when the file it confirms is no longer current."""
    old = receipt_path(ws, survey_id, kommune)
    if not old.exists():
        return None
    retired = old.parent / RETIRED_FOLDER / f"{old.stem} {stamp}{old.suffix}"
    retired.parent.mkdir(parents=True, exist_ok=True)
    old.replace(retired)
    return retired
