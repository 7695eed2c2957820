"""The share of all citizens in botilbud who are over 2 mio. kr., nationally and per KKR (2024).

Question 2 (over 2 mio. kr.) of question 1 (all in botilbud), summed over the
municipalities that answered both. The table may go to every municipality, so
its counts are suppressed as on the master's shared sheets: small counts as
"x", and, because the five KKRs add up to the country, secondary suppression
across them (``sdexl.analysis.suppress.secondary``).
"""

from __future__ import annotations

from sdexl.analysis.indicators import BOTILBUD_TOTAL, total_question
from sdexl.analysis.suppress import HIDDEN, derived, secondary, suppress_small
from sdexl.reference import by_code, kkr_names

NATIONAL = "Hele landet"


def share_parts(ctx, codes: list[str]) -> tuple[float, float, int]:
    """(over 2 mio. kr., all in botilbud, municipalities) over ``codes`` answering both."""
    usable = [c for c in codes if ctx.cases(c) is not None and ctx.indicator(c, BOTILBUD_TOTAL)]
    return (
        sum(ctx.cases(c) for c in usable),
        sum(ctx.indicator(c, BOTILBUD_TOTAL) for c in usable),
        len(usable),
    )


def botilbud_share_rows(ctx) -> tuple[list[list], str]:
    """Rows (level, over 2 mio., all, share, n) for the five KKRs and the country, published; and the base text."""
    if total_question(ctx.survey) is None:
        return [], ""
    levels = {kkr: [c for c in ctx.participants if by_code()[c].kkr == kkr] for kkr in kkr_names()}
    levels[NATIONAL] = list(ctx.participants)
    parts = {level: share_parts(ctx, codes) for level, codes in levels.items()}
    values = {}
    for level, (cases, total, _) in parts.items():
        values[(level, "cases")] = cases
        values[(level, "rest")] = total - cases
    lines = [([(k, "cases") for k in kkr_names()], (NATIONAL, "cases")),
             ([(k, "rest") for k in kkr_names()], (NATIONAL, "rest"))]
    extra = secondary(values, lines, ctx.threshold)
    rows = []
    for level, (cases, total, n) in parts.items():
        hidden = (level, "cases") in extra or (level, "rest") in extra
        shown_cases = HIDDEN if (level, "cases") in extra else suppress_small(cases, ctx.threshold)
        shown_total = HIDDEN if hidden else total
        share = cases / total if total else None
        shown_share = HIDDEN if hidden else derived(share, cases, total - cases, threshold=ctx.threshold)
        rows.append([level, shown_cases, shown_total, "ikke tilgængelig" if share is None else shown_share, n])
    n = parts[NATIONAL][2]
    base = (
        f"Grundlag: n = {n} kommuner, der har besvaret både spørgsmål 1 og 2. Andel = borgere over 2 mio. kr. / "
        "alle borgere i botilbud."
    )
    return rows, base
