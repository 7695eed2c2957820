"""The sheets Kommuner, Variation and Sammenhæng: figures per municipality.

These are internal working sheets (see ``sdexl.analysis.suppress``): the
consultants need each municipality's exact figures, so nothing is hidden.
"""

from __future__ import annotations

import math

from sdexl.analysis.indicators import AGE_BAND, BOTILBUD_TOTAL, COST_BAND, bands, total_question
from sdexl.analysis.stats import SMALL_BASE, WHY_SPEARMAN, correlation, ranking, variation
from sdexl.publish.context import (
    INTERNAL_NOTE,
    NA,
    NOT_PARTICIPATING,
    MasterInput,
)
from sdexl.publish.sheet import Block, Placed, SheetWriter
from sdexl.reference import municipalities

BAND_PREFIX = {COST_BAND: "Udgift", AGE_BAND: "Alder"}


# -- Kommuner -----------------------------------------------------------------



def population_text(ctx: MasterInput) -> str:
    """'befolkningstal fra 2024K1 for 97 kommuner', or that none is imported."""
    if not ctx.population.values:
        return "befolkningstal er ikke importeret"
    return f"befolkningstal fra {ctx.population.quarter or 'ukendt kvartal'} for {len(ctx.population.values)} kommuner"

def write_municipalities(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Kommuner: status pr. kommune")
    writer.paragraph(INTERNAL_NOTE, bold=True)
    writer.skip()
    placed = writer.block(municipalities_block(ctx))
    writer.sheet.freeze_panes(placed.first_row, 2)


def status(ctx: MasterInput, code: str) -> str:
    if code not in ctx.participants:
        return NOT_PARTICIPATING
    if ctx.cases(code) == 0:
        return "Deltager (ingen sager)"
    return "Deltager"


def municipalities_block(ctx: MasterInput) -> Block:
    survey = ctx.survey
    has_total = total_question(survey) is not None
    band_columns = [(ind, b) for ind in (COST_BAND, AGE_BAND) for b in bands(survey, ind)]
    header = ["Kode", "Kommune", "KKR", "Status", "Antal sager", "Befolkning 18-66 år", "Sager pr. 1.000 18-66-årige"]
    formats = ["text", "text", "text", "text", "int", "int", "dec3"]
    if has_total:
        header += ["Borgere i botilbud i alt", "Andel af borgere i botilbud over 2 mio. kr."]
        formats += ["int", "pct"]
    header += [f"{BAND_PREFIX[ind]}: {band.label}" for ind, band in band_columns]
    formats += ["int"] * len(band_columns)
    rows = [_municipality_row(ctx, m.code, has_total, band_columns) for m in municipalities()]
    explanation = (
        "Alle 98 kommuner. Sager pr. 1.000 18-66-årige = antal sager / befolkning 18-66 år × 1.000. "
        "Fordelingerne på udgift og alder tæller sager med svar på spørgsmålet."
    )
    if has_total:
        explanation += " Andelen i botilbud = borgere over 2 mio. kr. / alle borgere i botilbud."
    if survey.kind == "aggregate":
        explanation += (
            " Intervallerne vises kun, når hele sættet tæller (alle gyldige og tilsammen lig antallet over "
            "2 mio. kr.); ellers står årsagen. Samme regel gælder på alle faner."
        )
    base = (
        f"Grundlag: n = {len(ctx.participants)} deltagende kommuner af 98; " + population_text(ctx) + "."
    )
    return Block(
        "Nøgletal pr. kommune", explanation, base, header, rows, formats, [6, 18, 18, 20] + [12] * (len(header) - 4)
    )


def _municipality_row(ctx: MasterInput, code: str, has_total: bool, band_columns) -> list:
    people = ctx.population.values.get(code)
    row = [code, ctx.name(code), ctx.kkr_of(code), status(ctx, code)]
    if code not in ctx.participants:
        return row + [None, people] + [None] * (1 + 2 * has_total + len(band_columns))
    cases = ctx.cases(code)
    row += [cases if cases is not None else ctx.cases_reason(code), people if people is not None else NA]
    row.append(ctx.rates[code] if code in ctx.rates else ctx.rate_reason(code))
    if has_total:
        total = ctx.indicator(code, BOTILBUD_TOTAL)
        total_reason = ctx.answer_reason(code, total_question(ctx.survey))
        row.append(total if total is not None else total_reason)
        if cases is None:
            row.append(ctx.cases_reason(code))
        elif total is None:
            row.append(total_reason)
        else:
            row.append(_share_in_botilbud(cases, total))
    for indicator, band in band_columns:
        value = ctx.indicator(code, indicator, band.code)
        row.append(value if value is not None else ctx.group_reason(code, indicator))
    return row


def _share_in_botilbud(cases: float, total: float):
    if total == 0:
        return "ikke tilgængelig: ingen borgere i botilbud"
    return cases / total


# -- Variation ----------------------------------------------------------------


def write_variation(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Variation: sager pr. 1.000 18-66-årige på tværs af kommunerne")
    writer.paragraph(
        "Hvor forskellige er kommunerne? Hver deltagende kommune med befolkningstal indgår med sin rate, "
        "også kommuner uden sager (rate 0). " + INTERNAL_NOTE
    )
    writer.skip()
    writer.block(variation_block(ctx))
    start = writer.row
    writer.skip(22)  # the chart goes above the ranking, so the sheet prints one page wide
    placed = writer.block(ranking_block(ctx))
    writer.bar_chart(
        placed,
        [6],
        ["Sager pr. 1.000 18-66-årige"],
        "Sager pr. 1.000 18-66-årige pr. kommune",
        anchor_col=0,
        anchor_row=start,
        kind="column",
        pct=False,
        category_col=2,
        width=840,
        height=420,
    )
    writer.block(excluded_block(ctx))


def variation_block(ctx: MasterInput) -> Block:
    stats = variation(list(ctx.rates.values()))
    pooled, pooled_n = ctx.pooled_rate(ctx.participants)
    none = NA + ": ingen kommuner med rate"
    rows = [
        ["Antal kommuner (n)", stats.n],
        ["Gennemsnit af kommunernes rater", _or(stats.mean, none)],
        ["Samlet rate (alle sager / alle 18-66-årige)", _or(pooled, none)],
        ["Median", _or(stats.median, none)],
        ["1. kvartil", _or(stats.q1, none)],
        ["3. kvartil", _or(stats.q3, none)],
        ["Laveste", _or(stats.minimum, none)],
        ["Højeste", _or(stats.maximum, none)],
        ["Kommuner med sager (rate over 0)", stats.n_with_cases],
        [RATIO_LOWEST, _or(stats.lowest_with_cases, f"{NA}: {stats.ratio_note}")],
        [RATIO_MAX_MIN, _or(stats.max_min_ratio, f"{NA}: {stats.ratio_note}")],
        [RATIO_P10, _or(stats.p10, f"{NA}: {stats.p_ratio_note}")],
        [RATIO_P90, _or(stats.p90, f"{NA}: {stats.p_ratio_note}")],
        [RATIO_P90_P10, _or(stats.p90_p10_ratio, f"{NA}: {stats.p_ratio_note}")],
        ["Standardafvigelse", _or(stats.sd, f"{NA}: {stats.cv_note}")],
        ["Variationskoefficient (standardafvigelse / gennemsnit)", _or(stats.cv, f"{NA}: {stats.cv_note}")],
    ]
    zero = stats.n - stats.n_with_cases
    return Block(
        "Fordelingen af raten",
        "Kvartiler som Excels KVARTIL.MEDTAG og percentiler som PERCENTIL.MEDTAG; standardafvigelsen er for en "
        "stikprøve (STDAFV.S). Den samlede rate vægter store kommuner mest; gennemsnittet vægter alle ens. "
        "Forholdet mellem højeste og laveste (\"så mange gange som den laveste\") og det robuste forhold mellem "
        "90. og 10. percentil regnes blandt kommunerne med sager, fordi en kommune uden sager har rate 0.",
        f"Grundlag: n = {stats.n} kommuner med både gyldigt antal og befolkningstal (samlet rate: n = {pooled_n}); "
        f"forholdene bygger på de {stats.n_with_cases} kommuner med sager ({zero} uden sager er ikke med).",
        ["Mål", "Værdi"],
        rows,
        ["text", "dec3"],
        [52, 14],
        row_formats={0: {1: "int"}},
    )


RATIO_LOWEST = "Laveste blandt kommuner med sager"
RATIO_MAX_MIN = "Forhold mellem højeste og laveste (kommuner med sager)"
RATIO_P10 = "10. percentil (kommuner med sager)"
RATIO_P90 = "90. percentil (kommuner med sager)"
RATIO_P90_P10 = "Forhold mellem 90. og 10. percentil (kommuner med sager)"


def _or(value, text):
    return text if value is None else value


def ranking_block(ctx: MasterInput) -> Block:
    rows = [
        [rank, code, ctx.name(code), ctx.kkr_of(code), ctx.cases(code), ctx.population.values[code], rate]
        for rank, code, rate in ranking(ctx.rates)
    ]
    return Block(
        "Rangorden",
        "Kommunerne fra højeste til laveste rate; ens rater deler plads.",
        f"Grundlag: n = {len(rows)} kommuner.",
        ["Rang", "Kode", "Kommune", "KKR", "Antal sager", "Befolkning 18-66 år", "Sager pr. 1.000 18-66-årige"],
        rows,
        ["int", "text", "text", "text", "int", "int", "dec3"],
        [6, 6, 18, 18, 10, 12, 14],
    )


def excluded_block(ctx: MasterInput) -> Block:
    rows = [
        [code, ctx.name(code), ctx.kkr_of(code), ctx.rate_reason(code)]
        for code in ctx.participants
        if code not in ctx.rates
    ]
    return Block(
        "Deltagende kommuner uden rate",
        "Disse kommuner indgår ikke i variationen, fordi et tal mangler.",
        f"Grundlag: n = {len(rows)} kommuner.",
        ["Kode", "Kommune", "KKR", "Årsag"],
        rows,
        ["text", "text", "text", "text"],
    )


# -- Sammenhæng ---------------------------------------------------------------


def write_correlation(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Sammenhæng: raten og kommunestørrelse og socioøkonomi")
    writer.paragraph(
        "Hænger antallet af sager pr. 1.000 18-66-årige sammen med kommunens størrelse (målt som antal "
        "18-66-årige) eller med et socioøkonomisk indeks? Pearson måler lineær sammenhæng, Spearman "
        "sammenhæng i rangorden. En p-værdi under 0,05 regnes her som statistisk signifikant."
    )
    writer.skip()
    writer.block(correlation_block(ctx))
    # The two charts side by side above the table they plot: the statistics and their pictures
    # on the first page, the long table (one for both charts) after them.
    start = writer.row
    writer.row = start + CHART_ROWS
    block, columns = points_block(ctx)
    placed = writer.block(block)
    charts = [("Rate og kommunestørrelse", POPULATION_HEADER, 0, placed)]
    if SOCIO_HEADER in columns:
        # Municipalities without an index come last in the table, and this chart stops before
        # them: a blank x would be plotted at 0.
        with_index = sum(code in ctx.socio for code in ctx.rates)
        rows = Placed(placed.header_row, placed.first_row, placed.first_row + with_index - 1)
        charts.append(("Rate og socioøkonomisk indeks", SOCIO_HEADER, SECOND_CHART_COL, rows))
    for title, x_title, col, rows in charts:
        writer.scatter_chart(
            rows, columns[x_title], columns[RATE_HEADER], title, x_title, RATE_HEADER, anchor_col=col, anchor_row=start
        )


CHART_ROWS = 21  # a scatter chart's height (400 px) and a row of air
SECOND_CHART_COL = 3  # right of the first chart (col 0 is the wide label column)
POPULATION_HEADER = "Befolkning 18-66 år"
SOCIO_HEADER = "Socioøkonomisk indeks"
RATE_HEADER = "Sager pr. 1.000 18-66-årige"


SIZE = "Rate og kommunestørrelse (antal 18-66-årige)"
LOG_SIZE = "Rate og kommunestørrelse på logaritmisk skala (log10 af antal 18-66-årige)"
SOCIO = "Rate og socioøkonomisk indeks"


def correlations(ctx: MasterInput):
    sizes = dict(ctx.population.values)
    # Municipal sizes span 2,000 to 400,000: on a log scale København and Aarhus
    # no longer decide Pearson's r alone. Spearman is the same on both scales.
    log_sizes = {code: math.log10(size) for code, size in sizes.items() if size and size > 0}
    return {
        SIZE: correlation(sizes, ctx.rates),
        LOG_SIZE: correlation(log_sizes, ctx.rates),
        SOCIO: correlation(ctx.socio, ctx.rates),
    }


def correlation_block(ctx: MasterInput) -> Block:
    rows = []
    for label, c in ctx.memo("correlations", lambda: correlations(ctx)).items():
        numbers = [c.pearson_r, c.pearson_p, c.spearman_rho, c.spearman_p]
        rows.append([label, c.n] + [NA if v is None else v for v in numbers] + [c.message])
    note = "" if ctx.socio else " Der er ikke importeret et socioøkonomisk indeks (sdexl reference socio)."
    return Block(
        "Korrelationer",
        f"{WHY_SPEARMAN} Retningen (positiv/negativ) kommer fra Spearmans rho, når den er signifikant "
        f"(p < 0,05). n er antallet af kommuner med både rate og den anden værdi; under {SMALL_BASE} "
        "kommuner er resultatet markeret som usikkert. På logaritmisk skala er Spearman den samme, men "
        "Pearson påvirkes mindre af de største kommuner." + note,
        "Grundlag: deltagende kommuner med gyldigt antal sager og befolkningstal (og indeks); n pr. række.",
        ["Sammenhæng", "n", "Pearson r", "p (Pearson)", "Spearman rho", "p (Spearman)", "Vurdering (efter Spearman)"],
        rows,
        ["text", "int", "dec3", "p", "dec3", "p", "text"],
        [44, 6, 10, 10, 12, 10, 60],
    )


def points_block(ctx: MasterInput) -> tuple[Block, dict[str, int]]:
    """The points behind both scatter charts, one row per municipality with a rate, and the
    column of each header (for the charts)."""
    header = ["Kode", "Kommune", POPULATION_HEADER] + ([SOCIO_HEADER] if ctx.socio else []) + [RATE_HEADER]
    formats = ["text", "text", "int"] + (["dec"] if ctx.socio else []) + ["dec3"]  # a population counts people
    rows = []
    codes = sorted(ctx.rates, key=lambda c: bool(ctx.socio) and c not in ctx.socio)  # without an index last
    for code in codes:
        socio = [ctx.socio.get(code)] if ctx.socio else []
        rows.append([code, ctx.name(code), ctx.population.values.get(code)] + socio + [ctx.rates[code]])
    base = f"Grundlag: n = {len(rows)} kommuner med en rate."
    if 0 < len(rows) < SMALL_BASE:
        base += f" Forsigtig: under {SMALL_BASE} kommuner, så en sammenhæng er meget usikker."
    without = [ctx.name(c) for c in ctx.rates if ctx.socio and c not in ctx.socio]
    if without:
        base += f" Uden socioøkonomisk indeks (tomt felt): {', '.join(without)}."
    block = Block(
        "Punkter bag diagrammerne",
        "Datagrundlaget for de to diagrammer: kommunens størrelse, indeks og rate.",
        base,
        header,
        rows,
        formats,
    )
    return block, {name: i for i, name in enumerate(header)}
