"""What a reader sees: a workbook printed to PDF by LibreOffice, page by page.

Every sheet sdexl writes prints its sheet name in the page header (``&A``) and
"Side N af M" in the footer, so each PDF page can be attributed to its sheet.
``render`` converts a workbook; ``Rendered`` answers the questions a test asks
of the pictures: pages per sheet, ``###`` (a column too narrow for its number),
raw floats (a number without a format), and the text a reader would read.
Look at the pictures too: ``pdftoppm -png -r 60 FILE.pdf out`` (poppler-utils).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import convert

# A number printed without a format: 0.0918367346938776 or 0,0918367346938776 (5+ decimals).
RAW_FLOAT = re.compile(r"(?<![\d.,])\d+[.,]\d{5,}(?![\d])")
HASHES = "###"


@dataclass
class Rendered:
    pdf: Path
    pages: list[str]  # the text of each page, in order

    def pages_of(self, sheet: str) -> list[int]:
        """0-based numbers of the pages whose header names ``sheet`` (the first line of the page)."""
        return [n for n, text in enumerate(self.pages) if _header(text) == sheet]

    def text(self) -> str:
        return "\n".join(self.pages)

    def hashes(self) -> list[int]:
        """Pages showing ``###``."""
        return [n for n, text in enumerate(self.pages) if HASHES in text]

    def raw_floats(self) -> list[str]:
        return [m.group(0) for text in self.pages for m in RAW_FLOAT.finditer(text)]


def render(soffice: str, workbook: Path, outdir: Path) -> Rendered:
    """Print ``workbook`` to PDF with LibreOffice headless and read back each page's text."""
    from pypdf import PdfReader

    pdf = convert(soffice, workbook, "pdf", outdir)
    reader = PdfReader(str(pdf))
    return Rendered(pdf, [page.extract_text() or "" for page in reader.pages])


def _header(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""
