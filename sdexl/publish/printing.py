"""How a master sheet prints: widths that fit the formatted values, heights for wrapped text,
paper, orientation, scaling, repeated header rows, and page breaks that keep a table and its
chart on one page.

Sizes are estimated the way Excel lays out Calibri 11: a column width is a number of
characters (about 7 pixels each), a default row is 15 points (20 pixels). The estimate need
not be exact; it must err on the side of room (a column one character too wide is fine, one
too narrow prints "###").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DEFAULT_WIDTH = 8.43
ROW_POINTS = 15.0
PIXELS_PER_CHAR = 7.0
PIXELS_PER_ROW = 20.0
TEXT_CAP = 40  # a text column wider than this wraps instead
A4 = 9
PORTRAIT_CHARS = 100  # up to this wide a sheet prints in portrait (scaled a little if need be)
# What an A4 page holds at 100 % with these margins, measured with LibreOffice and Carlito (the
# metric twin of Calibri, so as in Excel): a sheet of columns N characters wide printed fit to
# width, and the rows counted on its first page (docs/master.md, "Number formats and printing").
PORTRAIT_FIT_CHARS = 90
LANDSCAPE_FIT_CHARS = 130
LANDSCAPE_POINTS = 505.0  # printable height of A4 landscape inside the margins (header and footer sit in them)
PORTRAIT_POINTS = 750.0
WIDEST_CHARS = 420  # wider than this, a sheet prints more than one page wide (one page would be under 35 %)


def shown_length(value, num_format: str) -> int:
    """The characters a number takes when shown in ``num_format`` (a Danish Excel: 1.234,5)."""
    if num_format.endswith("%"):
        decimals = len(num_format.split(".")[1].rstrip("%")) if "." in num_format else 0
        return len(f"{value * 100:.{decimals}f}") + 2
    if "mio" in num_format:
        return len(f"{value / 1e6:,.1f}") + 9
    if num_format == "General":
        return len(f"{value:.10g}")
    decimals = len(num_format.split(".")[1]) if "." in num_format else 0
    text = f"{value:,.{decimals}f}" if "#,##" in num_format else f"{value:.{decimals}f}"
    return len(text)


FONT_SLACK = 1.2  # LibreOffice prints Calibri as a wider font (Carlito, or DejaVu Sans): wrap early


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped at word boundaries in a column ``width`` characters wide."""
    width = max(int(width / FONT_SLACK) - 1, 4)
    lines = 0
    for paragraph in text.split("\n"):
        current = 0
        lines += 1
        for word in paragraph.split():
            needed = len(word) + (1 if current else 0)
            if current and current + needed > width:
                lines += 1
                current = len(word)
            else:
                current += needed
    return max(lines, 1)


@dataclass
class Layout:
    """What a sheet has written, collected while writing; applied by ``SheetWriter.finish``."""

    declared: dict[int, float] = field(default_factory=dict)  # widths asked for by the blocks
    measured: dict[int, float] = field(default_factory=dict)  # widths the values need
    wraps: list[tuple[int, int, str, float]] = field(default_factory=list)  # (row, col, text, points per line)
    heights: dict[int, float] = field(default_factory=dict)
    groups: list[tuple[int, int]] = field(default_factory=list)  # row ranges to keep on one page
    charts: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row, col, width px, height px)
    last_col: int = 0
    repeat: tuple[int, int] | None = None  # header rows of the longest table
    repeat_length: int = 0

    def declare(self, col: int, width: float) -> None:
        self.declared[col] = max(self.declared.get(col, 0), width)

    def measure(self, col: int, chars: float) -> None:
        self.measured[col] = max(self.measured.get(col, 0), chars)
        self.last_col = max(self.last_col, col)

    def widths(self) -> dict[int, float]:
        cols = set(self.declared) | set(self.measured)
        return {c: max(self.declared.get(c, 0), self.measured.get(c, 0), 4) for c in cols}

    def width_of(self, widths: dict[int, float], first: int, last: int) -> float:
        return sum(widths.get(c, DEFAULT_WIDTH) for c in range(first, last + 1))

    def print_chars(self, widths: dict[int, float]) -> float:
        """The width of everything printed, tables and charts, in characters."""
        right = self.width_of(widths, 0, self.last_col)
        for _, col, px, _ in self.charts:
            right = max(right, self.width_of(widths, 0, col - 1) + px / PIXELS_PER_CHAR)
        return right

    def row_points(self, row: int) -> float:
        return self.heights.get(row, ROW_POINTS)

    def page_breaks(self, page_points: float, room: float = 0.88) -> list[int]:
        """Rows to break before, so no group (a table with its chart) starts on one page and ends
        on the next when it fits on one.

        ``page_points`` is what a page holds. The pages a client breaks by itself (a table longer
        than a page) are followed at that full height, with the repeated header rows on top of
        each, so the estimate keeps track of where a page really starts; a group is moved to a
        new page when it would fill more than ``room`` of it (the estimate errs on the side of room).
        """
        fits = page_points * room
        charts = [(r, r + math.ceil(h / PIXELS_PER_ROW) - 1) for r, _, _, h in self.charts]
        groups = _merge(self.groups + charts, lambda a, b: sum(self.row_points(r) for r in range(a, b + 1)) <= fits)
        breaks: list[int] = []
        used, row = 0.0, 0

        def page_start(at: int) -> float:
            """What a new page holds before row ``at``: the repeated header rows, once they have appeared."""
            if self.repeat is None or at <= self.repeat[1]:
                return 0.0
            return sum(self.row_points(r) for r in range(self.repeat[0], self.repeat[1] + 1))

        def advance(to: int) -> None:
            nonlocal used, row
            while row < to:
                height = self.row_points(row)
                if used + height > page_points:  # the client breaks here by itself
                    used = page_start(row)
                used += height
                row += 1

        for start, end in groups:
            advance(start)
            size = sum(self.row_points(r) for r in range(start, end + 1))
            # Break when the group would run over, fits on a page, and the page is not nearly empty.
            if used > page_points * 0.2 and used + size > fits and size <= fits - page_start(start):
                breaks.append(start)
                used = page_start(start)
            advance(end + 1)
        return breaks


def _merge(ranges: list[tuple[int, int]], fits) -> list[tuple[int, int]]:
    """Overlapping ranges as one (a table and the chart beside it); ranges that only touch (a chart
    right below its table) as one too, when together they fit on a page (``fits(first, last)``):
    a long table followed by a chart and the next table is not one block that can never move."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and (start <= merged[-1][1] or (start == merged[-1][1] + 1 and fits(merged[-1][0], end))):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
