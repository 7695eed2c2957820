"""The sheet Læring: municipalities with a fall since the previous opgørelse, and what they say about it.

The 2024 follow-up promises "learning from municipalities that may have had a
fall". KL picks municipalities to learn from here: every municipality that
took part in both opgørelser and has fewer citizens over 2 mio. kr. now (or a
lower rate per 1,000 aged 18-66), with its exit reasons (question 5) and its
own words (the text of 5f, 6a and 6b) side by side.

The sheet is made to be shared (it is how municipalities learn from each
other), so counts are suppressed as on the other shared sheets: a count
between 1 and threshold - 1, and a change or rate computed from it, as "x"
(one symbol for every hidden figure: see ``sdexl.analysis.suppress``). Free text is shown with CPR-like numbers masked; it is the
municipality's own description.

The sheet also carries the share of all citizens in botilbud who are over
2 mio. kr. (question 2 of question 1), nationally and per KKR, with its base.
"""

from __future__ import annotations

from sdexl.analysis.development import Period, compare
from sdexl.analysis.indicators import CASES, EXIT_REASON, bands, rate_per_1000
from sdexl.analysis.snapshot import KOMMUNEKODE
from sdexl.analysis.suppress import HIDDEN, is_small
from sdexl.analysis.tables import present
from sdexl.publish.context import MasterInput
from sdexl.publish.masking import mask_cpr
from sdexl.publish.sheet import Block, SheetWriter
from sdexl.survey.model import TEXT_TYPES

SHEET = ("Læring", "Kommuner med et fald siden forrige opgørelse, med årsager og tiltag side om side.")


def previous_and_current(ctx: MasterInput) -> tuple[Period, Period] | None:
    found = ctx.periods
    current = next((i for i, p in enumerate(found) if ctx.survey.id in p.survey_ids), None)
    if not current:
        return None
    return found[current - 1], found[current]


def write_learning(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Læring: kommuner med et fald siden forrige opgørelse")
    pair = previous_and_current(ctx)
    if pair is None:
        writer.paragraph(
            "Der er ingen tidligere opgørelse at sammenligne med. Fanen viser kommuner med et fald, når en "
            "tidligere runde er indsamlet eller indlæst (sdexl import)."
        )
    else:
        before, after = pair
        writer.paragraph(
            f"Kommuner, der deltog i både {before.label} og {after.label} og har færre borgere over 2 mio. kr. "
            "eller færre pr. 1.000 18-66-årige nu. Sorteret efter faldet i raten (største fald først). Årsagerne "
            "(spørgsmål 5) og kommunens egne beskrivelser står ved siden af, så KL kan vælge kommuner at lære af."
        )
        writer.paragraph(
            f'Antal mellem 1 og {ctx.threshold - 1} vises som "{HIDDEN}", og det samme gør ændringer og rater '
            "beregnet af dem. Fritekst er kommunens egen; tal, der ligner CPR-numre, er erstattet af "
            "XXXXXX-XXXX."
        )
        if len(before.survey_ids) > 1:
            rounds = " og ".join(ctx.snapshots[s].survey.round for s in before.survey_ids if s in ctx.snapshots)
            writer.paragraph(
                f"{rounds} har samme referencedato og indgår som én samlet opgørelse (samlet udgangspunkt): hver "
                "kommune tæller én gang, med sit seneste svar."
            )
        if {ctx.snapshots[s].survey.kind for s in before.survey_ids if s in ctx.snapshots} != {ctx.survey.kind}:
            writer.paragraph(
                "Bemærk metodeskiftet: den første opgørelse var en screening sag for sag, den seneste en optælling "
                "i sagssystemet. Et fald kan derfor delvis skyldes metoden."
            )
        writer.skip()
        writer.block(fall_block(ctx, before, after))
    from sdexl.report.national import botilbud_share_rows

    rows, base = botilbud_share_rows(ctx)
    if rows:
        writer.block(
            Block(
                "Andel af alle borgere i botilbud, der er over 2 mio. kr.",
                "Spørgsmål 2 delt med spørgsmål 1, summeret over kommunerne, der har besvaret begge.",
                base,
                ["Niveau", "Over 2 mio. kr.", "I botilbud i alt", "Andel", "Kommuner (n)"],
                rows,
                ["text", "int", "int", "pct", "int"],
            )
        )


def fall_block(ctx: MasterInput, before: Period, after: Period) -> Block:
    population = ctx.population.values
    dev = compare(before, after, population)
    exit_bands = bands(ctx.survey, EXIT_REASON)
    texts = [q for q in ctx.survey.analysis_questions if q.type in TEXT_TYPES and q.role != "case_ref"]
    records = {str(r[KOMMUNEKODE]): r for r in ctx.snapshot.records.to_dict("records")} if ctx.survey.kind == "aggregate" else {}
    found = []
    for code in dev.paired:
        b, a = before.values.get((code, CASES, "")), after.values.get((code, CASES, ""))
        if b is None or a is None:
            continue
        people = population.get(code)
        rate_b, rate_a = rate_per_1000(b, people), rate_per_1000(a, people)
        if not (a < b or (rate_b is not None and rate_a < rate_b)):
            continue
        found.append((code, b, a, rate_b, rate_a))
    found.sort(key=lambda f: ((f[4] - f[3]) if f[3] is not None else 0, f[2] - f[1], int(f[0])))
    rows = []
    for code, b, a, rate_b, rate_a in found:
        small = is_small(b, ctx.threshold) or is_small(a, ctx.threshold)
        reasons = "; ".join(
            f"{band.label}: {_whole(ctx.count(ctx.indicator(code, EXIT_REASON, band.code)))}"
            for band in exit_bands
            if ctx.indicator(code, EXIT_REASON, band.code)
        )
        record = records.get(code, {})
        row = [
            code,
            ctx.name(code),
            ctx.kkr_of(code),
            ctx.count(b),
            ctx.count(a),
            HIDDEN if small else a - b,
            HIDDEN if small else rate_b,
            HIDDEN if small else rate_a,
            reasons or "ingen angivet",
        ]
        row += [mask_cpr(str(record[q.id])) if present(record.get(q.id)) else "" for q in texts]
        rows.append(row)
    header = ["Kode", "Kommune", "KKR", before.label, after.label, "Ændring", "Rate før", "Rate nu", "Årsager (spm. 5)"]
    header += [q.short or q.label for q in texts]
    formats = ["text", "text", "text", "int", "int", "int", "dec", "dec", "text"] + ["text"] * len(texts)
    widths = [6, 16, 16, 12, 12, 10, 10, 10, 40] + [60] * len(texts)
    return Block(
        "Kommuner med et fald",
        "Antal borgere over 2 mio. kr. i begge opgørelser, ændringen, raten pr. 1.000 18-66-årige (samme "
        "befolkningstal for begge) og kommunens årsager og tiltag.",
        f"Grundlag: n = {len(rows)} kommuner med et fald af {len(dev.paired)}, der deltog i begge opgørelser.",
        header,
        rows,
        formats,
        widths,
    )


def _whole(value):
    """4.0 as 4 in a sentence; "x" as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
