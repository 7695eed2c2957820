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
    """The value in one cell cannot be used on harvest: not a category, not a number, out of range.

    What harvest reads with only a warning is not invalid here either (see
    ``tolerated_mark`` and ``number_text``): "kvinde " is Kvinde, "x" is the mark, a
    number typed as text is the number, and a personal field is never checked.
    """
    if q.personal:
        return None
    ref = ctx.ref(key)
    if q.type == "single":
        return f"AND({is_filled(ref)},ISNA(MATCH(TRIM({ref}),{ctx.lists[q.id].name},0)))"
    if q.type == "multi":
        return f"AND({is_filled(ref)},NOT({tolerated_mark(ref)}))"
    if q.type in ("integer", "amount", "date"):
        return invalid_number(q, ref)
    return None


def invalid_number(q: Question, ref: str) -> str:
    """True when harvest cannot use the number in ``ref`` (the entry sheet's and the form's check).

    IF, not OR: INT() of text is an error that would poison the whole sum. A number typed as
    text is read by harvest (a note) and then range-checked like a number (an error when
    outside): the workbook does the same.
    """
    text_value = f"VALUE(TRIM({ref}))"
    return (
        f"AND({is_filled(ref)},IF(ISNUMBER({ref}),{_out_of_range(q, ref)},"
        f"IF({number_text(ref)},{_out_of_range(q, text_value)},TRUE)))"
    )


def _out_of_range(q: Question, value: str) -> str:
    """True when the number ``value`` is outside the question's bounds (or not whole for an integer)."""
    bad = [f"{value}<{q.min:g}"] if q.min is not None else []
    bad += [f"{value}>{q.max:g}"] if q.max is not None else []
    if q.type == "integer":
        bad.append(f"{value}<>INT({value})")
    return f"OR({','.join(bad)})" if bad else "FALSE"


def _text_in_range(rng: str, q: Question) -> str:
    """1 where a cell of ``rng`` holds text that reads as a number inside the bounds, element-wise.

    Dividing the value by the product of the conditions gives a number when all hold and
    #DIV/0! (or #VALUE! for text that is no number) otherwise, so ISNUMBER tells without an IF,
    which SUMPRODUCT would not evaluate element-wise in every client.
    """
    value = f"VALUE(TRIM({rng}))"
    conditions = [f"({value}>={q.min:g})"] if q.min is not None else []
    conditions += [f"({value}<={q.max:g})"] if q.max is not None else []
    if q.type == "integer":
        conditions.append(f"({value}=INT({value}))")
    if not conditions:
        return number_text(rng)
    return f"ISNUMBER({value}/({'*'.join(conditions)}))"


# Marks harvest reads as the X of a multi category (sdexl.harvest.values.MULTI_YES), upper case.
TOLERATED_MARKS = ("X", "1", "JA", "YES", "SAND", "TRUE", "✓", "✔")


def tolerated_mark(ref: str) -> str:
    """1 (true) where harvest reads the cell as a mark; works element-wise on a range too."""
    return "((" + "+".join(f"(UPPER(TRIM({ref}))={_q(m)})" for m in TOLERATED_MARKS) + ")>0)"


def number_text(ref: str) -> str:
    """True where the cell holds text that reads as a number (harvest: 'number-as-text', a warning).

    Harvest also reads "2.500.000 kr."; a formula cannot without locale trouble, so
    such text stays invalid here (the workbook then errs on the side of asking).
    """
    return f"ISNUMBER(VALUE(TRIM({ref})))"


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


def row_used(ctx: RowContext) -> str:
    """1 when any non-personal input of the row is filled."""
    refs = _grouped_refs(ctx, [col for col in ctx.columns.values() if not col.question.personal])
    return f"=IF(COUNTA({','.join(refs)})>0,1,0)"


def row_missing(ctx: RowContext) -> str:
    """How many required, relevant answers the row lacks (0 for an unused row).

    Unconditional single-cell questions are counted with COUNTBLANK over runs of
    adjacent columns: the formula stays short, which keeps generation fast
    (xlsxwriter runs ~30 regular expressions over every formula it writes).
    """
    simple = [c for c in ctx.columns.values() if c.question.required and not c.question.relevant and c.question.type != "multi"]
    terms = [f"COUNTBLANK({ref})" for ref in _grouped_refs(ctx, simple)]
    for q in ctx.survey.questions:
        if q.required and (q.relevant or q.type == "multi"):
            terms.append(f"({missing(ctx, q)})*1")
    body = "+".join(terms) or "0"
    return f"=IF({ctx.used()},{body},0)"


def _grouped_refs(ctx: RowContext, columns: list[layout.Column]) -> list[str]:
    """A1 references for the columns, adjacent ones joined into ranges (C7:H7)."""
    indexes = sorted(c.index for c in columns)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    refs = []
    for run in runs:
        first, last = layout.cell_ref(ctx.row, run[0]), layout.cell_ref(ctx.row, run[-1])
        refs.append(first if first == last else f"{first}:{last}")
    return refs


def row_duplicate_ref(ref: str, column: str) -> str:
    """1 when the row's case number is also on another row (harvest: 'duplicate-case-ref', an error).

    TRIM and "=" (which ignores case) compare as harvest does; SUMPRODUCT, not
    COUNTIF, whose wildcards would make "S*1" match "S-01".
    """
    return f"=IF(LEN({ref})=0,0,IF(SUMPRODUCT((TRIM({column})=TRIM({ref}))*1)>1,1,0))"


HELPERS = ("used", "missing", "dup")


def kontrol_text(row: int, helper_cols: dict[str, int]) -> str:
    """The visible per-row note, in Danish."""
    used = layout.cell_ref(row, helper_cols["used"])
    missing_ref = layout.cell_ref(row, helper_cols["missing"])
    dup = layout.cell_ref(row, helper_cols["dup"])
    same = '"Sagsnummeret står også i en anden række. "'
    return (f'=IF({used}=0,"",IF({dup}=1,{same},"")&'
            f'IF({missing_ref}>0,{missing_ref}&" svar mangler","Alle krævede svar er givet"))')


# --- sheet totals for the overview: one SUMPRODUCT per question -----------------
# Written once per question rather than once per row. Only operations that work
# element-wise inside SUMPRODUCT in both Excel and LibreOffice (no IF, no INDEX).


def _set_hits(rng: str, labels: list[str]) -> str:
    """1 where the cell equals one of the labels, else 0 (an array)."""
    return "((" + "+".join(f"({rng}={_q(label)})" for label in labels) + ")>0)"


def invalid_total(rng: str, q: Question, lists: dict[str, ListRef]) -> str | None:
    """Cells in the column range that harvest cannot use (see ``invalid_cell``)."""
    if q.personal:
        return None
    filled = f"(LEN({rng})>0)"
    if q.type == "single":
        return f"SUMPRODUCT({filled}*ISNA(MATCH(TRIM({rng}),{lists[q.id].name},0)))"
    if q.type == "multi":
        return f"SUMPRODUCT({filled}*(1-{tolerated_mark(rng)}))"
    if q.type in ("integer", "amount", "date"):
        out = [f"({q.min:g}>{rng})"] if q.min is not None else []
        out += [f"({rng}>{q.max:g})"] if q.max is not None else []
        not_number = f"SUMPRODUCT({filled}*(1-ISNUMBER({rng}))*(1-{number_text(rng)}))"
        if not out:
            return not_number
        text_outside = f"SUMPRODUCT((1-ISNUMBER({rng}))*{number_text(rng)}*(1-{_text_in_range(rng, q)}))"
        return f"{not_number}+SUMPRODUCT(ISNUMBER({rng})*(({'+'.join(out)})>0))+{text_outside}"
    return None


def normalised_total(rng: str, q: Question, lists: dict[str, ListRef]) -> str | None:
    """Cells harvest reads only after forgiving them: a warning, not an error.

    A category spelled otherwise (case, spaces), a mark other than X, a number
    typed as text, and anything in a personal field that is not a date.
    """
    filled = f"(LEN({rng})>0)"
    if q.personal:
        return f"SUMPRODUCT({filled}*(1-ISNUMBER({rng})))" if q.type == "date" else None
    if q.type == "single":
        exact = "+".join(f"EXACT({rng},{_q(label)})" for label in q.labels)
        return f"SUMPRODUCT({filled}*ISNUMBER(MATCH(TRIM({rng}),{lists[q.id].name},0))*(1-(({exact})>0)))"
    if q.type == "multi":
        return f"SUMPRODUCT({tolerated_mark(rng)}*(1-EXACT({rng},{_q(layout.MULTI_MARK)})))"
    if q.type in ("integer", "amount", "date"):
        return f"SUMPRODUCT({filled}*(1-ISNUMBER({rng}))*{number_text(rng)})"
    return None


def irrelevant_total(ranges: dict[str, str], q: Question) -> str | None:
    """Answers given although the question should be skipped."""
    if q.type == "multi":
        keys = [layout.multi_key(q.id, n) for n in range(1, len(q.labels) + 1)]
        given = "((" + "+".join(f"LEN({ranges[k]})" for k in keys) + ")>0)"
    else:
        given = f"(LEN({ranges[q.id]})>0)"
    if q.relevant:
        ctl = ranges[q.relevant.question]
        if q.relevant.in_ is not None:
            skip = f"(LEN({ctl})>0)*(1-{_set_hits(ctl, q.relevant.in_)})"
        else:
            skip = _set_hits(ctl, q.relevant.not_in)
        return f"SUMPRODUCT({given}*{skip})"
    if q.type == "other_text":
        return f"SUMPRODUCT({given}*({ranges[q.other_of]}<>{_q(q.other_choice)}))"
    return None


def band_rule_total(ranges: dict[str, str], rule: Rule, band_question: Question) -> str:
    """Rows whose exact amount lies outside the chosen band (one term per band)."""
    band, amount = ranges[rule.band], ranges[rule.amount]
    terms = []
    for choice in band_question.choices:
        outside = [f"({amount}<{choice.min:g})"] if choice.min is not None else []
        outside += [f"({amount}>={choice.max:g})"] if choice.max is not None else []
        if outside:
            terms.append(f"SUMPRODUCT(({band}={_q(choice.label)})*ISNUMBER({amount})*(({'+'.join(outside)})>0))")
    return "+".join(terms) or "0"
