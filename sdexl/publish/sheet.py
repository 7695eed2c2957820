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

Every number gets a format (a float is never shown raw); titles, explanations
and paragraphs wrap across the table's width; ``finish`` sizes the columns to
the formatted values and sets up the printed page (see ``printing``).
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass, field

from sdexl.publish import printing
from sdexl.publish.printing import Layout

CELL_TEXT_LIMIT = 32767  # Excel's maximum characters in one cell
NOTE_WIDTH = 16  # text in a column of figures wraps at this width
FORMULA_STARTS = ("=", "+", "-", "@")

NUMBER_FORMATS = {
    "int": "0",  # counts
    "dec": "0.00",
    "dec1": "0.0",
    "dec3": "0.000",
    "rate": "0.00",  # cases per 1,000
    "p": "0.000",  # p-values
    "pct": "0.0%",  # shares: 0,0 % in a Danish Excel
    "mio": '#,##0.0,, "mio. kr."',  # amounts in kr., shown in millions (the value stays exact)
    "General": "General",
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
    # data row index -> {column: format}, overriding the column's format (a rate row in a table of counts)
    row_formats: dict[int, dict[int, str]] | None = None


@dataclass
class Placed:
    """Where a block landed (0-based rows), for charts that refer to it."""

    header_row: int
    first_row: int
    last_row: int  # equals first_row - 1 when the block has no rows


CHART_NOTE = "Diagrammet er udeladt: alle tal bag det er skjult (x) eller mangler."


class SheetWriter:
    def __init__(self, workbook, name: str, banner: str | None = None):
        self.workbook = workbook
        self.sheet = workbook.add_worksheet(name)
        self.name = name
        self.row = 0
        self.layout = Layout()
        self._formats: dict[tuple, object] = {}
        self._values: dict[tuple[int, int], object] = {}
        self._texts: list[tuple[int, str, tuple]] = []  # wide texts, written by finish across the table width
        if banner:  # e.g. "SYNTETISKE DATA – kun til demonstration", above everything else
            self._wide(0, banner, bold=True, font_size=14, font_color="#C00000")
            self.row = 1

    # -- formats ------------------------------------------------------------
    def fmt(self, kind: str = "text", **extra):
        key = (kind, tuple(sorted(extra.items())) if extra else ())  # most cells have no extras: no sort
        if key not in self._formats:
            props = {"num_format": NUMBER_FORMATS.get(kind, "General"), "valign": "top"}
            props.update(extra)
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    # -- text ---------------------------------------------------------------
    def heading(self, text: str) -> None:
        self._wide(self.row, text, bold=True, font_size=14)
        self.row += 1

    def paragraph(self, text: str, **extra) -> None:
        self._wide(self.row, text, **extra)
        self.row += 1

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def _wide(self, row: int, text: str, **extra) -> None:
        """Text across the table's width, wrapped (written by ``finish`` when the widths are known)."""
        text = text[:CELL_TEXT_LIMIT]
        if text.startswith(FORMULA_STARTS):
            extra["quote_prefix"] = True
        self._texts.append((row, text, tuple(sorted(extra.items()))))

    # -- cells --------------------------------------------------------------
    def cell(self, row: int, col: int, value, kind: str = "text") -> None:
        """Write one value by its Python type; never as a formula or link."""
        if type(value) is str and kind in ("text", "General"):  # most cells: checked before the number types
            self.text(row, col, value)
        elif value is None or (isinstance(value, numbers.Real) and math.isnan(value)):
            self.sheet.write_blank(row, col, None, self.fmt(kind))
        elif isinstance(value, bool):
            self.text(row, col, "Ja" if value else "Nej")
        elif isinstance(value, numbers.Real):
            if kind in ("text", "General"):  # no raw floats: a whole number, or two decimals
                kind = "int" if float(value).is_integer() else "dec"
            self.sheet.write_number(row, col, float(value), self.fmt(kind))
            self._values[(row, col)] = float(value)
            self.layout.measure(col, printing.shown_length(float(value), NUMBER_FORMATS[kind]) + 2)
        elif isinstance(value, (dt.date, dt.datetime)):
            self.text(row, col, value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat())
        elif kind not in ("text", "General"):
            # A reason in a column of figures ("ikke tilgængelig: ..."): wrapped, so it does not
            # widen the column.
            self.text(row, col, str(value), wrap_at=NOTE_WIDTH)
        else:
            self.text(row, col, str(value))

    def text(self, row: int, col: int, value: str, *, wrap_at: int = printing.TEXT_CAP, **extra) -> None:
        """Text in one cell; longer than ``wrap_at`` characters, it wraps in a column that wide."""
        value = value[:CELL_TEXT_LIMIT]
        if value.startswith(FORMULA_STARTS):
            extra["quote_prefix"] = True
        if len(value) > wrap_at:
            extra["text_wrap"] = True
            self.layout.wraps.append((row, col, value, printing.ROW_POINTS))
        self.sheet.write_string(row, col, value, self.fmt("text", **extra))
        self._values[(row, col)] = value
        self.layout.measure(col, min(len(value), wrap_at) + 1)

    # -- tables -------------------------------------------------------------
    def block(self, block: Block) -> Placed:
        start = self.row
        self._wide(start, block.title, bold=True, font_size=12)
        self._wide(start + 1, block.explanation, italic=True)
        self._wide(start + 2, block.base, italic=True)
        header_row = start + 3
        self.header(header_row, block.header)
        for offset, values in enumerate(block.rows, start=1):
            for col, value in enumerate(values):
                kind = block.formats[col] if col < len(block.formats) else "text"
                if block.row_formats and col in block.row_formats.get(offset - 1, {}):
                    kind = block.row_formats[offset - 1][col]
                self.cell(header_row + offset, col, value, kind)
        for col, width in enumerate(block.widths):
            self.layout.declare(col, width)
        last = header_row + len(block.rows)
        self.row = last + 2
        self._keep(start, last, header_row)
        return Placed(header_row, header_row + 1, last)

    def header(self, row: int, names: list[str]) -> None:
        """Column headings, bold and wrapped; the row is made as high as the longest needs."""
        for col, name in enumerate(names):
            self.sheet.write_string(row, col, name, self.fmt(bold=True, bottom=1, text_wrap=True))
            self.layout.wraps.append((row, col, name, printing.ROW_POINTS))
            longest_word = max((len(w) for w in name.split()), default=0)
            self.layout.measure(col, max(longest_word + 2, min(len(name), 12) + 1))

    def _keep(self, first: int, last: int, header_row: int) -> None:
        """Keep a table on one page; the longest table of the sheet repeats its header row."""
        self.layout.groups.append((first, last))
        if last - header_row > self.layout.repeat_length:
            self.layout.repeat, self.layout.repeat_length = (header_row, header_row), last - header_row

    def excel_table(self, name: str, header: list[str], rows: list[list], kinds: list[str]) -> None:
        """Rows as a native Excel Table (for PivotTables and Power Query)."""
        first = self.row
        last = first + max(len(rows), 1)
        columns = [{"header": h} for h in header]
        self.sheet.add_table(
            first, 0, last, max(len(header) - 1, 0), {"name": name, "columns": columns, "style": "Table Style Light 9"}
        )
        for col, h in enumerate(header):
            self.layout.measure(col, len(h) + 4)  # room for the filter button
        for offset, values in enumerate(rows, start=1):
            for col, value in enumerate(values):
                if value is None:
                    continue  # an empty cell of a table needs no cell at all (a sixth of the Data sheet)
                self.cell(first + offset, col, value, kinds[col] if col < len(kinds) else "text")
        if last - first > self.layout.repeat_length:
            self.layout.repeat, self.layout.repeat_length = (first, first), last - first
        self.row = last + 2

    # -- charts -------------------------------------------------------------
    def has_figures(self, first_row: int, last_row: int, cols: list[int]) -> bool:
        """True when at least one cell of ``cols`` in the rows is a number other than zero."""
        return any(
            isinstance(self._values.get((r, c)), float) and self._values[(r, c)] != 0
            for r in range(first_row, last_row + 1)
            for c in cols
        )

    def chart_note(self, anchor_row: int, anchor_col: int, text: str = CHART_NOTE) -> None:
        """Instead of an empty chart: a line saying why there is none."""
        self.sheet.write_string(anchor_row, anchor_col, text, self.fmt(italic=True))
        self._values[(anchor_row, anchor_col)] = text  # a wide text in this row stops before it

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
        counts: bool = False,
        width: int = 560,
        height: int | None = None,
    ) -> None:
        """A native chart of one or more columns of a placed block.

        ``pct``: the values are shares (axis in %); ``counts``: whole numbers (an
        integer axis). A chart with nothing to show (every value hidden, missing
        or zero) is replaced by a note.
        """
        if placed.last_row < placed.first_row:
            return
        if not self.has_figures(placed.first_row, placed.last_row, value_cols):
            self.chart_note(anchor_row, anchor_col)
            return
        chart = self.workbook.add_chart({"type": kind})
        for col, name in zip(value_cols, names):
            chart.add_series(
                {
                    "name": name,
                    "categories": [self.name, placed.first_row, category_col, placed.last_row, category_col],
                    "values": [self.name, placed.first_row, col, placed.last_row, col],
                    # Labels on the bars when there are few; many would overlap.
                    "data_labels": {
                        "value": placed.last_row - placed.first_row < 15,
                        "num_format": "0%" if pct else "0" if counts else "0.00",
                    },
                }
            )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        axis = {"num_format": "0%" if pct else "0" if counts else "0.00", "min": 0, "major_gridlines": {"visible": True}}
        if counts:
            top = max(
                (v for r in range(placed.first_row, placed.last_row + 1) for c in value_cols
                 if isinstance(v := self._values.get((r, c)), float)),
                default=1,
            )
            axis["major_unit"] = max(1, _nice_unit(top))
        (chart.set_x_axis if kind == "bar" else chart.set_y_axis)(axis)
        if kind == "bar":
            chart.set_y_axis({"reverse": True})
        if len(value_cols) == 1:
            chart.set_legend({"none": True})
        else:
            chart.set_legend({"position": "bottom"})
        if height is None:
            height = max(240, 22 * (placed.last_row - placed.first_row + 1) + 120)
        chart.set_size({"width": width, "height": height})
        self.sheet.insert_chart(anchor_row, anchor_col, chart)
        self.layout.charts.append((anchor_row, anchor_col, width, height))

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
        if not self.has_figures(placed.first_row, placed.last_row, [y_col]):
            self.chart_note(anchor_row, anchor_col)
            return
        chart = self.workbook.add_chart({"type": "scatter"})
        chart.add_series(
            {
                "name": title,
                "categories": [self.name, placed.first_row, x_col, placed.last_row, x_col],
                "values": [self.name, placed.first_row, y_col, placed.last_row, y_col],
                "marker": {"type": "circle", "size": 7, "fill": {"color": "#1F4E79"}, "border": {"color": "#FFFFFF"}},
            }
        )
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_x_axis(
            {"name": x_title, "num_format": "#,##0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
        )
        chart.set_y_axis(
            {"name": y_title, "num_format": "0.00", "min": 0, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}}
        )
        chart.set_legend({"none": True})
        chart.set_size({"width": 640, "height": 400})
        self.sheet.insert_chart(anchor_row, anchor_col, chart)
        self.layout.charts.append((anchor_row, anchor_col, 640, 400))

    # -- the printed page -----------------------------------------------------
    def finish(self) -> None:
        """Column widths, wrapped texts and row heights, then the page set-up."""
        layout = self.layout
        widths = layout.widths()
        for col, width in widths.items():
            self.sheet.set_column(col, col, width)
        span = layout.last_col
        while span < 30 and layout.width_of(widths, 0, span) < 60:
            span += 1
        for row, text, extra in self._texts:
            props = dict(extra)
            size = props.get("font_size", 11)
            fmt = self.fmt("text", text_wrap=True, **props)
            last = min([span] + [c - 1 for (r, c) in self._values if r == row and c > 0])
            if last > 0:
                self.sheet.merge_range(row, 0, row, last, text, fmt)
            else:
                self.sheet.write_string(row, 0, text, fmt)
            lines = printing.wrapped_lines(text, layout.width_of(widths, 0, max(last, 0)) * 11 / size)
            if lines > 1:  # one line: the row's own height fits its font
                layout.heights[row] = max(layout.heights.get(row, 0), lines * printing.ROW_POINTS * size / 11 + 1)
        for row, col, text, points in layout.wraps:
            lines = printing.wrapped_lines(text, widths.get(col, printing.DEFAULT_WIDTH))
            if lines > 1:
                layout.heights[row] = max(layout.heights.get(row, 0), lines * points + 1)
        for row, height in layout.heights.items():
            self.sheet.set_row(row, height)
        self._page_setup(widths)

    def _page_setup(self, widths: dict[int, float]) -> None:
        layout = self.layout
        chars = layout.print_chars(widths)
        landscape = chars > printing.PORTRAIT_CHARS
        self.sheet.set_paper(printing.A4)
        (self.sheet.set_landscape if landscape else self.sheet.set_portrait)()
        self.sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        self.sheet.set_header("&C&A", {"margin": 0.25})
        self.sheet.set_footer("&CSide &P af &N", {"margin": 0.25})
        page_chars = printing.LANDSCAPE_FIT_CHARS if landscape else printing.PORTRAIT_FIT_CHARS
        # One page wide, so labels and their figures stay on one page; only a list wider than
        # about three pages' worth (the Data sheet) goes across more than one.
        wide = max(1, math.ceil(chars / printing.WIDEST_CHARS))
        self.sheet.fit_to_pages(wide, 0)
        if layout.repeat is not None and layout.repeat_length > 25:
            self.sheet.repeat_rows(*layout.repeat)
        scale = min(1.0, page_chars * wide / max(chars, 1))
        page_points = (printing.LANDSCAPE_POINTS if landscape else printing.PORTRAIT_POINTS) / scale
        breaks = layout.page_breaks(page_points)
        if breaks:
            self.sheet.set_h_pagebreaks(breaks)


def _nice_unit(top: float) -> int:
    """A major unit giving at most about eight gridlines, in 1, 2, 5, 10, 20, 50, ..."""
    if top <= 8:
        return 1
    step = top / 8
    magnitude = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= step:
            return int(factor * magnitude)
    return int(10 * magnitude)
