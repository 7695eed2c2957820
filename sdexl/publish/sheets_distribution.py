"""The sheets Land, KKR and Udtrådte: distributions of the answers.

These figures may go to every municipality, so counts are suppressed (see
``sdexl.analysis.suppress``).
"""

from __future__ import annotations

from sdexl.analysis.bases import reasons_text
from sdexl.analysis.indicators import EXIT_REASON
from sdexl.analysis.suppress import HIDDEN, SECONDARY_NOTE, secondary
from sdexl.analysis.tables import (
    Distribution,
    Item,
    analysis_items,
    by_kkr,
    distribution,
    number_summary,
    optional_group,
    participants_by_kkr,
    with_places,
)
from sdexl.publish.context import NA, NA_NO_POPULATION, MasterInput
from sdexl.publish.sheet import Block, SheetWriter
from sdexl.reference import municipalities

NATIONAL = "Hele landet"
BASE_ROW = "Grundlag (n)"
BASE = "base"  # the key of a table's total in secondary suppression
CHART_COL = 4  # charts sit right of the three-column tables


def unit(ctx: MasterInput) -> str:
    return "sager" if ctx.survey.kind == "cases" else "kommuner"


def suppression_note(ctx: MasterInput) -> str:
    t = ctx.threshold
    return (
        f'Antal mellem 1 og {t - 1} vises som "<{t}", og andele beregnet af dem som "skjult", '
        "så ingen borger kan genkendes. " + SECONDARY_NOTE
    )


def is_exit_reasons(item: Item) -> bool:
    return bool(item.questions) and item.questions[0].indicator == EXIT_REASON


def category_header(item: Item) -> str:
    if item.kind == "choice":
        return "Svar"
    return "Årsag" if is_exit_reasons(item) else "Interval"


def item_explanation(ctx: MasterInput, item: Item) -> str:
    if is_exit_reasons(item):
        return "Antal borgere pr. årsag, summeret over kommunerne, og andel af alle angivne årsager."
    if item.kind == "bands":
        return "Antal borgere i hvert interval, summeret over kommunerne, og andel af alle borgere i intervallerne."
    if item.kind == "number":
        return "Antal svar, sum, gennemsnit og median over de besvarede " + unit(ctx) + "."
    text = f"Antal og andel {unit(ctx)} med hvert svar."
    if item.multi:
        text += " Flere svar er mulige: andelene er af de svarende og kan tilsammen give mere end 100 %."
    return text


def exclusion_text(ctx: MasterInput, dist: Distribution, item: Item) -> str:
    """' Af de 84 deltagende kommuner indgår 83; 1 indgår ikke: spørgsmål 2 er ikke besvaret (1).'

    Used + left out = all records, so the line adds up (sdexl.analysis.bases).
    """
    total = dist.respondents + dist.missing
    text = f" Af de {total} deltagende kommuner indgår {dist.respondents}"
    if dist.missing:
        text += f"; {dist.missing} indgår ikke: {reasons_text(dist.excluded, ctx.survey, item.whole)}"
    text += "."
    if optional_group(item):
        text += f" {OPTIONAL_NOTE}"
    return text


OPTIONAL_NOTE = (
    "Spørgsmålet er frivilligt: en kommune indgår, når den har angivet mindst én årsag, og tomme felter ved "
    "siden af tæller da som 0."
)


def answered_text(ctx: MasterInput, excluded: dict[str, int]) -> str:
    """' (4 uden gyldigt svar: ikke besvaret (3); afvist ved indlæsningen (1))', or ''."""
    missing = sum(excluded.values())
    return f" ({missing} uden gyldigt svar: {reasons_text(excluded)})" if missing else ""


def base_text(ctx: MasterInput, dist: Distribution, item: Item) -> str:
    if item.kind == "bands":
        return f"Grundlag: {dist.base} borgere i n = {dist.respondents} kommuner." + exclusion_text(ctx, dist, item)
    return (
        f"Grundlag: n = {dist.respondents} {unit(ctx)} med gyldigt svar"
        + answered_text(ctx, dist.excluded)
        + f", i alt {dist.respondents + dist.missing} {unit(ctx)}."
    )


# -- Land ---------------------------------------------------------------------


def write_land(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Land: svarfordelingen for hele landet")
    writer.paragraph(f"Fordelingen af svarene på hvert spørgsmål for alle deltagende kommuner. {suppression_note(ctx)}")
    writer.skip()
    for item in analysis_items(ctx.survey):
        if item.questions and item.questions[0].indicator == EXIT_REASON:
            continue  # shown on Udtrådte
        start = writer.row
        if item.kind == "number":
            writer.block(number_block(ctx, item, {NATIONAL: ctx.snapshot.records}))
            continue
        dist = distribution(ctx.snapshot.records, item, ctx.snapshot.rejected)
        placed = writer.block(land_block(ctx, item, dist))
        writer.bar_chart(placed, [2], ["Andel"], item.title[:80], anchor_col=CHART_COL, anchor_row=start)
        writer.row = max(writer.row, start + _chart_rows(len(dist.categories)))


def _chart_rows(categories: int) -> int:
    return max(14, int((22 * categories + 120) / 20) + 2)


def land_block(ctx: MasterInput, item: Item, dist: Distribution) -> Block:
    values = {i: count for i, count in enumerate(dist.counts)} | {BASE: dist.base}
    lines = [] if item.multi else [(list(range(len(dist.counts))), BASE)]
    extra = secondary(values, lines, ctx.threshold)
    rows = [
        [label, _count(ctx, count, i in extra), HIDDEN if i in extra else _share(ctx, dist, i, item)]
        for i, (label, count) in enumerate(zip(dist.categories, dist.counts))
    ]
    return Block(
        item.title,
        item_explanation(ctx, item),
        base_text(ctx, dist, item),
        [category_header(item), "Antal", "Andel"],
        rows,
        ["text", "int", "pct"],
        [44, 10, 10],
    )


def number_block(ctx: MasterInput, item: Item, groups: dict) -> Block:
    """Sum, mean and median of a number question, for one or more groups of records."""
    q = item.questions[0]
    counts_people = q.type == "integer"
    summaries = {name: number_summary(records, q, ctx.snapshot.rejected) for name, records in groups.items()}
    header = ["Mål"] + list(groups)
    rows = [["Antal svar (n)"] + [s.n for s in summaries.values()]]
    for label, attr in (("Sum", "total"), ("Gennemsnit", "mean"), ("Median", "median")):
        row = [label]
        for s in summaries.values():
            value = getattr(s, attr)
            if s.n == 0:
                row.append(no_answer_text(ctx, s.excluded))
            elif attr == "total" and counts_people:
                row.append(ctx.count(value))
            else:
                # An amount or an average over fewer than `threshold` answers is
                # close to one citizen's own figure.
                row.append(ctx.share(value, s.n) if s.n < ctx.threshold else value)
        rows.append(row)
    national = summaries.get(NATIONAL) or next(iter(summaries.values()))
    base = (
        "Grundlag: "
        + ", ".join(f"{name} n = {s.n}" for name, s in summaries.items())
        + f" {unit(ctx)} med gyldigt svar"
        + answered_text(ctx, national.excluded)
        + f", i alt {national.n + sum(national.excluded.values())} {unit(ctx)}."
    )
    return Block(
        item.title,
        item_explanation(ctx, item),
        base,
        header,
        rows,
        ["text"] + ["dec"] * len(groups),
        [44] + [14] * len(groups),
    )


NA_FOR_NO_ANSWERS = "ikke tilgængelig: ingen svar"


def no_answer_text(ctx: MasterInput, excluded: dict[str, int], item: Item | None = None) -> str:
    """Why a column has no figure: no records at all, or none with a valid answer (and why not)."""
    if not sum(excluded.values()):
        return NA_FOR_NO_ANSWERS
    whole = item.whole if item is not None else None
    return f"{NA}: ingen gyldige svar ({reasons_text(excluded, ctx.survey, whole)})"


def _share(ctx: MasterInput, dist: Distribution, i: int, item: Item):
    """The published share of category ``i``; with base 0, why there is none."""
    if not dist.respondents and dist.missing:
        return ctx.share(no_answer_text(ctx, dist.excluded, item), dist.counts[i])
    return ctx.share(dist.pct(i), dist.counts[i])


# -- KKR ----------------------------------------------------------------------


def write_kkr(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("KKR: svarfordelingen i de fem KKR'er side om side med hele landet")
    writer.paragraph("Hver KKR-kolonne bygger kun på de deltagende kommuner i KKR'en. " + suppression_note(ctx))
    notes = kkr_participation_notes(ctx)
    for note in notes:
        writer.paragraph(note)
    writer.skip()
    placed = writer.block(kkr_status_block(ctx))
    start = placed.header_row - 3
    writer.bar_chart(
        placed,
        [7],
        ["Sager pr. 1.000 18-66-årige"],
        "Sager pr. 1.000 18-66-årige",
        anchor_col=10,
        anchor_row=start,
        kind="column",
        pct=False,
    )
    writer.row = max(writer.row, start + 16)
    groups = by_kkr(with_places(ctx.snapshot.records))
    for item in analysis_items(ctx.survey):
        if item.questions and item.questions[0].indicator == EXIT_REASON:
            continue
        if item.kind == "number":
            writer.block(number_block(ctx, item, {**groups, NATIONAL: ctx.snapshot.records}))
        else:
            writer.block(side_by_side_block(ctx, item, groups))


def kkr_participation_notes(ctx: MasterInput) -> list[str]:
    notes = []
    for kkr, codes in participants_by_kkr(ctx.participants).items():
        if len(codes) == 0:
            notes.append(f"{kkr} har ingen deltagende kommuner; dens kolonner er tomme.")
        elif len(codes) == 1:
            notes.append(
                f"{kkr} har kun én deltagende kommune ({ctx.name(codes[0])}); KKR'ens tal er derfor denne kommunes tal."
            )
    return notes


def kkr_status_block(ctx: MasterInput) -> Block:
    """Participation, cases and rate per KKR; cases and rate over the municipalities with a valid count."""
    rows = []
    groups = participants_by_kkr(ctx.participants)
    groups_all = participants_by_kkr([m for m in _all_codes()])
    levels = list(groups.items()) + [(NATIONAL, ctx.participants)]
    counted = {kkr: [c for c in codes if ctx.cases(c) is not None] for kkr, codes in levels}
    sums = {kkr: int(sum(ctx.cases(c) for c in codes)) for kkr, codes in counted.items()}
    extra = secondary(sums, [(list(groups), NATIONAL)], ctx.threshold)
    for kkr, codes in levels:
        total = len(groups_all[kkr]) if kkr in groups_all else len(municipalities())
        rate, n_rate = ctx.pooled_rate(codes)
        head = [kkr, total, len(codes), len(codes) / total, len(counted[kkr])]
        if kkr in extra:  # hidden to protect a small count: the rate would give it back
            rows.append(head + [HIDDEN, n_rate, HIDDEN])
            continue
        if not counted[kkr]:
            reason = _no_count(ctx, codes)
            rows.append(head + [reason, n_rate, reason])
            continue
        rows.append(
            head
            + [
                ctx.count(sums[kkr]),
                n_rate,
                ctx.share(rate, sums[kkr]) if rate is not None else NA_NO_POPULATION,
            ]
        )
    left_out = [c for c in ctx.participants if ctx.cases(c) is None]
    base = f"Grundlag: n = {len(ctx.participants)} deltagende kommuner, heraf {len(ctx.with_cases)} med gyldigt antal sager"
    if left_out:
        base += " (uden gyldigt antal: " + "; ".join(
            f"{ctx.name(c)}: {ctx.cases_reason(c).removeprefix(NA + ': ')}" for c in left_out
        ) + ")"
    base += ". Antal sager og rate bygger kun på kommunerne med gyldigt antal."
    return Block(
        "Deltagelse og sager pr. KKR",
        "Kommuner i alt og deltagende, antal sager og sager pr. 1.000 18-66-årige (alle sager i de "
        "deltagende kommuner med gyldigt antal og befolkningstal delt med deres samlede antal 18-66-årige).",
        base,
        [
            "KKR",
            "Kommuner i alt",
            "Deltagende kommuner",
            "Svarprocent",
            "Kommuner med gyldigt antal sager",
            "Antal sager",
            "Kommuner med befolkningstal",
            "Sager pr. 1.000 18-66-årige",
        ],
        rows,
        ["text", "int", "int", "pct", "int", "int", "int", "dec3"],
        [22, 10, 12, 11, 14, 10, 14, 14],
    )


def _no_count(ctx: MasterInput, codes: list[str]) -> str:
    """Why a KKR has no number of cases: no participants, or none with a valid count (and why)."""
    if not codes:
        return "ikke tilgængelig: ingen deltagende kommuner"
    if len(codes) == 1:
        return ctx.cases_reason(codes[0])
    return "ikke tilgængelig: ingen af de deltagende kommuner har et gyldigt antal sager"


def _all_codes() -> list[str]:
    return [m.code for m in municipalities()]


def side_by_side_block(ctx: MasterInput, item: Item, groups: dict, title: str | None = None) -> Block:
    """Count and share per KKR and for the whole country, with a base row."""
    columns = {**groups, NATIONAL: ctx.snapshot.records}
    dists = {name: distribution(records, item, ctx.snapshot.rejected) for name, records in columns.items()}
    header = [category_header(item)]
    for name in columns:
        header += [f"{name}: antal", f"{name}: andel"]
    categories = next(iter(dists.values())).categories
    extra = secondary(*_side_by_side_lines(item, dists, len(categories)), ctx.threshold)
    rows = []
    for i, label in enumerate(categories):
        row = [label]
        for name, dist in dists.items():
            hide = (i, name) in extra
            row += [_count(ctx, dist.counts[i], hide), HIDDEN if hide else _share(ctx, dist, i, item)]
        rows.append(row)
    base_row = [BASE_ROW]
    for name, dist in dists.items():
        base_row += [_count(ctx, dist.base, (BASE, name) in extra), None]
    rows.append(base_row)
    national = dists[NATIONAL]
    base = "Grundlag: " + ", ".join(f"{name} n = {d.respondents}" for name, d in dists.items())
    if item.kind == "bands":
        base += " kommuner." + exclusion_text(ctx, national, item)
    else:
        base += (
            f" {unit(ctx)} med gyldigt svar" + answered_text(ctx, national.excluded)
            + f", i alt {national.respondents + national.missing} {unit(ctx)}."
        )
    return Block(
        title or item.title,
        item_explanation(ctx, item) + f' Rækken "{BASE_ROW}" er nævneren.',
        base,
        header,
        rows,
        ["text"] + ["int", "pct"] * len(columns),
        [40] + [11] * (2 * len(columns)),
    )


def _side_by_side_lines(item: Item, dists: dict[str, Distribution], categories: int):
    """The counts by (category or BASE, column name), and the lines that add up to a shown total."""
    values = {}
    for name, dist in dists.items():
        values |= {(i, name): count for i, count in enumerate(dist.counts)} | {(BASE, name): dist.base}
    kkrs = [name for name in dists if name != NATIONAL]
    lines = [([(key, k) for k in kkrs], (key, NATIONAL)) for key in [*range(categories), BASE]]
    if not item.multi:  # a multi question's categories do not add up to its base
        lines += [([(i, name) for i in range(categories)], (BASE, name)) for name in dists]
    return values, lines


def _count(ctx: MasterInput, value, hide: bool):
    """A published count; "skjult" when it is hidden to protect a small one (secondary suppression)."""
    return HIDDEN if hide else ctx.count(value)


# -- Udtrådte -----------------------------------------------------------------


def write_exits(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Udtrådte: hvad er der sket med borgere, der ikke længere koster over 2 mio. kr.?")
    items = [i for i in analysis_items(ctx.survey) if i.questions and i.questions[0].indicator == EXIT_REASON]
    if not items:
        writer.paragraph(
            "Denne undersøgelse spørger ikke om, hvorfor borgere ikke længere er over 2 mio. kr. "
            "Se masteren for opfølgningen, der stiller spørgsmålet."
        )
        return
    writer.paragraph(
        "Kommunernes frivillige opgørelse af årsagerne. Antal borgere pr. årsag og andel af alle "
        "angivne årsager. Kun kommuner, der har udfyldt mindst én årsag, indgår. " + suppression_note(ctx)
    )
    writer.paragraph('Uddybende tekst til "Andet" står på fanen Tiltag.')
    writer.skip()
    groups = by_kkr(with_places(ctx.snapshot.records))
    for item in items:
        start = writer.row
        dist = distribution(ctx.snapshot.records, item, ctx.snapshot.rejected)
        placed = writer.block(land_block(ctx, item, dist))
        writer.bar_chart(placed, [2], ["Andel"], "Årsager, hele landet", anchor_col=5, anchor_row=start)
        writer.row = max(writer.row, start + _chart_rows(len(dist.categories)))
        writer.block(side_by_side_block(ctx, item, groups, title=f"{item.title} – pr. KKR"))
