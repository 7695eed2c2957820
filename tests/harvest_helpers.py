"""The family of returns harvest must cope with, built from generated workbooks.

Each builder writes one file the way it arrives in a consultant's mailbox: a
clean return, the same return renamed or resaved, a wrong attachment, an
encrypted or hostile file, a copy whose metadata was lost. Filling reuses the
reader's helpers (tests/fill_helpers.py), so both sides fill workbooks alike.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import struct
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from sdexl import layout
from sdexl.generate.run import generate_all
from sdexl.survey.model import Survey
from sdexl.workspace import Workspace
from tests.fill_helpers import cell_values, fill_cases, fill_form, simple_valid_answers, valid_form

XXE_DOCTYPE = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY y "&x;&x;">]>'


# --- generated and filled ---------------------------------------------------------------------


def generated(ws: Workspace, survey_id: str, code: str) -> Path:
    """The workbook issued to ``code`` (generated once per workspace, recorded in the ledger)."""
    existing = sorted(ws.outgoing_dir(survey_id).glob(f"{code}_*.xlsx"))
    if existing:
        return existing[0]
    return generate_all(ws, survey_id, [code]).files[0]


def filled_form(ws: Workspace, code: str, dst: Path, over: int = 6, **changes: Any) -> Path:
    """A clean sde-2024 return from ``code``: ``over`` citizens over 2 mio. kr."""
    survey = ws.survey("sde-2024")
    answers = valid_form(survey, over) | changes
    dst.parent.mkdir(parents=True, exist_ok=True)
    return fill_form(generated(ws, "sde-2024", code), dst, survey, answers)


def filled_cases(ws: Workspace, code: str, dst: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    """An sde-2022 return: the given answers (question id -> value) as rows, or zero cases."""
    survey = ws.survey("sde-2022")
    dst.parent.mkdir(parents=True, exist_ok=True)
    src = generated(ws, "sde-2022", code)
    if not rows:
        return fill_cases(src, dst, survey, [], zero=layout.ZERO_CASES_YES)
    return fill_cases(src, dst, survey, [cell_values(r, survey) for r in rows])


def valid_case(survey: Survey, case_ref: str) -> dict[str, Any]:
    return simple_valid_answers(survey, case_ref)


# --- metadata lost --------------------------------------------------------------------------------


def copied_without_metadata(src: Path, dst: Path, sheets: list[str]) -> Path:
    """What "select all, copy, paste into a new workbook" leaves: values only, no hidden sheet or properties."""
    source = openpyxl.load_workbook(src)
    target = openpyxl.Workbook()
    target.remove(target.active)
    for name in sheets:
        copy = target.create_sheet(name)
        for row in source[name].iter_rows():
            for cell in row:
                if cell.value is not None:
                    copy.cell(cell.row, cell.column).value = cell.value
                    copy.cell(cell.row, cell.column).data_type = cell.data_type
    dst.parent.mkdir(parents=True, exist_ok=True)
    target.save(dst)
    return dst


def with_meta_value(src: Path, dst: Path, key: str, value: str) -> Path:
    """The workbook with one metadata value changed, in the hidden sheet and the property alike."""
    wb = openpyxl.load_workbook(src)
    sheet = wb[layout.META_SHEET]
    for row in sheet.iter_rows():
        if row[0].value == key:
            row[1].value = value
    for prop in wb.custom_doc_props.props:
        if prop.name == layout.PROPERTY_PREFIX + key:
            prop.value = value
    wb.save(dst)
    return dst


# --- not a workbook, broken, hostile -----------------------------------------------------------


def text_as_xlsx(dst: Path) -> Path:
    dst.write_text("Hej, her er vores svar: 12 borgere.\n", encoding="utf-8")
    return dst


def pdf_file(dst: Path) -> Path:
    dst.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return dst


def truncated(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def encrypted(src: Path, dst: Path, password: str = "kode1234") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as fh:
        out = io.BytesIO()
        OOXMLFile(fh).encrypt(password, out)
    dst.write_bytes(out.getvalue())
    return dst


def zip_bomb(src: Path, dst: Path, inflated_mb: int = 20) -> Path:
    """A real workbook with one extra member of zeros: tiny on disk, huge inflated."""
    shutil.copyfile(src, dst)
    with zipfile.ZipFile(dst, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", bytes(inflated_mb * 1024 * 1024))
    return dst


def declared_size(src: Path, dst: Path, member: str, size: int) -> Path:
    """Rewrite one member's uncompressed size in the central directory (a lying zip)."""
    data = bytearray(src.read_bytes())
    name = member.encode()
    pos = 0
    while (pos := data.find(b"PK\x01\x02", pos)) != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == name:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos += 4
    else:
        raise AssertionError(f"{member} not in {src}")
    dst.write_bytes(bytes(data))
    return dst


def with_member(src: Path, dst: Path, member: str, content: bytes) -> Path:
    """A copy of ``src`` with ``member`` added or replaced."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != member:
                zout.writestr(item, zin.read(item.filename))
        zout.writestr(member, content)
    return dst


def with_xxe(src: Path, dst: Path, member: str = "docProps/custom.xml") -> Path:
    """An entity-expansion payload: the DTD goes before the root element of ``member``."""
    with zipfile.ZipFile(src) as zin:
        xml = zin.read(member).decode("utf-8")
    head, sep, rest = xml.partition("?>")
    hostile = (head + sep + XXE_DOCTYPE + rest) if sep else (XXE_DOCTYPE + xml)
    return with_member(src, dst, member, hostile.encode("utf-8"))


def as_xlsm(src: Path, dst: Path) -> Path:
    """A macro-enabled copy: a vbaProject.bin part (content is never read)."""
    return with_member(src, dst, "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA")


# --- observing the workspace --------------------------------------------------------------------


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def ledger_dump(ws: Workspace) -> dict[str, list[tuple]]:
    """Every harvest table, rows sorted, without the run timestamps."""
    conn = sqlite3.connect(ws.ledger_path)
    try:
        dump = {}
        for table, drop in (
            ("submissions", "harvested_at"),
            ("sightings", "first_seen"),
            ("issues", ""),
            ("answers", ""),
        ):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != drop]
            dump[table] = sorted(conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall(), key=repr)
        return dump
    finally:
        conn.close()


def set_received(path: Path, timestamp: float) -> Path:
    """Received time is the file's modification time."""
    os.utime(path, (timestamp, timestamp))
    return path
