"""The sheets Land, KKR and Udtrådte: distributions of the answers.

These figures may go to every municipality, so counts are suppressed (see
``sdexl.analysis.suppress``).
"""

from __future__ import annotations

import re

from sdexl.analysis.bases import reasons_text
from sdexl.analysis.indicators import EXIT_REASON
from sdexl.analysis.suppress import HIDDEN, Line, is_small, legend, protect
from sdexl.analysis.tables import (
    Distribution,
    Item,
    analysis_items,
    number_summary,
    optional_group,
    participants_by_kkr,
)
from sdexl.publish.context import NA, NA_NO_POPULATION, NATIONAL_GROUP, MasterInput
from sdexl.publish.sheet import Block, SheetWriter
from sdexl.reference import municipalities

NATIONAL = NATIONAL_GROUP
BASE_ROW = "Grundlag (n)"
BASE = "base"  # the key of a table's total in complementary suppression
CHART_COL = 4  # charts sit right of the three-column tables


def unit(ctx: MasterInput) -> str:
    return "sager" if ctx.survey.kind == "cases" else "kommuner"


def suppression_note(ctx: MasterInput) -> str:
    return legend(ctx.threshold)


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


def answered_text(ctx: MasterInput, excluded: dict[str, int], hidden: bool = False) -> str:
    """' (4 uden gyldigt svar: ikke besvaret (3); afvist ved indlæsningen (1))', or ''.

    With a hidden n the number without an answer is hidden too, and so are the
    reasons' counts: with the number of cases either would give n back.
    """
    missing = sum(excluded.values())
    if not missing:
        return ""
    if hidden:
        return f" ({HIDDEN} uden gyldigt svar)"
    return f" ({missing} uden gyldigt svar: {reasons_text(excluded)})"


def base_text(ctx: MasterInput, dist: Distribution, item: Item, hidden: bool = False) -> str:
    """The base line; a hidden base shows as x, and so does the number without an answer
    (it would give n back from the number of cases)."""
    if item.kind == "bands":
        people = HIDDEN if hidden else dist.base
        return f"Grundlag: {people} borgere i n = {dist.respondents} kommuner." + exclusion_text(ctx, dist, item)
    n = HIDDEN if hidden else dist.respondents
    return (
        f"Grundlag: n = {n} {unit(ctx)} med gyldigt svar"
        + answered_text(ctx, dist.excluded, hidden)
        + f", i alt {dist.respondents + dist.missing} {unit(ctx)}."
    )


# -- Land ---------------------------------------------------------------------


def write_land(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Land: svarfordelingen for hele landet")
    writer.paragraph(f"Fordelingen af svarene på hvert spørgsmål for alle deltagende kommuner. {suppression_note(ctx)}")
    writer.skip()
    groups = ctx.kkr_records
    for item in analysis_items(ctx.survey):
        if item.questions and item.questions[0].indicator == EXIT_REASON:
            continue  # shown on Udtrådte
        start = writer.row
        if item.kind == "number":
            writer.block(number_block(ctx, item, {NATIONAL: ctx.snapshot.records}))
            continue
        dist = ctx.group_distribution(NATIONAL, item)
        placed = writer.block(land_block(ctx, item, dist, groups))
        writer.bar_chart(placed, [2], ["Andel"], chart_title(ctx, item), anchor_col=CHART_COL, anchor_row=start)
        writer.row = max(writer.row, start + _chart_rows(len(dist.categories)))


def chart_title(ctx: MasterInput, item: Item) -> str:
    """What the chart shows: "Køn – andel af sager" (the question without its number)."""
    name = re.sub(r"^\d+[a-z]?\. ", "", item.title)
    if len(name) > 60:
        name = name[:57].rstrip() + "…"
    whom = "borgere" if item.kind == "bands" else unit(ctx)
    return f"{name} – andel af {whom}"


def _chart_rows(categories: int) -> int:
    return max(14, int((22 * categories + 120) / 20) + 2)


def land_block(ctx: MasterInput, item: Item, dist: Distribution, groups: dict) -> Block:
    """The national distribution, hidden exactly as the national column of the KKR table
    (the same figures: what one hides, the other must not show)."""
    kkrs = {k: ctx.group_distribution(k, item) for k in groups}
    hidden = protected(ctx, item, {**kkrs, NATIONAL: dist})
    base_hidden = (BASE, NATIONAL) in hidden
    rows = [
        [label, _count(ctx, count, (i, NATIONAL) in hidden), _share(ctx, dist, i, item, (i, NATIONAL) in hidden or base_hidden)]
        for i, (label, count) in enumerate(zip(dist.categories, dist.counts))
    ]
    return Block(
        item.title,
        item_explanation(ctx, item),
        base_text(ctx, dist, item, base_hidden),
        [category_header(item), "Antal", "Andel"],
        rows,
        ["text", "int", "pct"],
        [44, 10, 10],
    )


def number_block(ctx: MasterInput, item: Item, groups: dict) -> Block:
    """Sum, mean and median of a number question, for one or more groups of records.

    What is protected: in a case survey n counts citizens (cases with an
    answer), so a group with a small n is hidden whole (n, sum, mean, median);
    a number that counts citizens (an integer question) has its sum protected,
    and a mean or median is hidden with its sum (mean times n gives it back).
    The KKRs add up to the whole country in both rows, so the protection is
    computed over the five KKRs and the country whatever groups are shown.
    """
    q = item.questions[0]
    summaries = {name: number_summary(records, q, ctx.snapshot.rejected) for name, records in groups.items()}
    hidden_n, hidden_sum = number_hidden(ctx, item)
    header = ["Mål"] + list(groups)
    rows = [["Antal svar (n)"] + [HIDDEN if name in hidden_n else s.n for name, s in summaries.items()]]
    for label, attr in (("Sum", "total"), ("Gennemsnit", "mean"), ("Median", "median")):
        row = [label]
        for name, s in summaries.items():
            value = getattr(s, attr)
            if name in hidden_n or name in hidden_sum:
                row.append(HIDDEN)
            elif s.n == 0:
                row.append(no_answer_text(ctx, s.excluded))
            else:
                row.append(value)
        rows.append(row)
    national_name = NATIONAL if NATIONAL in summaries else next(iter(summaries))
    national = summaries[national_name]
    shown_n = {name: HIDDEN if name in hidden_n else s.n for name, s in summaries.items()}
    base = (
        "Grundlag: "
        + ", ".join(f"{name} n = {n}" for name, n in shown_n.items())
        + f" {unit(ctx)} med gyldigt svar"
        + answered_text(ctx, national.excluded, national_name in hidden_n)
        + f", i alt {national.n + sum(national.excluded.values())} {unit(ctx)}."
    )
    amount = q.type == "amount"
    return Block(
        item.title,
        item_explanation(ctx, item) + (" Beløb i mio. kr." if amount else ""),
        base,
        header,
        rows,
        ["text"] + ["int" if q.type == "integer" else "mio" if amount else "dec"] * len(groups),
        [44] + [14] * len(groups),
        row_formats=_number_row_formats(q.type, len(groups)),
    )


def _number_row_formats(question_type: str, groups: int) -> dict[int, dict[int, str]]:
    """n is a count; an integer question's mean and median get one decimal."""
    columns = range(1, groups + 1)
    if question_type == "integer":
        return {2: dict.fromkeys(columns, "dec1"), 3: dict.fromkeys(columns, "dec1")}
    return {0: dict.fromkeys(columns, "int")}


def number_hidden(ctx: MasterInput, item: Item) -> tuple[set[str], set[str]]:
    """The groups (KKR names, NATIONAL) whose n, and whose sum, must be hidden."""
    q = item.questions[0]
    kkr_groups = ctx.kkr_records
    summaries = {name: number_summary(records, q, ctx.snapshot.rejected) for name, records in kkr_groups.items()}
    summaries[NATIONAL] = number_summary(ctx.snapshot.records, q, ctx.snapshot.rejected)
    line = [Line(tuple(kkr_groups), NATIONAL)]
    hidden_n: set[str] = set()
    if ctx.survey.kind == "cases":  # n counts cases, that is citizens
        hidden_n = protect({name: s.n for name, s in summaries.items()}, line, ctx.threshold)
    hidden_sum: set[str] = set()
    if q.type == "integer":  # the sum counts citizens
        sums = {name: (int(s.total) if s.total is not None else 0) for name, s in summaries.items()}
        hidden_sum = protect(sums, line, ctx.threshold)
    return hidden_n, hidden_sum


NA_FOR_NO_ANSWERS = "ikke tilgængelig: ingen svar"


def no_answer_text(ctx: MasterInput, excluded: dict[str, int], item: Item | None = None) -> str:
    """Why a column has no figure: no records at all, or none with a valid answer (and why not)."""
    if not sum(excluded.values()):
        return NA_FOR_NO_ANSWERS
    whole = item.whole if item is not None else None
    return f"{NA}: ingen gyldige svar ({reasons_text(excluded, ctx.survey, whole)})"


def _share(ctx: MasterInput, dist: Distribution, i: int, item: Item, hidden: bool = False):
    """The published share of category ``i``: x when its count or its base is hidden (a shown
    share and count give the base back); with base 0, why there is none."""
    if hidden:
        return HIDDEN
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
    start = writer.row  # the chart below the table: the sheet prints one page wide
    writer.bar_chart(
        placed,
        [7],
        ["Sager pr. 1.000 18-66-årige"],
        "Sager pr. 1.000 18-66-årige pr. KKR",
        anchor_col=0,
        anchor_row=start,
        kind="column",
        pct=False,
    )
    writer.row = start + 15
    groups = ctx.kkr_records
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
    hidden = protect(sums, [Line(tuple(groups), NATIONAL)], ctx.threshold)
    for kkr, codes in levels:
        total = len(groups_all[kkr]) if kkr in groups_all else len(municipalities())
        rate, n_rate = ctx.pooled_rate(codes)
        head = [kkr, total, len(codes), len(codes) / total, len(counted[kkr])]
        if kkr in hidden:  # the rate would give the count back (the population is public)
            rows.append(head + [HIDDEN, n_rate, HIDDEN])
            continue
        if not counted[kkr]:
            reason = _no_count(ctx, codes)
            rows.append(head + [reason, n_rate, reason])
            continue
        rows.append(
            head
            + [
                sums[kkr],
                n_rate,
                rate if rate is not None else NA_NO_POPULATION,
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
        ["text", "int", "int", "pct", "int", "int", "int", "rate"],
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
    dists = {name: ctx.group_distribution(name, item) for name in columns}
    header = [category_header(item)]
    for name in columns:
        header += [f"{name}: antal", f"{name}: andel"]
    categories = next(iter(dists.values())).categories
    hidden = protected(ctx, item, dists)
    rows = []
    for i, label in enumerate(categories):
        row = [label]
        for name, dist in dists.items():
            hide = (i, name) in hidden
            row += [_count(ctx, dist.counts[i], hide), _share(ctx, dist, i, item, hide or (BASE, name) in hidden)]
        rows.append(row)
    base_row = [BASE_ROW]
    for name, dist in dists.items():
        base_row += [_count(ctx, dist.base, (BASE, name) in hidden), None]
    rows.append(base_row)
    # In a choice question n is the base row (cases with an answer): hidden with it. Band
    # tables count municipalities here, which are no one's secret.
    national = dists[NATIONAL]
    shown_n = {
        name: HIDDEN if item.kind != "bands" and (BASE, name) in hidden else d.respondents for name, d in dists.items()
    }
    base = "Grundlag: " + ", ".join(f"{name} n = {n}" for name, n in shown_n.items())
    if item.kind == "bands":
        base += " kommuner." + exclusion_text(ctx, national, item)
    else:
        base += (
            f" {unit(ctx)} med gyldigt svar"
            + answered_text(ctx, national.excluded, (BASE, NATIONAL) in hidden)
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


def protected(ctx: MasterInput, item: Item, dists: dict[str, Distribution]) -> set:
    """The cells (category index or BASE, column name) to hide in a KKR table and its national column."""
    return protect(*_side_by_side_lines(item, dists, len(next(iter(dists.values())).categories)), ctx.threshold)


def _side_by_side_lines(item: Item, dists: dict[str, Distribution], categories: int):
    """The counts by (category or BASE, column name), and the additive relations the table shows:
    each row's KKRs add up to the whole country, each column's categories to its base (a
    multi-choice category is at most its base)."""
    values = {}
    for name, dist in dists.items():
        values |= {(i, name): count for i, count in enumerate(dist.counts)} | {(BASE, name): dist.base}
    kkrs = [name for name in dists if name != NATIONAL]
    lines = []
    if NATIONAL in dists and kkrs:
        lines += [Line(tuple((key, k) for k in kkrs), (key, NATIONAL)) for key in [*range(categories), BASE]]
    for name in dists:
        if item.multi:
            lines += [Line(((i, name),), (BASE, name), exact=False) for i in range(categories)]
        else:
            lines.append(Line(tuple((i, name) for i in range(categories)), (BASE, name)))
    return values, lines


def _count(ctx: MasterInput, value, hide: bool):
    """A published count, or x when it is hidden (small, or protecting a small one)."""
    return HIDDEN if hide or is_small(value, ctx.threshold) else value


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
    groups = ctx.kkr_records
    for item in items:
        start = writer.row
        dist = ctx.group_distribution(NATIONAL, item)
        placed = writer.block(land_block(ctx, item, dist, groups))
        writer.bar_chart(
            placed, [2], ["Andel"], "Årsager – andel af borgere, hele landet", anchor_col=5, anchor_row=start
        )
        writer.row = max(writer.row, start + _chart_rows(len(dist.categories)))
        writer.block(side_by_side_block(ctx, item, groups, title=f"{item.title} – pr. KKR"))
