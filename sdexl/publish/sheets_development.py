"""The sheet Udvikling: change between the earliest and the latest opgørelse.

National and KKR tables may be shown to every municipality and are suppressed;
the municipal table is an internal working table and is not.
"""

from __future__ import annotations

from sdexl.analysis.development import NATIONAL, RATE, Change, Development, band_label, development
from sdexl.analysis.indicators import AGE_BAND, CASES, COST_BAND
from sdexl.analysis.suppress import HIDDEN, Line, legend, protect
from sdexl.publish.context import INTERNAL_NOTE, NA, MasterInput
from sdexl.publish.sheet import Block, Placed, SheetWriter

INDICATOR_LABELS = {
    CASES: "Antal sager over 2 mio. kr.",
    RATE: "Sager pr. 1.000 18-66-årige",
    COST_BAND: "Udgiftsinterval",
    AGE_BAND: "Aldersinterval",
}


def write_development(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Udvikling: ændringen mellem opgørelserne")
    dev = development(ctx.snapshots, ctx.population.values, ctx.periods)
    if dev is None:
        writer.paragraph(
            "Der er kun data fra én opgørelse; udviklingen kan vises, når en senere (eller tidligere) "
            "runde er indlæst i samme arbejdsmappe."
        )
        return
    writer.paragraph(
        f"Sammenligning af {dev.before.label} med {dev.after.label} på de indikatorer, begge "
        "opgørelser har: antal sager, sager pr. 1.000 18-66-årige, udgiftsintervaller og aldersintervaller."
    )
    writer.paragraph(
        f"Kun de {len(dev.paired)} kommuner, der deltog i begge opgørelser, indgår, så ændringen ikke "
        "blot afspejler, hvilke kommuner der deltog. Raten bruger samme befolkningstal "
        f"({ctx.population.quarter or 'ikke importeret'}) for begge år."
    )
    writer.paragraph("Tabellerne for hele landet og pr. KKR: " + legend(ctx.threshold))
    writer.skip()
    extra = hidden_figures(ctx, dev)
    start = writer.row
    placed = writer.block(change_block(ctx, dev, dev.national, "Hele landet", suppressed=True, extra=extra))
    band_rows = [i for i, c in enumerate(dev.national) if c.indicator == COST_BAND]
    if band_rows:
        _band_chart(writer, ctx, dev, placed, band_rows, start)
    writer.block(change_block(ctx, dev, dev.per_kkr, "Pr. KKR", suppressed=True, extra=extra))
    writer.paragraph(INTERNAL_NOTE, bold=True)
    writer.block(change_block(ctx, dev, dev.per_municipality, "Pr. kommune", suppressed=False))
    writer.block(unpaired_block(ctx, dev))


def _band_chart(writer, ctx, dev: Development, placed, band_rows: list[int], start: int) -> None:
    sub = Placed(placed.header_row, placed.first_row + band_rows[0], placed.first_row + band_rows[-1])
    writer.bar_chart(
        sub,
        [4, 5],
        [dev.before.label, dev.after.label],
        "Udgiftsinterval – antal sager (parrede kommuner)",
        anchor_col=10,
        anchor_row=start,
        kind="column",
        pct=False,
        category_col=2,
        counts=True,
    )


def hidden_figures(ctx: MasterInput, dev: Development) -> set:
    """The figures of the KKR and national tables to hide (see ``sdexl.analysis.suppress``).

    Keys are (level, indicator, code, "before" or "after"). The relations the
    tables show: for each indicator, category and year the KKRs add up to the
    whole country (the same paired municipalities), and at each level the bands
    add up to the number of cases (exactly when every case has a band; at most
    that otherwise).
    """
    values, lines = {}, []
    changes = [c for c in dev.national + dev.per_kkr if c.indicator != RATE]
    for c in changes:
        for when in ("before", "after"):
            values[(c.level, c.indicator, c.code, when)] = getattr(c, when) if c.n else None
    national = {(c.indicator, c.code): c for c in dev.national if c.indicator != RATE}
    for (indicator, code), whole in national.items():
        members = [c for c in dev.per_kkr if (c.indicator, c.code) == (indicator, code)]
        if sum(c.n for c in members) != whole.n:
            continue
        # A KKR without paired municipalities shows "ikke tilgængelig" and adds nothing: the
        # other KKRs still add up to the country, so the line holds without it.
        shown = [c for c in members if c.n]
        for when in ("before", "after"):
            lines.append(Line(tuple((c.level, indicator, code, when) for c in shown), (whole.level, indicator, code, when)))
    for level in {c.level for c in changes}:
        cases = next((c for c in changes if c.level == level and c.indicator == CASES), None)
        if cases is None:
            continue
        for indicator in (COST_BAND, AGE_BAND):
            bands = [c for c in changes if c.level == level and c.indicator == indicator]
            if not bands or any(b.n != cases.n for b in bands):
                continue
            for when in ("before", "after"):
                parts = [getattr(b, when) for b in bands]
                if any(p is None for p in parts) or getattr(cases, when) is None:
                    continue
                exact = sum(parts) == getattr(cases, when)
                keys = tuple((level, indicator, b.code, when) for b in bands)
                lines.append(Line(keys, (level, CASES, "", when), exact=exact))
    return protect(values, lines, ctx.threshold)


def change_block(
    ctx: MasterInput,
    dev: Development,
    changes: list[Change],
    level_title: str,
    suppressed: bool,
    extra: set | None = None,
) -> Block:
    cases = {c.level: c for c in changes if c.indicator == CASES}
    rows = [_change_row(ctx, dev, c, suppressed, cases.get(c.level), extra or set()) for c in changes]
    first = "Kode" if level_title == "Pr. kommune" else "Niveau"
    header = [
        first,
        "Indikator",
        "Kategori",
        "Parrede kommuner (n)",
        dev.before.label,
        dev.after.label,
        "Ændring",
        "Ændring i %",
    ]
    if level_title == "Pr. kommune":
        header.insert(1, "Kommune")
    formats = ["text", "text", "text", "int", "int", "int", "int", "pct"]
    if level_title == "Pr. kommune":
        formats.insert(1, "text")
    first_value = formats.index("int", 1) + 1  # the column of the first year
    rate_rows = {
        i: dict.fromkeys(range(first_value, first_value + 3), "rate") for i, c in enumerate(changes) if c.indicator == RATE
    }
    return Block(
        f"Udvikling – {level_title[0].lower()}{level_title[1:]}",
        "Summen over de parrede kommuner, der har tallet i begge opgørelser; n kan derfor variere "
        "fra række til række. Raten er alle sager delt med alle 18-66-årige i de parrede kommuner med "
        "befolkningstal.",
        f"Grundlag: n = {len(dev.paired)} kommuner deltog i begge opgørelser." + paired_without_cases(ctx, dev),
        header,
        rows,
        formats,
        [16, 26, 20, 12, 14, 14, 10, 10],
        row_formats=rate_rows,
    )


def _change_row(
    ctx: MasterInput, dev: Development, change: Change, suppressed: bool, cases: Change | None, extra: set
) -> list:
    label = band_label(dev.after, change.indicator, change.code) if change.code else ""
    level = change.level
    row = [level, INDICATOR_LABELS.get(change.indicator, change.indicator), label, change.n]
    if change.level != NATIONAL and change.level.isdigit():
        row.insert(1, ctx.name(change.level))
    if change.n == 0:
        reason = missing_reason(ctx, dev, change)
        return row + [reason, reason, None, None]
    before, after = change.before, change.after
    diff, rel = change.difference, change.relative
    if suppressed:
        if change.indicator == RATE:
            # A rate over hidden cases gives them back (the population is public).
            cases_key = (level, CASES, cases.code if cases else "")
            hide = cases is not None and any((*cases_key, when) in extra for when in ("before", "after"))
            if hide:
                return row + [HIDDEN, HIDDEN, HIDDEN, HIDDEN]
        else:
            key = (level, change.indicator, change.code)
            hide_before, hide_after = ((*key, when) in extra for when in ("before", "after"))
            if hide_before or hide_after:
                before = HIDDEN if hide_before else before
                after = HIDDEN if hide_after else after
                diff = rel = HIDDEN
    return row + [before, after, diff, rel if rel is not None else f"{NA}: ingen sager før"]


def missing_reason(ctx: MasterInput, dev: Development, change: Change) -> str:
    """Why a row has no figure: the opgørelse that lacks it and, for this master's survey, the real cause."""
    if not change.level.isdigit():
        return f"{NA}: ingen parrede kommuner med gyldige tal i begge opgørelser"
    code = change.level
    indicator = CASES if change.indicator == RATE else change.indicator
    key = (code, indicator, change.code if indicator != CASES else "")
    for period in (dev.before, dev.after):
        if key in period.values:
            continue
        if ctx.survey.id in period.survey_ids and code in ctx.participants:
            why = ctx.cases_reason(code) if indicator == CASES else ctx.group_reason(code, indicator)
            return f"{why.removeprefix(NA + ': ')} ({period.label})" if why != NA else f"{NA} ({period.label})"
        return f"{NA}: intet gyldigt tal i {period.label}"
    return f"{NA}: befolkningstal mangler"


def paired_without_cases(ctx: MasterInput, dev: Development) -> str:
    """' Uden gyldigt antal sager i begge opgørelser: Aalborg (…).' for the base line, or ''."""
    missing = [
        c for c in dev.paired
        if (c, CASES, "") not in dev.before.values or (c, CASES, "") not in dev.after.values
    ]
    if not missing:
        return ""
    reasons = [
        f"{ctx.name(c)} ({missing_reason(ctx, dev, Change(c, CASES, '', 0, None, None)).removeprefix(NA + ': ')})"
        for c in missing
    ]
    return f" Uden gyldigt antal sager i begge opgørelser, så de ikke indgår i antal og rate: {'; '.join(reasons)}."


def unpaired_block(ctx: MasterInput, dev: Development) -> Block:
    rows = [[c, ctx.name(c), ctx.kkr_of(c), f"Kun med i {dev.before.label}"] for c in dev.only_before]
    rows += [[c, ctx.name(c), ctx.kkr_of(c), f"Kun med i {dev.after.label}"] for c in dev.only_after]
    return Block(
        "Kommuner, der kun deltog i den ene opgørelse",
        "Disse kommuner indgår ikke i udviklingen ovenfor.",
        f"Grundlag: n = {len(rows)} kommuner.",
        ["Kode", "Kommune", "KKR", "Deltagelse"],
        rows,
        ["text", "text", "text", "text"],
    )
