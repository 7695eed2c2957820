"""Metadata the harvester identifies a returned file by, and structure protection.

The same facts are written twice: in a very hidden sheet (survives copy of the
whole workbook and a LibreOffice resave, which makes it merely hidden) and as
custom document properties (survive most resaves; read without parsing sheets).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from xlsxwriter.workbook import Workbook

from sdexl import atomic, layout
from sdexl.generate.styles import Styles


@dataclass(frozen=True)
class Metadata:
    survey_id: str
    survey_version: str
    kommunekode: str
    kommune: str
    token: str
    tool_version: str
    generated_at: str  # ISO 8601, UTC

    def items(self) -> list[tuple[str, str]]:
        values = asdict(self)
        return [(key, values[key]) for key in layout.META_KEYS]


def write_metadata(wb: Workbook, meta: Metadata, styles: Styles) -> None:
    ws = wb.add_worksheet(layout.META_SHEET)
    for row, (key, value) in enumerate(meta.items()):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
        # Strings, always: a number property may come back as 7.0 after a resave.
        wb.set_custom_property(layout.PROPERTY_PREFIX + key, value, "text")
    ws.very_hidden()
    ws.protect()


_WORKBOOK_PR = re.compile(rb"(<workbookPr\b[^>]*/>)")


def protect_structure(xlsx: bytes) -> bytes:
    """Add <workbookProtection lockStructure="1"/> to xl/workbook.xml.

    xlsxwriter does not write workbook structure protection (declined upstream,
    XlsxWriter #284). The element must follow <workbookPr> in the schema order.
    Without a password: it stops accidental renaming or deleting of sheets,
    which would break the overview formulas; it is not security.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data, n = _WORKBOOK_PR.subn(rb'\1<workbookProtection lockStructure="1"/>', data, count=1)
                if n != 1:
                    raise ValueError("xl/workbook.xml has no <workbookPr/>: cannot protect the structure")
            dst.writestr(item, data)
    return out.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder, so no half-written workbook is left (sdexl.atomic)."""
    atomic.write_bytes(path, data)
