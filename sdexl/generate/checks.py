"""Live checks as spreadsheet formulas, built from the survey's structured rules.

The same conditions are checked again in Python on harvest; these formulas only
let a municipality see problems while it types. Each builder returns a boolean
Excel expression for one row of the entry sheet, written relative to that row,
so it serves both as a per-row helper formula and as a conditional format.

Only functions that Excel 2010+ and LibreOffice share are used (no TEXTJOIN,
no dynamic arrays), and comparisons use ``=`` rather than COUNTIF criteria,
whose wildcards (* ? ~) and operators (< >) would misread some categories.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdexl import layout
from sdexl.generate.lists import ListRef
from sdexl.survey.model import Condition, Question, Rule, Survey


def _q(text: str) -> str:
    """A string literal in a formula."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class RowContext:
    """Where one entry-sheet row's cells are; row is zero-based."""

    survey: Survey
    columns: dict[str, layout.Column]  # column key -> column
    lists: dict[str, ListRef]
    row: int
    used_col: int  # helper column holding 1 when the row is in use

    def ref(self, key: str) -> str:
        return layout.cell_ref(self.row, self.columns[key].index)

    def used(self) -> str:
        return f"${layout.col_letter(self.used_col)}{self.row + 1}=1"

    def multi_refs(self, q: Question) -> list[str]:
        return [self.ref(layout.multi_key(q.id, n)) for n in range(1, len(q.labels) + 1)]


def is_empty(ref: str) -> str:
    return f"LEN({ref})=0"


def is_filled(ref: str) -> str:
    return f"LEN({ref})>0"


def _in_set(ref: str, labels: list[str]) -> str:
    return "OR(" + ",".join(f"{ref}={_q(label)}" for label in labels) + ")"


def condition_holds(ctx: RowContext, cond: Condition) -> str:
    """True when the controlling answer is given and makes the question relevant."""
    ref = ctx.ref(cond.question)
    if cond.in_ is not None:
        return f"AND({is_filled(ref)},{_in_set(ref, cond.in_)})"
    return f"AND({is_filled(ref)},NOT({_in_set(ref, cond.not_in)}))"


def condition_fails(ctx: RowContext, cond: Condition) -> str:
    """True when the controlling answer is given and says: skip this question."""
    ref = ctx.ref(cond.question)
    if cond.in_ is not None:
        return f"AND({is_filled(ref)},NOT({_in_set(ref, cond.in_)}))"
    return f"AND({is_filled(ref)},{_in_set(ref, cond.not_in)})"


def answered(ctx: RowContext, q: Question) -> str:
    if q.type == "multi":
        return "COUNTA(" + ",".join(ctx.multi_refs(q)) + ")>0"
    return is_filled(ctx.ref(q.id))


def missing(ctx: RowContext, q: Question) -> str | None:
    """A required, relevant question left empty on a row in use."""
    if not q.required:
        return None
    parts = [ctx.used(), f"NOT({answered(ctx, q)})"]
    if q.relevant:
        parts.append(condition_holds(ctx, q.relevant))
    return "AND(" + ",".join(parts) + ")"


def invalid_cell(ctx: RowContext, q: Question, key: str) -> str | None:
    """The value in one cell is not a category, not a number, or out of range."""
    ref = ctx.ref(key)
    if q.type == "single":
        return f"AND({is_filled(ref)},ISNA(MATCH({ref},{ctx.lists[q.id].name},0)))"
    if q.type == "multi":
        return f"AND({is_filled(ref)},UPPER({ref})<>{_q(layout.MULTI_MARK)})"
    if q.type in ("integer", "amount", "date"):
        bad = []
        if q.min is not None:
            bad.append(f"{ref}<{q.min:g}")
        if q.max is not None:
            bad.append(f"{ref}>{q.max:g}")
        if q.type == "integer":
            bad.append(f"{ref}<>INT({ref})")
        range_check = f"OR({','.join(bad)})" if bad else "FALSE"
        # IF, not OR: INT() of text is an error that would poison the whole sum.
        return f"AND({is_filled(ref)},IF(ISNUMBER({ref}),{range_check},TRUE))"
    return None


def irrelevant(ctx: RowContext, q: Question) -> str | None:
    """An answer given although the question should be skipped."""
    if q.relevant:
        return f"AND({answered(ctx, q)},{condition_fails(ctx, q.relevant)})"
    if q.type == "other_text":
        choice = ctx.ref(q.other_of)
        return f"AND({is_filled(ctx.ref(q.id))},{choice}<>{_q(q.other_choice)})"
    return None


def rule_broken(ctx: RowContext, rule: Rule) -> str | None:
    """Per-row rules of a case survey (sheet-level rules live on the overview)."""
    if rule.kind != "band_matches_amount":
        return None
    band, amount = ctx.ref(rule.band), ctx.ref(rule.amount)
    lst = ctx.lists[rule.band]
    pos = f"MATCH({band},{lst.name},0)"
    # IF, not AND: INDEX of a failed MATCH is an error that AND would pass on.
    return (
        f"IF(AND(ISNUMBER({amount}),ISNUMBER({pos})),"
        f"OR({amount}<INDEX({lst.min_name},{pos}),{amount}>=INDEX({lst.max_name},{pos})),FALSE)"
    )


def count_of(expressions: list[str | None]) -> str:
    """How many of the boolean expressions hold, as one formula."""
    terms = [f"({e})*1" for e in expressions if e]
    return "=" + ("+".join(terms) if terms else "0")


def row_used(ctx: RowContext) -> str:
    """1 when any non-personal input of the row is filled."""
    refs = [ctx.ref(col.key) for col in ctx.columns.values() if not col.question.personal]
    return f"=IF(COUNTA({','.join(refs)})>0,1,0)"


def row_checks(ctx: RowContext) -> dict[str, str]:
    """The helper formulas of one row, by helper name."""
    survey = ctx.survey
    missing_exprs = [missing(ctx, q) for q in survey.questions]
    invalid_exprs = [invalid_cell(ctx, col.question, key) for key, col in ctx.columns.items()]
    irrelevant_exprs = [irrelevant(ctx, q) for q in survey.questions]
    rule_exprs = [rule_broken(ctx, r) for r in survey.rules]
    return {
        "used": row_used(ctx),
        "missing": count_of(missing_exprs),
        "invalid": count_of(invalid_exprs),
        "irrelevant": count_of(irrelevant_exprs),
        "rules": count_of(rule_exprs),
    }


HELPERS = ("used", "missing", "invalid", "irrelevant", "rules")


def kontrol_text(row: int, helper_cols: dict[str, int]) -> str:
    """The visible per-row verdict, in Danish."""

    def ref(name: str) -> str:
        return layout.cell_ref(row, helper_cols[name])

    parts = [
        f'IF({ref("missing")}>0,{ref("missing")}&" mangler. ","")',
        f'IF({ref("invalid")}>0,{ref("invalid")}&" ugyldige. ","")',
        f'IF({ref("irrelevant")}>0,{ref("irrelevant")}&" skal springes over. ","")',
        f'IF({ref("rules")}>0,"Beløb passer ikke med interval. ","")',
    ]
    problems = "+".join(ref(n) for n in ("missing", "invalid", "irrelevant", "rules"))
    return f'=IF({ref("used")}=0,"",IF({problems}=0,"OK",{"&".join(parts)}))'
