"""The figures of one municipality's report, computed from the harvested snapshots.

A report sets the municipality beside four comparison groups: its KKR, its
comparable municipalities (``sdexl.reference.comparable``; the municipality
itself is not among them) and the whole country, each over the municipalities
that took part. The municipality's own figures are its own and are shown as
they are; every figure of a group is published as on the master's shared
sheets: small counts and the figures derived from them as "x", and secondary
suppression within a distribution (``sdexl.analysis.suppress``).

Nothing here writes a file: ``sdexl.report.workbook`` lays the figures out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sdexl.analysis.development import NATIONAL, Period, compare
from sdexl.analysis.indicators import BOTILBUD_TOTAL, CASES, rate_per_1000, total_question
from sdexl.analysis.snapshot import KOMMUNEKODE
from sdexl.analysis.stats import ranking, variation
from sdexl.analysis.suppress import HIDDEN, derived, is_small, protect, suppress_small
from sdexl.analysis.tables import Item, analysis_items, distribution
from sdexl.publish.context import MasterInput
from sdexl.reference import by_code
from sdexl.reference.comparable import Groups

OWN, KKR, PEERS, LAND = "own", "kkr", "peers", "land"
GROUPS = (OWN, KKR, PEERS, LAND)
PEERS_LABEL = "Sammenlignelige kommuner"
LAND_LABEL = "Hele landet"
# A difference worth a sentence: at least this many percentage points, on bases of at least MIN_BASE.
MIN_DIFFERENCE = 0.10
MIN_BASE = 10
BASE = "base"
# A group's figures are shown only when it holds at least this many municipalities besides the reader's own:
# otherwise the municipality could subtract its own figure (KKR) or read one other municipality's (a group of 1).
MIN_OTHERS = 3
TOO_FEW = "for få kommuner"


@dataclass
class Group:
    key: str
    label: str
    members: list[str]  # participating kommunekoder

    own: str = ""

    @property
    def suppressed(self) -> bool:
        return self.key != OWN

    @property
    def too_few(self) -> bool:
        """Too few other municipalities for its figures to be shown (see MIN_OTHERS)."""
        return self.key != OWN and len([m for m in self.members if m != self.own]) < MIN_OTHERS


@dataclass
class KeyFigure:
    label: str
    kind: str  # number format: int, dec, pct
    values: dict[str, object]  # group key -> published value (a number, "x" or a reason)
    raw: dict[str, float | None]  # the unsuppressed value (own: the shown one; groups: for the text only when shown)
    rank: int | None = None
    ranked: int = 0  # municipalities in the ranking
    quartile: int | None = None
    explanation: str = ""


@dataclass
class ItemFigures:
    item: Item
    categories: list[str]
    own_counts: list[int]
    shares: dict[str, list[object]]  # group key -> published share per category
    raw_shares: dict[str, list[float | None]]
    bases: dict[str, int]  # group key -> base (n)
    respondents: dict[str, int]
    hidden_bases: set[str] = field(default_factory=set)  # groups whose base is shown as x
    sentences: list[str] = field(default_factory=list)
    highlights: list[tuple[float, str, str]] = field(default_factory=list)  # (difference, group key, sentence)


@dataclass
class ChangeRow:
    label: str  # the level: the municipality, its KKR, ...
    n: int  # municipalities in both opgørelser
    before: object
    after: object
    change: object
    relative: object


@dataclass
class DevelopmentFigures:
    before: Period
    after: Period
    cases: list[ChangeRow]
    rate: list[ChangeRow]
    paired: int
    own_paired: bool
    method_changed: bool
    pooled_before: bool


@dataclass
class ReportFigures:
    code: str
    name: str
    kkr: str
    groups: dict[str, Group]
    peers_all: list[str]  # the comparison group, whether or not they took part
    peers_method: str
    key_figures: list[KeyFigure]
    items: list[ItemFigures]
    development: DevelopmentFigures | None
    threshold: int
    pooled_surveys: list[str]  # survey ids forming one opgørelse with this one (same reference date)

    def label(self, key: str) -> str:
        return self.groups[key].label


class Shared:
    """What every report of a survey shares, computed once: the groups' distributions and the opgørelser."""

    def __init__(self, ctx: MasterInput):
        self.ctx = ctx
        self._distributions: dict[tuple, object] = {}

    def distribution(self, item: Item, members: list[str]):
        key = (item.key, item.kind, tuple(members))
        if key not in self._distributions:
            self._distributions[key] = distribution(_records(self.ctx, members), item)
        return self._distributions[key]

    @property
    def periods(self) -> list[Period]:
        return self.ctx.periods

    def comparison(self):
        """(before, after, Development) of the previous opgørelse and this survey's; None without one."""
        if not hasattr(self, "_comparison"):
            found = self.periods
            current = next((i for i, p in enumerate(found) if self.ctx.survey.id in p.survey_ids), None)
            if not current:  # None (nothing harvested) or 0 (no earlier opgørelse)
                self._comparison = None
            else:
                before, after = found[current - 1], found[current]
                self._comparison = (before, after, compare(before, after, self.ctx.population.values))
        return self._comparison


def report_figures(ctx: MasterInput, code: str, comparable: Groups, shared: Shared | None = None) -> ReportFigures:
    shared = shared or Shared(ctx)
    municipality = by_code()[code]
    taking_part = set(ctx.participants)
    peers_all = comparable.of(code)
    groups = {
        OWN: Group(OWN, municipality.name, [code]),
        KKR: Group(KKR, municipality.kkr, [c for c in ctx.participants if by_code()[c].kkr == municipality.kkr]),
        PEERS: Group(PEERS, PEERS_LABEL, [c for c in peers_all if c in taking_part]),
        LAND: Group(LAND, LAND_LABEL, list(ctx.participants)),
    }
    for group in groups.values():
        group.own = code
    return ReportFigures(
        code,
        municipality.name,
        municipality.kkr,
        groups,
        peers_all,
        comparable.method(code),
        key_figures(ctx, code, groups),
        [item_figures(shared, item, groups) for item in report_items(ctx)],
        development_figures(shared, code, groups),
        ctx.threshold,
        pooled_with(ctx),
    )


def pooled_with(ctx: MasterInput) -> list[str]:
    """Every harvested survey with this survey's reference date (round 1 and round 2: one baseline)."""
    date = ctx.survey.reference_date
    return sorted(sid for sid, s in ctx.snapshots.items() if s.survey.reference_date == date and s.participants)


# -- key figures --------------------------------------------------------------


def key_figures(ctx: MasterInput, code: str, groups: dict[str, Group]) -> list[KeyFigure]:
    figures = [cases_figure(ctx, code, groups), rate_figure(ctx, code, groups)]
    if total_question(ctx.survey) is not None:
        figures.append(share_figure(ctx, code, groups))
    for figure in figures:
        for key, group in groups.items():
            if group.too_few:
                figure.values[key] = TOO_FEW
                figure.raw[key] = None
    return figures


def _sum(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def _ranked(figure: KeyFigure, values: dict[str, float], code: str) -> KeyFigure:
    """Rank (1 = highest) and quartile (4 = the quarter with the highest values) among ``values``."""
    if code not in values:
        return figure
    figure.ranked = len(values)
    figure.rank = next(rank for rank, key, _ in ranking(values) if key == code)
    spread = variation(list(values.values()))
    value = values[code]
    figure.quartile = 1 if value <= spread.q1 else 2 if value <= spread.median else 3 if value <= spread.q3 else 4
    return figure


def cases_figure(ctx: MasterInput, code: str, groups: dict[str, Group]) -> KeyFigure:
    raw = {key: _sum(ctx.cases(c) for c in g.members) for key, g in groups.items()}
    values = {key: raw[key] if key == OWN else _count(ctx, raw[key]) for key in groups}
    for key, g in groups.items():
        if key != OWN and _others_small(ctx, g, raw[key], raw[OWN]):
            values[key] = HIDDEN
    counts = {c: ctx.cases(c) for c in ctx.participants if ctx.cases(c) is not None}
    figure = KeyFigure("Borgere over 2 mio. kr.", "int", values, raw)
    figure.explanation = "Antal borgere i botilbud med en årlig udgift på 2 mio. kr. eller mere (summen over gruppens kommuner)."
    return _ranked(figure, counts, code)


def rate_figure(ctx: MasterInput, code: str, groups: dict[str, Group]) -> KeyFigure:
    raw: dict[str, float | None] = {}
    values: dict[str, object] = {}
    own_cases = _sum(ctx.cases(c) for c in groups[OWN].members if c in ctx.rates)
    for key, g in groups.items():
        rate, n = ctx.pooled_rate(g.members)
        raw[key] = rate
        cases = _sum(ctx.cases(c) for c in g.members if c in ctx.rates)
        if rate is None:
            values[key] = "ikke tilgængelig: befolkningstal mangler" if n == 0 and g.members else "ikke tilgængelig"
        elif key != OWN and _others_small(ctx, g, cases, own_cases):
            values[key] = HIDDEN  # the rate times the public population gives the count back
        else:
            values[key] = rate if key == OWN else derived(rate, cases, threshold=ctx.threshold)
    figure = KeyFigure("Pr. 1.000 18-66-årige", "dec", values, raw)
    figure.explanation = (
        "Antal borgere over 2 mio. kr. delt med befolkningen på 18-66 år × 1.000; for en gruppe alle gruppens "
        "borgere over alle gruppens 18-66-årige."
    )
    return _ranked(figure, dict(ctx.rates), code)


def share_figure(ctx: MasterInput, code: str, groups: dict[str, Group]) -> KeyFigure:
    """Share of all citizens in botilbud who are over 2 mio. kr. (2024: question 2 of question 1)."""
    raw: dict[str, float | None] = {}
    values: dict[str, object] = {}
    shares: dict[str, float] = {}
    for c in ctx.participants:
        cases, total = ctx.cases(c), ctx.indicator(c, BOTILBUD_TOTAL)
        if cases is not None and total:
            shares[c] = cases / total
    for key, g in groups.items():
        usable = [c for c in g.members if c in shares]
        cases = _sum(ctx.cases(c) for c in usable)
        total = _sum(ctx.indicator(c, BOTILBUD_TOTAL) for c in usable)
        share = cases / total if cases is not None and total else None
        raw[key] = share
        if share is None:
            values[key] = "ikke tilgængelig"
        else:
            values[key] = share if key == OWN else derived(share, cases, total - cases, threshold=ctx.threshold)
    figure = KeyFigure("Andel af borgere i botilbud", "pct", values, raw)
    figure.explanation = "Spørgsmål 2 delt med spørgsmål 1: borgere over 2 mio. kr. af alle borgere i botilbud."
    return _ranked(figure, shares, code)


def _others_small(ctx: MasterInput, group: Group, total: float | None, own: float | None) -> bool:
    """True when a group that includes the reader (its KKR, the country) holds only a few citizens
    besides the reader's own: the municipality would subtract its own figure and see them."""
    if group.own not in group.members or total is None or own is None:
        return False
    return is_small(total - own, ctx.threshold)


def _count(ctx: MasterInput, value: float | None):
    return "ikke tilgængelig" if value is None else suppress_small(value, ctx.threshold)


# -- distributions ------------------------------------------------------------


def report_items(ctx: MasterInput) -> list[Item]:
    """The questions with answer categories (case surveys) or the band tables (aggregate)."""
    return [item for item in analysis_items(ctx.survey) if item.kind in ("choice", "bands")]


def _records(ctx: MasterInput, members: list[str]):
    records = ctx.snapshot.records
    if not len(records):
        return records
    return records[records[KOMMUNEKODE].isin(set(members))]


def item_figures(shared: Shared, item: Item, groups: dict[str, Group]) -> ItemFigures:
    ctx = shared.ctx
    shares: dict[str, list[object]] = {}
    raw: dict[str, list[float | None]] = {}
    bases: dict[str, int] = {}
    respondents: dict[str, int] = {}
    own_counts: list[int] = []
    categories: list[str] = []
    hidden_bases: set[str] = set()
    for key, g in groups.items():
        dist = shared.distribution(item, g.members)
        categories = dist.categories
        bases[key], respondents[key] = dist.base, dist.respondents
        raw[key] = [dist.pct(i) for i in range(len(dist.counts))]
        if g.too_few:
            shares[key] = [TOO_FEW] * len(dist.counts)
            raw[key] = [None] * len(dist.counts)
            bases[key] = 0  # no sentence compares with it; the sheet shows TOO_FEW instead of the base
            continue
        if key == OWN:
            own_counts = list(dist.counts)
            shares[key] = list(raw[key])
            continue
        values = {i: n for i, n in enumerate(dist.counts)} | {BASE: dist.base}
        if g.own in g.members and own_counts:
            # The reader knows its own counts, and its KKR and the country include them: what a
            # group shows beyond them (the other municipalities' citizens) must not be small, nor
            # be worked out from what is shown.
            values = {i: n - own_counts[i] for i, n in enumerate(dist.counts)} | {BASE: dist.base - bases[OWN]}
        lines = [] if item.multi else [(list(range(len(dist.counts))), BASE)]
        hidden = protect(values, lines, ctx.threshold)
        if BASE in hidden:
            hidden_bases.add(key)
        shares[key] = [
            HIDDEN if i in hidden or BASE in hidden else raw[key][i] if dist.base else None
            for i in range(len(dist.counts))
        ]
    result = ItemFigures(item, categories, own_counts, shares, raw, bases, respondents, hidden_bases)
    result.sentences = difference_sentences(result, groups)
    return result


def pct_text(value: float) -> str:
    return f"{value * 100:.0f} %"


def difference_sentences(figures: ItemFigures, groups: dict[str, Group]) -> list[str]:
    """A sentence on the clearest difference from the country, and one from the comparable municipalities.

    The rule (stated in the report): a difference of at least 10 percentage
    points, where both bases are at least 10, and the comparison figure is shown.
    """
    own = groups[OWN].label
    sentences = []
    if figures.bases[OWN] < MIN_BASE:
        return sentences
    for key, against in ((LAND, "hele landet"), (PEERS, "de sammenlignelige kommuner")):
        if figures.bases[key] < MIN_BASE or key in figures.hidden_bases:
            continue
        found = []
        for i in range(len(figures.categories)):
            mine, theirs = figures.raw_shares[OWN][i], figures.shares[key][i]
            if not isinstance(theirs, float) or mine is None:
                continue
            if abs(mine - theirs) >= MIN_DIFFERENCE - 1e-9:
                found.append((abs(mine - theirs), i, mine, theirs))
        for difference, i, mine, theirs in sorted(found, reverse=True)[:1]:  # the largest per comparison
            word = "større" if mine > theirs else "mindre"
            points = round(difference * 100)
            sentence = (
                f"{own} har en {word} andel {_what(figures.item)} »{figures.categories[i]}« ({pct_text(mine)}) end "
                f"{against} ({pct_text(theirs)}): {points} procentpoint."
            )
            sentences.append(sentence)
            figures.highlights.append((difference, key, sentence))
    return sentences


def _what(item: Item) -> str:
    if item.kind == "choice":
        return "med svaret"
    if item.questions and item.questions[0].indicator == "exit_reason":
        return "med årsagen"
    return "i intervallet"


def highlights(figures: ReportFigures, limit: int = 4) -> list[tuple[str, str]]:
    """The clearest differences from the whole country across all questions: (question, sentence)."""
    found = [(d, item.item.title, text) for item in figures.items for d, key, text in item.highlights if key == LAND]
    return [(title, text) for _, title, text in sorted(found, key=lambda f: -f[0])[:limit]]


# -- development --------------------------------------------------------------


def development_figures(shared: Shared, code: str, groups: dict[str, Group]) -> DevelopmentFigures | None:
    """The previous opgørelse against this survey's, for the municipality and each group."""
    ctx = shared.ctx
    if shared.comparison() is None:
        return None
    before, after, dev = shared.comparison()
    population = ctx.population.values
    paired = set(dev.paired)
    levels = [
        (groups[OWN].label, [code] if code in paired else []),
        (groups[KKR].label, [c for c in dev.paired if by_code()[c].kkr == groups[KKR].label]),
        (PEERS_LABEL, [c for c in groups[PEERS].members if c in paired]),
        (NATIONAL, list(dev.paired)),
    ]
    cases_rows, rate_rows = [], []
    for index, (label, members) in enumerate(levels):
        suppressed = index > 0
        if suppressed and len([m for m in members if m != code]) < MIN_OTHERS:
            cases_rows.append(ChangeRow(label, len(members), TOO_FEW, TOO_FEW, None, None))
            rate_rows.append(ChangeRow(label, len(members), TOO_FEW, TOO_FEW, None, None))
            continue
        cases_rows.append(_cases_change(ctx, label, members, before, after, suppressed))
        rate_rows.append(_rate_change(ctx, label, members, before, after, population, suppressed))
    before_kinds = {ctx.snapshots[s].survey.kind for s in before.survey_ids if s in ctx.snapshots}
    return DevelopmentFigures(
        before,
        after,
        cases_rows,
        rate_rows,
        len(dev.paired),
        code in paired,
        before_kinds != {ctx.survey.kind},
        len(before.survey_ids) > 1,
    )


def _cases_change(ctx, label, members, before: Period, after: Period, suppressed: bool) -> ChangeRow:
    both = [m for m in members if (m, CASES, "") in before.values and (m, CASES, "") in after.values]
    if not both:
        return ChangeRow(label, 0, "ikke tilgængelig", "ikke tilgængelig", None, None)
    b = sum(before.values[(m, CASES, "")] for m in both)
    a = sum(after.values[(m, CASES, "")] for m in both)
    change, relative = a - b, ((a - b) / b if b else "ikke tilgængelig: ingen før")
    if suppressed and (is_small(b, ctx.threshold) or is_small(a, ctx.threshold)):
        return ChangeRow(label, len(both), suppress_small(b, ctx.threshold), suppress_small(a, ctx.threshold), HIDDEN, HIDDEN)
    return ChangeRow(label, len(both), b, a, change, relative)


def _rate_change(ctx, label, members, before: Period, after: Period, population, suppressed: bool) -> ChangeRow:
    usable = [
        m for m in members if population.get(m) and (m, CASES, "") in before.values and (m, CASES, "") in after.values
    ]
    if not usable:
        return ChangeRow(label, 0, "ikke tilgængelig", "ikke tilgængelig", None, None)
    people = sum(population[m] for m in usable)
    cases_b = sum(before.values[(m, CASES, "")] for m in usable)
    cases_a = sum(after.values[(m, CASES, "")] for m in usable)
    b, a = rate_per_1000(cases_b, people), rate_per_1000(cases_a, people)
    if suppressed and (is_small(cases_b, ctx.threshold) or is_small(cases_a, ctx.threshold)):
        return ChangeRow(label, len(usable), HIDDEN, HIDDEN, HIDDEN, HIDDEN)
    return ChangeRow(label, len(usable), b, a, a - b, (a - b) / b if b else "ikke tilgængelig: ingen før")
