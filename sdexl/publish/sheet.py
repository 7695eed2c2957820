"""Writing explained tables and native charts into one xlsxwriter worksheet.

Every table in the master has the same shape, so a reader (and the tests) can
find it by its title:

    row r      title
    row r + 1  explanation (what the figures are, how to read them)
    row r + 2  base: "Grundlag: ..."
    row r + 3  column headings
    row r + 4  data rows, up to the first empty row

Text is always written with ``write_string``: a comment starting with "=" or
"http" stays text. Text that Excel would turn into a formula if someone later
edits the cell also gets a quote prefix.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, field

CELL_TEXT_LIMIT = 32767  # Excel's maximum characters in one cell
FORMULA_STARTS = ("=", "+", "-", "@")

NUMBER_FORMATS = {
    "int": "#,##0",
    "dec": "#,##0.00",
    "dec3": "0.000",
    "p": "0.0000",
    "pct": "0.0%",
    "text": "@",
}


@dataclass
class Block:
    title: str
    explanation: str
    base: str
    header: list[str]
    rows: list[list]
    formats: list[str]  # one of NUMBER_FORMATS per column
    widths: list[float] = field(default_factory=list)


@dataclass
class Placed:
    """Where a block landed (0-based rows), for charts that refer to it."""

    header_row: int
    first_row: int
    last_row: int  # equals first_row - 1 when the block has no rows


class SheetWriter:
    def __init__(self, workbook, name: str, banner: str | None = None):
        self.workbook = workbook
        self.sheet = workbook.add_worksheet(name)
        self.name = name
        self.row = 0
        self._formats: dict[tuple, object] = {}
        if banner:  # e.g. "SYNTETISKE DATA – kun til demonstration", above everything else
            self.sheet.write_string(0, 0, banner, self.fmt(bold=True, font_size=14, font_color="#C00000"))
            self.row = 1

    # -- formats ------------------------------------------------------------
    def fmt(self, kind: str = "text", **extra):
        key = (kind, tuple(sorted(extra.items())))
        if key not in self._formats:
            props = {"num_format": NUMBER_FORMATS.get(kind, "General"), "valign": "top"}
            props.update(extra)
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    # -- text ---------------------------------------------------------------
    def heading(self, text: str) -> None:
        self.sheet.write_string(self.row, 0, text, self.fmt(bold=True, font_size=14))
        self.row += 1

    def paragraph(self, text: str, **extra) -> None:
        self.sheet.write_string(self.row, 0, text, self.fmt(**extra))
        self.row += 1

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    # -- cells --------------------------------------------------------------
    def cell(self, row: int, col: int, value, kind: str = "text") -> None:
        """Write one value by its Python type; never as a formula or link."""
        if value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
            self.sheet.write_blank(row, col, None, self.fmt(kind))
        elif isinstance(value, bool):
            self.sheet.write_string(row, col, "Ja" if value else "Nej", self.fmt("text"))
        elif isinstance(value, numbers.Real):
            self.sheet.write_number(row, col, float(value), self.fmt(kind if kind != "text" else "General"))
        elif isinstance(value, (dt.date, dt.datetime)):
            self.sheet.write_string(
                row,
                col,
                value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat(),
                self.fmt("text"),
            )
        else:
            self.text(row, col, str(value))

    def text(self, row: int, col: int, value: str) -> None:
        value = value[:CELL_TEXT_LIMIT]
        extra = {"quote_prefix": True} if value.startswith(FORMULA_STARTS) else {}
        self.sheet.write_string(row, col, value, self.fmt("text", **extra))

    # -- tables -------------------------------------------------------------
    def block(self, block: Block) -> Placed:
        start = self.row
        self.sheet.write_string(start, 0, block.title, self.fmt(bold=True, font_size=12))
        self.sheet.write_string(start + 1, 0, block.explanation, self.fmt(italic=True))
        self.sheet.write_string(start + 2, 0, block.base, self.fmt(italic=True))
        header_row = start + 3
        for col, name in enumerate(block.header):
            self.sheet.write_string(header_row, col, name, self.fmt(bold=True, bottom=1, text_wrap=True))
        for offset, values in enumerate(block.rows, start=1):
            for col, value in enumerate(values):
                kind = block.formats[col] if col < len(block.formats) else "text"
                self.cell(header_row + offset, col, value, kind)
        for col, width in enumerate(block.widths):
            self.sheet.set_column(col, col, width)
        last = header_row + len(block.rows)
        self.row = last + 2
        return Placed(header_row, header_row + 1, last)

    def excel_table(self, name: str, header: list[str], rows: list[list], kinds: list[str]) -> None:
        """Rows as a native Excel Table (for PivotTables and Power Query)."""
        first = self.row
        last = first + max(len(rows), 1)
        columns = [{"header": h} for h in header]
        self.sheet.add_table(
            first, 0, last, max(len(header) - 1, 0), {"name": name, "columns": columns, "style": "Table Style Light 9"}
        )
        for offset, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                self.cell(first + offset, col, value, kinds[col] if col < len(kinds) else "text")
        self.row = last + 2

    # -- charts -------------------------------------------------------------
    def bar_chart(
        self,
        placed: Placed,
        value_cols: list[int],
        names: list[str],
        title: str,
        *,
        anchor_col: int,
        anchor_row: int,
        kind: str = "bar",
        pct: bool = True,
        category_col: int = 0,
    ) -> None:
        """A native chart of one or more columns of a placed block."""
        if placed.last_row < placed.first_row:
            return
        chart = self.workbook.add_chart({"type": kind})
        for col, name in zip(value_cols, names):
            chart.add_series(
                {
                    "name": name,
                    "categories": [self.name, placed.first_row, category_col, placed.last_row, category_col],
                    "values": [self.name, placed.first_row, col, placed.last_row, col],
                }
            )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        axis = {"num_format": "0%" if pct else "General", "min": 0}
        (chart.set_x_axis if kind == "bar" else chart.set_y_axis)(axis)
        if kind == "bar":
            chart.set_y_axis({"reverse": True})
        if len(value_cols) == 1:
            chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": max(240, 22 * (placed.last_row - placed.first_row + 1) + 120)})
        self.sheet.insert_chart(anchor_row, anchor_col, chart)

    def scatter_chart(
        self,
        placed: Placed,
        x_col: int,
        y_col: int,
        title: str,
        x_title: str,
        y_title: str,
        *,
        anchor_col: int,
        anchor_row: int,
    ) -> None:
        if placed.last_row < placed.first_row:
            return
        chart = self.workbook.add_chart({"type": "scatter"})
        chart.add_series(
            {
                "name": title,
                "categories": [self.name, placed.first_row, x_col, placed.last_row, x_col],
                "values": [self.name, placed.first_row, y_col, placed.last_row, y_col],
                "marker": {"type": "circle", "size": 6},
            }
        )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_x_axis({"name": x_title})
        chart.set_y_axis({"name": y_title})
        chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": 340})
        self.sheet.insert_chart(anchor_row, anchor_col, chart)
