"""Writing one municipality's report as a Danish workbook, laid out for print.

Four sheets, each printed A4 portrait and fitted to the page width, with the
municipality and the sheet in the page header and "Side N af M" below:

* Forside: key figures beside the KKR, the comparable municipalities and the
  country, with rank and quartile; the comparison group and its method;
* Fordelinger (case surveys) or Intervaller (the aggregate survey): each
  question's distribution beside the groups, as a table and a native chart,
  with a sentence where the municipality differs clearly;
* Udvikling: the change from the previous opgørelse;
* Datakvalitet og metode: the municipality's own files and what was
  corrected, the method, the bases and the sources.

Text is always written as text (never a formula or a link).
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import xlsxwriter

from sdexl import __version__
from sdexl.analysis.suppress import HIDDEN
from sdexl.report.figures import (
    GROUPS,
    KKR,
    LAND,
    MIN_BASE,
    MIN_DIFFERENCE,
    MIN_OTHERS,
    OWN,
    PEERS,
    TOO_FEW,
    ItemFigures,
    KeyFigure,
    ReportFigures,
    highlights,
)
from sdexl.report.quality import OUTCOMES, Quality

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
SYNTHETIC_BANNER = "SYNTETISKE DATA – kun til demonstration. Tallene siger intet om virkelige kommuner."
FORMULA_STARTS = ("=", "+", "-", "@")

# Column widths (characters): a label column, four groups, rank and quartile.
WIDTHS = [26, 14, 14, 15.5, 14, 10, 10]
LAST_COL = len(WIDTHS) - 1
CHARS_PER_LINE = 100
HEADING_CHARS = 80  # of a 12 pt bold heading over all columns  # of a paragraph merged over all columns, in the default font
ROW_PT = 15.0
RATE_CHART_PX = 240  # the front page's column chart: low enough to share the page with the key figures
PAGE_PT = 840.0  # content per A4 page in row points after fitting the width (LibreOffice with Carlito, as Excel)
CHART_WIDTH = 660
COLOURS = {OWN: "#1F4E79", KKR: "#9DC3E6", PEERS: "#F4B183", LAND: "#A9A9A9"}
FORMATS = {
    "int": "#,##0",
    "dec": "0.00",
    "pct": "0%",
    "pct1": "0.0%",
    "text": "@",
    # changes carry their sign
    "chg": "+#,##0;-#,##0;0",
    "chgdec": "+0.00;-0.00;0.00",
    "chgpct": "+0%;-0%;0%",
}


def danish_number(value: float, decimals: int = 2) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u00a0").replace(".", ",").replace("\u00a0", ".")


def shown(value, kind: str) -> str:
    """A published value as a sentence gives it."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if kind == "pct":
            return f"{danish_number(value * 100, 0)} %"
        if kind == "int":
            return danish_number(value, 0)
        return danish_number(value, 2)
    return str(value)


class ReportSheet:
    """One printed sheet: rows are written top to bottom, and pages break between sections."""

    def __init__(self, workbook, name: str, header: str, banner: str | None):
        self.workbook = workbook
        self.name = name
        self.sheet = workbook.add_worksheet(name)
        self.row = 0
        self.used = 0.0  # points used on the current page
        self.breaks: list[int] = []
        self._formats: dict[tuple, object] = {}
        for col, width in enumerate(WIDTHS):
            self.sheet.set_column(col, col, width)
        self.sheet.set_paper(9)  # A4
        self.sheet.set_portrait()
        self.sheet.fit_to_pages(1, 0)
        self.sheet.set_margins(left=0.5, right=0.5, top=0.8, bottom=0.7)
        self.sheet.set_header(f"&L&9{_header_text(header)}&R&9&A", {"margin": 0.3})
        self.sheet.set_footer("&L&8sdexl&R&9Side &P af &N", {"margin": 0.3})
        self.sheet.hide_gridlines(2)
        if banner:
            self.paragraph(banner, bold=True, font_color="#C00000")

    def fmt(self, kind: str = "text", **extra):
        key = (kind, tuple(sorted(extra.items())))
        if key not in self._formats:
            props = {"num_format": FORMATS.get(kind, "General"), "valign": "top", "font_size": 10}
            if kind != "text":
                props["indent"] = 1  # right-aligned numbers keep a gap to the next column
            props.update(extra)
            self._formats[key] = self.workbook.add_format(props)
        return self._formats[key]

    # -- pages ----------------------------------------------------------------
    def keep(self, points: float) -> None:
        """Start a new page unless ``points`` fit on this one (sections are not split)."""
        if self.used and self.used + points > PAGE_PT:
            self.breaks.append(self.row)
            self.used = 0.0

    def new_page(self) -> None:
        if self.used:
            self.breaks.append(self.row)
            self.used = 0.0

    def _advance(self, height: float, rows: int = 1) -> None:
        self.row += rows
        self.used += height

    def close(self) -> None:
        if self.breaks:
            self.sheet.set_h_pagebreaks(self.breaks)
        self.sheet.print_area(0, 0, max(self.row, 1), LAST_COL)

    # -- text -----------------------------------------------------------------
    def title(self, text: str, size: int = 18) -> None:
        height = size * 1.6
        self.sheet.set_row(self.row, height)
        self.sheet.write_string(self.row, 0, text, self.fmt(bold=True, font_size=size, font_color="#1F4E79"))
        self._advance(height)

    def heading(self, text: str) -> None:
        """A section heading over the full width; a long question wraps onto a second line."""
        lines = max(1, math.ceil(len(text) / HEADING_CHARS))
        height = 21 + 16 * (lines - 1)
        self.sheet.set_row(self.row, height)
        fmt = self.fmt(bold=True, font_size=12, font_color="#1F4E79", bottom=1, text_wrap=True, valign="bottom")
        self.sheet.merge_range(self.row, 0, self.row, LAST_COL, "", fmt)
        self.sheet.write_string(self.row, 0, _safe(text), fmt)
        self._advance(height)

    def paragraph(self, text: str, **extra) -> None:
        text = _safe(text)
        lines = max(1, math.ceil(len(text) / CHARS_PER_LINE) + text.count("\n"))
        height = ROW_PT * lines + (2 if lines > 1 else 0)
        self.sheet.set_row(self.row, height)
        self.sheet.merge_range(self.row, 0, self.row, LAST_COL, "", self.fmt(text_wrap=True, **extra))
        self.sheet.write_string(self.row, 0, text, self.fmt(text_wrap=True, **extra))
        self._advance(height)

    def skip(self, rows: int = 1) -> None:
        self._advance(ROW_PT * rows, rows)

    # -- tables ---------------------------------------------------------------
    def table(self, header: list[str], rows: list[list], kinds: list[str], header_height: float = 30,
              spans: list[tuple[int, int]] | None = None) -> tuple[int, int]:
        """Header and rows from column A; returns (first data row, last data row).

        ``spans``: the sheet columns (first, last) of each table column, for text wider than one column.
        """
        spans = spans or [(i, i) for i in range(len(header))]
        self.sheet.set_row(self.row, header_height)
        for col, name in enumerate(header):
            head = self.fmt(bold=True, text_wrap=True, bottom=1, bg_color="#DEEAF6", valign="bottom",
                            **({} if col == 0 or kinds[col] == "text" else {"align": "right"}))
            self._put(self.row, spans[col], name, "text", head)
        self._advance(header_height)
        first = self.row
        for values in rows:
            lines = max(
                [1] + [math.ceil(len(v) / (sum(WIDTHS[a:b + 1]) * 1.05)) for v, (a, b) in zip(values, spans)
                       if isinstance(v, str)]
            )
            height = ROW_PT * min(lines, 4)
            if lines > 1:
                self.sheet.set_row(self.row, height)
            for col, value in enumerate(values):
                kind = kinds[col] if col < len(kinds) else "text"
                self._put(self.row, spans[col], value, kind, None, first_col=col == 0 or kind == "text")
            self._advance(height)
        return first, self.row - 1

    def _put(self, row: int, span: tuple[int, int], value, kind: str, fmt, first_col: bool = False) -> None:
        a, b = span
        if b > a:
            self.sheet.merge_range(row, a, row, b, "", fmt or self.fmt("text", text_wrap=True))
        if fmt is not None:
            self.sheet.write_string(row, a, _safe(str(value)), fmt)
        else:
            self.cell(row, a, value, kind, first_col=first_col)

    def cell(self, row: int, col: int, value, kind: str, first_col: bool = False) -> None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.sheet.write_blank(row, col, None, self.fmt(kind))
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            self.sheet.write_number(row, col, float(value), self.fmt(kind))
        else:
            extra = {} if first_col else {"align": "right", "indent": 1}
            self.sheet.write_string(row, col, _safe(str(value)), self.fmt("text", text_wrap=True, **extra))

    # -- charts ---------------------------------------------------------------
    def bar_chart(self, first: int, last: int, series: list[tuple[int, str, str]], title: str, *, pct: bool,
                  kind: str = "bar") -> None:
        """A native chart of columns of the rows ``first``..``last`` (categories in column A), below them."""
        if last < first:
            return
        chart = self.workbook.add_chart({"type": kind})
        for col, name, colour in series:
            chart.add_series({
                "name": name,
                "categories": [self.name, first, 0, last, 0],
                "values": [self.name, first, col, last, col],
                "fill": {"color": colour},
                "border": {"none": True},
                "gap": 60,
            })
        chart.set_title({"name": title, "name_font": {"size": 10, "bold": True}})
        axis = {"num_format": "0%" if pct else "0.0", "min": 0, "major_gridlines": {"visible": True,
                                                                                    "line": {"color": "#D9D9D9"}}}
        if kind == "bar":
            chart.set_x_axis(axis)
            chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
        else:
            chart.set_y_axis(axis)
            chart.set_x_axis({"num_font": {"size": 8}})
        chart.set_legend({"position": "bottom", "font": {"size": 8}} if len(series) > 1 else {"none": True})
        categories = last - first + 1
        height = (80 + categories * (5 * len(series) + 6)) if kind == "bar" else 260
        height = max(200, min(height, 620))
        chart.set_size({"width": CHART_WIDTH, "height": height})
        chart.set_chartarea({"border": {"none": True}})
        self.sheet.insert_chart(self.row, 0, chart, {"x_offset": 2, "y_offset": 4, "object_position": 1})
        rows = math.ceil(height * 0.75 / ROW_PT) + 1
        self._advance(rows * ROW_PT, rows)


def chart_points(categories: int, series: int, kind: str = "bar") -> float:
    height = (80 + categories * (5 * series + 6)) if kind == "bar" else RATE_CHART_PX
    return (math.ceil(max(200, min(height, 620)) * 0.75 / ROW_PT) + 1) * ROW_PT


def _safe(text: str) -> str:
    return text[:32767]  # Excel's limit for one cell


def _header_text(text: str) -> str:
    return text.replace("&", "&&")


# -- the report ---------------------------------------------------------------


def write_report(path: Path, figures: ReportFigures, ctx, quality: Quality, synthetic: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    mark = "SYNTETISKE DATA: " if synthetic else ""
    workbook.set_properties({
        "title": f"{mark}{ctx.survey.title} – rapport for {figures.name}",
        "subject": f"{ctx.survey.round}, referencedato {ctx.survey.reference_text}",
        "author": "sdexl",
        "comments": f"{mark}sdexl {__version__}",
    })
    banner = SYNTHETIC_BANNER if synthetic else None
    header = f"{figures.name} · {ctx.survey.title} · {ctx.survey.round}"
    sheets = [
        ("Forside", write_front),
        ("Intervaller" if ctx.survey.kind == "aggregate" else "Fordelinger", write_distributions),
        ("Udvikling", write_development),
        ("Datakvalitet og metode", write_method),
    ]
    for name, writer in sheets:
        sheet = ReportSheet(workbook, name, header, banner)
        writer(sheet, figures, ctx, quality)
        sheet.close()
    workbook.close()
    return path


def _group_header(figures: ReportFigures) -> list[str]:
    """Column headings of the four groups ('Sammenlignelige' is short enough for its column)."""
    return [figures.label(key) if key != PEERS else "Sammenlignelige" for key in GROUPS]


def write_front(sheet: ReportSheet, figures: ReportFigures, ctx, quality: Quality) -> None:
    survey = ctx.survey
    sheet.title(f"{figures.name}")
    sheet.title("Særligt dyre enkeltsager – kommunens egne tal og sammenligning", size=13)
    sheet.paragraph(
        f"{survey.title}, {survey.round}. Referencedato: {survey.reference_text}. "
        f"Rapporten er dannet {ctx.generated:%d.%m.%Y}.",
        italic=True,
    )
    sheet.skip()
    sheet.paragraph(
        f"Rapporten viser tallene for {figures.name} side om side med {figures.kkr}, en gruppe af "
        "sammenlignelige kommuner og hele landet. Kommunens egne tal er vist præcist, som kommunen har indberettet "
        "dem. Tal for andre kommuner er altid lagt sammen for en gruppe, og små tal er skjult, så ingen borger "
        "kan genkendes."
    )
    if len(figures.pooled_surveys) > 1:
        sheet.paragraph(pooled_text(ctx, figures.pooled_surveys), italic=True)
    sheet.skip()
    sheet.heading("Nøgletal")
    header = ["", *_group_header(figures), "Placering", "Kvartil"]
    rows = [key_row(f) for f in figures.key_figures]
    rows.append(["Deltagende kommuner i gruppen (n)", *[len(figures.groups[k].members) for k in GROUPS], "", ""])
    kinds_by_row = [f.kind for f in figures.key_figures] + ["int"]
    first, _ = sheet.table(header, [], ["text"] + ["int"] * 6)
    for values, kind in zip(rows, kinds_by_row):
        for col, value in enumerate(values):
            sheet.cell(sheet.row, col, value, "text" if col > 4 else kind, first_col=col == 0)
        sheet._advance(ROW_PT)
    sheet.paragraph(key_base_text(figures, ctx), italic=True, font_size=9)
    sheet.skip()
    for text in key_sentences(figures):
        sheet.paragraph(text)
    write_highlights(sheet, figures, ctx)
    sheet.heading("Sammenligningsgruppe")
    sheet.paragraph(peers_text(figures, ctx))
    sheet.paragraph(figures.peers_method, italic=True, font_size=9)
    sheet.skip()
    rate_row = first + 1
    sheet.keep(chart_points(4, 1, "column") + ROW_PT)
    _rate_chart(sheet, figures, rate_row)
    if ctx.snapshot.survey.kind == "aggregate":
        share_table(sheet, figures, ctx)
    sheet.keep(ROW_PT * 9)
    sheet.heading("Sådan læses rapporten")
    for text in reading_guide(figures, ctx):
        sheet.paragraph(text, font_size=9)


def write_highlights(sheet: ReportSheet, figures: ReportFigures, ctx) -> None:
    """Where the municipality stands out from the whole country, across every question (the clearest first)."""
    found = highlights(figures)
    where = "Intervaller" if ctx.survey.kind == "aggregate" else "Fordelinger"
    sheet.keep(21 + ROW_PT * (2 * len(found) + 3))
    sheet.heading(f"Hvor {figures.name} skiller sig ud")
    if not found:
        sheet.paragraph(
            f"På intet spørgsmål afviger andelene for {figures.name} mindst {round(MIN_DIFFERENCE * 100)} procentpoint fra "
            f"hele landet med et grundlag på mindst {MIN_BASE} (se fanen {where})."
            if figures.items else "Undersøgelsen har ingen fordelinger at sammenligne."
        )
    for title, text in found:
        sheet.paragraph(f"{title}: {text}")
    if found:
        sheet.paragraph(f"Alle spørgsmål står på fanen {where}.", italic=True, font_size=9)
    sheet.skip()


def pooled_text(ctx, survey_ids: list[str]) -> str:
    rounds = [ctx.snapshots[s].survey.round for s in survey_ids if s in ctx.snapshots]
    return (
        f"{' og '.join(rounds)} har samme referencedato ({ctx.survey.reference_text}) og indgår som én samlet "
        "opgørelse (samlet udgangspunkt): hver kommune tæller én gang, med sit seneste svar."
    )


def key_row(figure: KeyFigure) -> list:
    rank = f"{figure.rank} af {figure.ranked}" if figure.rank else ""
    quartile = str(figure.quartile) if figure.quartile else ""
    return [figure.label, *[figure.values[k] for k in GROUPS], rank, quartile]


def key_base_text(figures: ReportFigures, ctx) -> str:
    population = ctx.population.quarter or "ikke importeret"
    return (
        f"Grundlag: kommunens eget svar; {figures.kkr}: {len(figures.groups[KKR].members)} deltagende kommuner; "
        f"sammenlignelige kommuner: {len(figures.groups[PEERS].members)} af {len(figures.peers_all)} deltog; "
        f"hele landet: {len(figures.groups[LAND].members)} deltagende kommuner. Befolkning 18-66 år: {population}. "
        "Placering: 1 = den højeste værdi blandt de deltagende kommuner. Kvartil 1 = den fjerdedel af kommunerne "
        "med de laveste værdier, kvartil 4 = den fjerdedel med de højeste."
    )


def key_sentences(figures: ReportFigures) -> list[str]:
    out = []
    cases = figures.key_figures[0]
    rate = figures.key_figures[1]
    own = figures.name
    if isinstance(cases.values[OWN], numbers.Real):
        text = f"{own} har {shown(cases.values[OWN], 'int')} borgere over 2 mio. kr."
        if isinstance(rate.values[OWN], numbers.Real):
            text += f", svarende til {shown(rate.values[OWN], 'dec')} pr. 1.000 18-66-årige"
            land = rate.values[LAND]
            if isinstance(land, numbers.Real):
                text += f" mod {shown(land, 'dec')} i hele landet"
            peers = rate.values[PEERS]
            if isinstance(peers, numbers.Real):
                text += f" og {shown(peers, 'dec')} i de sammenlignelige kommuner"
        text += "."
        if rate.rank:
            text += (
                f" Målt pr. 1.000 18-66-årige er {own} nr. {rate.rank} af {rate.ranked} deltagende kommuner "
                f"og ligger i {QUARTILE_WORDS[rate.quartile]}."
            )
        out.append(text)
    for figure in figures.key_figures[2:]:
        value = figure.values[OWN]
        if isinstance(value, numbers.Real):
            text = f"{shown(value, 'pct')} af kommunens borgere i botilbud koster over 2 mio. kr."
            if isinstance(figure.values[LAND], numbers.Real):
                text += f" I hele landet er andelen {shown(figure.values[LAND], 'pct')}."
            out.append(text)
    return out


QUARTILE_WORDS = {
    1: "den fjerdedel af kommunerne med de laveste tal (1. kvartil)",
    2: "den næstlaveste fjerdedel (2. kvartil)",
    3: "den næsthøjeste fjerdedel (3. kvartil)",
    4: "den fjerdedel af kommunerne med de højeste tal (4. kvartil)",
    None: "",
}


def _rate_chart(sheet: ReportSheet, figures: ReportFigures, rate_row: int) -> None:
    """Borgere pr. 1.000 18-66-årige for the four groups, from the key-figure table's rate row."""
    chart = sheet.workbook.add_chart({"type": "column"})
    chart.add_series({
        "name": "Pr. 1.000 18-66-årige",
        "categories": [sheet.name, rate_row - 2, 1, rate_row - 2, 4],
        "values": [sheet.name, rate_row, 1, rate_row, 4],
        "points": [{"fill": {"color": COLOURS[k]}} for k in GROUPS],
        "data_labels": {"value": True, "num_format": "0.00"},
        "gap": 80,
    })
    chart.set_title({"name": "Borgere over 2 mio. kr. pr. 1.000 18-66-årige", "name_font": {"size": 10}})
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "num_format": "0.0", "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_size({"width": CHART_WIDTH, "height": RATE_CHART_PX})
    chart.set_chartarea({"border": {"none": True}})
    sheet.sheet.insert_chart(sheet.row, 0, chart, {"x_offset": 2, "y_offset": 4, "object_position": 1})
    rows = math.ceil(RATE_CHART_PX * 0.75 / ROW_PT) + 1
    sheet._advance(rows * ROW_PT, rows)


def share_table(sheet: ReportSheet, figures: ReportFigures, ctx) -> None:
    from sdexl.report.national import botilbud_share_rows

    rows, base = botilbud_share_rows(ctx)
    if not rows:
        return
    sheet.keep(ROW_PT * (len(rows) + 5))
    sheet.heading("Andel af alle borgere i botilbud, der er over 2 mio. kr., pr. KKR")
    sheet.table(["", "Over 2 mio. kr. (spm. 2)", "I botilbud i alt (spm. 1)", "Andel", "Kommuner (n)"], rows,
                ["text", "int", "int", "pct1", "int"])
    sheet.paragraph(base, italic=True, font_size=9)
    sheet.skip()


def peers_text(figures: ReportFigures, ctx) -> str:
    from sdexl.reference import by_code

    if not figures.peers_all:
        return (
            f"{figures.name} har ingen sammenligningsgruppe, fordi referencedata mangler; kolonnen "
            "Sammenlignelige kommuner er derfor tom."
        )
    taking_part = set(ctx.participants)
    names = [by_code()[c].name + ("" if c in taking_part else " (deltog ikke)") for c in figures.peers_all]
    return f"{figures.name} sammenlignes med: {', '.join(names)}."


def reading_guide(figures: ReportFigures, ctx) -> list[str]:
    t = figures.threshold
    distributions = "Intervaller" if ctx.survey.kind == "aggregate" else "Fordelinger"
    return [
        f"Fanen {distributions} viser for hvert {'interval' if ctx.survey.kind == 'aggregate' else 'spørgsmål'} "
        "kommunens fordeling side om side med grupperne som tabel og diagram. Fanen Udvikling viser ændringen "
        "siden den forrige opgørelse, og fanen Datakvalitet og metode viser, hvad der er modtaget og rettet, "
        "og hvordan tallene er beregnet.",
        f"Små tal: For grupperne vises et antal mellem 1 og {t - 1} som \"{HIDDEN}\", og det samme gør en andel "
        "eller ændring beregnet af et sådant tal. Et tal kan også være skjult, fordi det ellers kunne regnes "
        f"ud fra de viste tal, også når kommunens egne tal trækkes fra KKR'ens eller hele landets (de andre "
        f"kommuner må ikke stå tilbage med 1 til {t - 1} borgere). En gruppe med færre end {MIN_OTHERS} andre deltagende kommuner end kommunen selv "
        f"vises som \"{TOO_FEW}\". Kommunens egne tal skjules ikke.",
        f"Tydelige forskelle: En sætning under en tabel nævner et svar, hvor kommunens andel afviger mindst "
        f"{round(MIN_DIFFERENCE * 100)} procentpoint fra hele landet eller de sammenlignelige kommuner, og hvor "
        f"begge grundlag er mindst {MIN_BASE}.",
    ]


# -- distributions ------------------------------------------------------------


def write_distributions(sheet: ReportSheet, figures: ReportFigures, ctx, quality: Quality) -> None:
    aggregate = ctx.survey.kind == "aggregate"
    sheet.title("Intervaller" if aggregate else "Fordelinger", size=14)
    intro = (
        "Kommunens fordeling på hvert interval side om side med grupperne, i procent af alle borgere i "
        "intervallerne." if aggregate else
        "Kommunens svar på hvert spørgsmål side om side med grupperne, i procent af de sager, der har et svar."
    )
    sheet.paragraph(intro + f" Antal er kun vist for {figures.name}; de øvrige kolonner er andele.")
    if figures.key_figures[0].values[OWN] == 0:
        sheet.paragraph(f"{figures.name} har ingen borgere over 2 mio. kr.; tabellerne viser kun grupperne.", bold=True)
    sheet.skip()
    for item in figures.items:
        write_item(sheet, figures, item)


def write_item(sheet: ReportSheet, figures: ReportFigures, item: ItemFigures) -> None:
    rows = len(item.categories)
    needed = 21 + ROW_PT * (len(item.sentences) + rows + 4) + 30 + chart_points(rows, 4)
    sheet.keep(needed)
    sheet.heading(item.item.title)
    for text in item.sentences:
        sheet.paragraph(text, bold=True, font_color="#1F4E79")
    header = ["Svar" if item.item.kind == "choice" else "Interval", f"{figures.name}, antal",
              *_group_header(figures)]
    table_rows = [
        [category, item.own_counts[i], *[item.shares[k][i] for k in GROUPS]]
        for i, category in enumerate(item.categories)
    ]
    first, last = sheet.table(header, table_rows, ["text", "int", "pct", "pct", "pct", "pct"])
    base_row = ["Grundlag (n)", item.bases[OWN],
                *[TOO_FEW if figures.groups[k].too_few else HIDDEN if k in item.hidden_bases else item.bases[k]
                  for k in GROUPS]]
    base_row[2] = ""
    for col, value in enumerate(base_row):
        sheet.cell(sheet.row, col, value, "int", first_col=col == 0)
    sheet._advance(ROW_PT)
    unit = "borgere" if item.item.kind == "bands" else "sager med svar"
    note = f"Grundlag: antal {unit}."
    if item.item.multi:
        note += " Flere svar er mulige, så andelene kan give mere end 100 %."
    sheet.paragraph(note, italic=True, font_size=9)
    series = [(2 + i, figures.label(k), COLOURS[k]) for i, k in enumerate(GROUPS)]
    sheet.bar_chart(first, last, series, "Andel i procent", pct=True)
    sheet.skip()


# -- development --------------------------------------------------------------


def write_development(sheet: ReportSheet, figures: ReportFigures, ctx, quality: Quality) -> None:
    sheet.title("Udvikling", size=14)
    dev = figures.development
    if dev is None:
        sheet.paragraph(
            "Der er ingen tidligere opgørelse at sammenligne med i denne rapport. Udviklingen vises, når data fra "
            "en tidligere runde er indsamlet eller indlæst (sdexl import)."
        )
        return
    sheet.paragraph(
        f"Ændringen fra {dev.before.label} til {dev.after.label}. Kun kommuner, der deltog i begge opgørelser, "
        f"indgår i en gruppe, så ændringen ikke blot viser, hvem der deltog ({dev.paired} kommuner i hele landet)."
    )
    if not dev.own_paired:
        sheet.paragraph(f"{figures.name} deltog ikke i begge opgørelser; kommunens egen række er derfor tom.", bold=True)
    if dev.method_changed:
        sheet.paragraph(
            "Bemærk metodeskiftet: I den første opgørelse blev borgerne fundet ved en screening, sag for sag; i "
            "den seneste er antallet optalt i kommunernes sagssystemer. En del af ændringen kan skyldes metoden, "
            "ikke en reel udvikling.",
            bold=True,
            font_color="#C00000",
        )
    if dev.pooled_before:
        sheet.paragraph(pooled_text(ctx, dev.before.survey_ids), italic=True)
    for text in development_sentences(figures):
        sheet.paragraph(text, bold=True, font_color="#1F4E79")
    sheet.skip()
    header = ["", "Kommuner i begge (n)", dev.before.label, dev.after.label, "Ændring", "Ændring i %"]
    sheet.heading("Antal borgere over 2 mio. kr.")
    sheet.table(header, [_change_values(r) for r in dev.cases], ["text", "int", "int", "int", "chg", "chgpct"])
    sheet.skip()
    sheet.heading("Borgere over 2 mio. kr. pr. 1.000 18-66-årige")
    first, last = sheet.table(header, [_change_values(r) for r in dev.rate],
                              ["text", "int", "dec", "dec", "chgdec", "chgpct"])
    sheet.paragraph(
        "Raten bruger samme befolkningstal for begge opgørelser "
        f"({ctx.population.quarter or 'ikke importeret'}), så en ændring er en ændring i antallet af borgere i "
        "forhold til befolkningen i dag.",
        italic=True,
        font_size=9,
    )
    sheet.skip()
    sheet.keep(chart_points(4, 2, "column"))
    sheet.bar_chart(first, last, [(2, dev.before.label, "#BDD7EE"), (3, dev.after.label, "#1F4E79")],
                    "Borgere over 2 mio. kr. pr. 1.000 18-66-årige", pct=False, kind="column")


def development_sentences(figures: ReportFigures) -> list[str]:
    """'Ballerup er gået fra 21 til 31 borgere over 2 mio. kr. (+48 %). I hele landet ...' where both are shown."""
    dev = figures.development
    own, land = dev.cases[0], dev.cases[-1]
    if not dev.own_paired or not isinstance(own.before, numbers.Real) or not isinstance(own.after, numbers.Real):
        return []
    if own.after == own.before:
        text = f"{figures.name} har {shown(own.after, 'int')} borgere over 2 mio. kr. i begge opgørelser."
    else:
        text = (
            f"{figures.name} er gået fra {shown(own.before, 'int')} til {shown(own.after, 'int')} borgere over "
            "2 mio. kr."
        )
        if isinstance(own.relative, numbers.Real):
            text += f" ({'+' if own.relative > 0 else '−'}{shown(abs(own.relative), 'pct')})."
        else:
            text += "."
    if isinstance(land.relative, numbers.Real):
        word = "steget" if land.relative > 0 else "faldet" if land.relative < 0 else "uændret"
        amount = f" {shown(abs(land.relative), 'pct')}" if land.relative else ""
        text += f" I hele landet er antallet {word}{amount} blandt de kommuner, der deltog begge gange."
    return [text]


def _change_values(row) -> list:
    return [row.label, row.n, row.before, row.after, row.change, row.relative]


# -- quality and method -------------------------------------------------------


def write_method(sheet: ReportSheet, figures: ReportFigures, ctx, quality: Quality) -> None:
    survey = ctx.survey
    sheet.title("Datakvalitet og metode", size=14)
    sheet.heading(f"Det har vi modtaget fra {figures.name}")
    if quality.imported_from:
        sheet.paragraph(
            f"Tallene for denne opgørelse er indlæst fra en tidligere samlet opgørelse ({quality.imported_from}).",
            italic=True,
        )
    rows = [[f.received, f.verdict + (" – bruges i rapporten" if f.current else ""), f.cases] for f in quality.files]
    unit = "Borgere i filen" if survey.kind == "aggregate" else "Sager i filen"
    sheet.table(["Modtaget", "Vurdering", unit], rows, ["text", "text", "int"], spans=[(0, 0), (1, 4), (5, 6)])
    sheet.skip()
    fixed, excluded, notes = (quality.count(k) for k in ("fixed", "excluded", "note"))
    if not quality.issues:
        sheet.paragraph("Den gældende fil blev læst uden bemærkninger: intet er rettet eller udeladt.")
    else:
        sheet.paragraph(quality_text(fixed, excluded, notes))
        sheet.table(["Hvad", "Antal", "Hvor (fane og celle)"],
                    [[f"{OUTCOMES[i.outcome].split(':')[0]}: {i.title}", i.count, i.where] for i in quality.issues],
                    ["text", "int", "text"], spans=[(0, 0), (1, 1), (2, 6)])
    sheet.skip()
    sheet.keep(ROW_PT * 14)
    sheet.heading("Metode")
    for text in method_texts(figures, ctx):
        sheet.paragraph(text)
    sheet.skip()
    sheet.keep(ROW_PT * 10)
    sheet.heading("Kilder")
    sources = [
        ["Kommunernes svar", f"{survey.id}: {survey.title}, {survey.round}", f"{len(ctx.participants)} kommuner"],
        ["Befolkning 18-66 år", "Danmarks Statistik, FOLK1A", ctx.population.quarter or "ikke importeret"],
        ["Socioøkonomisk indeks", "importeret indeks (sammenligningsgruppen)",
         f"{len(ctx.socio)} kommuner" if ctx.socio else "ikke importeret"],
        ["Kommuner og KKR", "sdexl (kommuner.csv)", "98 kommuner"],
        ["Definitionsversion", ctx.snapshot.survey_version, f"sdexl {__version__}"],
    ]
    sheet.table(["Data", "Kilde", "Periode / omfang"], sources, ["text"] * 3, spans=[(0, 0), (1, 4), (5, 6)])


def quality_text(fixed: int, excluded: int, notes: int) -> str:
    """What happened to the answers of the current file, in one sentence or two."""
    parts = []
    if fixed:
        parts.append(f"rettet {fixed} svar, som vi kunne læse entydigt (f.eks. en svarmulighed skrevet med et "
                     "ekstra mellemrum)")
    if excluded:
        parts.append(f"udeladt {excluded} svar med fejl")
    if notes:
        parts.append(f"noteret {notes} {'bemærkning' if notes == 1 else 'bemærkninger'}, hvor svaret er brugt, som det var")
    text = "I den gældende fil har vi " + (", ".join(parts[:-1]) + " og " + parts[-1] if len(parts) > 1 else parts[0]) + "."
    if excluded:
        text += " Udeladte svar indgår ikke i tallene; kommunen har fået en tilbagemelding med hver celle."
    elif fixed:
        text += " De rettede svar indgår i tallene; kvitteringen til kommunen nævner dem."
    return text


def method_texts(figures: ReportFigures, ctx) -> list[str]:
    survey = ctx.survey
    how = (
        "Kommunerne har optalt borgerne i deres sagssystem og indberettet antallet pr. interval i et skema."
        if survey.kind == "aggregate"
        else "Kommunerne har screenet deres sager og udfyldt én række pr. borger; tallene er optalt fra rækkerne."
    )
    return [
        f"Definition: {survey.definition}",
        f"{how} Referencedato: {survey.reference_text}.",
        "Andele er beregnet af de svar, der er givet: en sag uden svar på et spørgsmål (eller med en fejl) tæller "
        "ikke med i netop det spørgsmål. Grundlaget (n) står under hver tabel.",
        "Grupper: KKR og hele landet omfatter alle deltagende kommuner, også kommunen selv. De sammenlignelige "
        "kommuner omfatter ikke kommunen selv. Rater for en gruppe er alle gruppens borgere over 2 mio. kr. delt "
        "med alle gruppens 18-66-årige.",
        figures.peers_method,
    ]
