"""Validate every cell of a returned file and collect all problems in one pass.

Input is what ``read.py`` located: cells by column key with their address in
the returned file. Output is a ``FileReport``: canonical answers per case (or
for the one aggregate form) and every issue, each with its catalogue code,
sheet, cell, value and Danish message.

Decisions worth knowing:
- Personal fields (``personal: true``) are checked only so the municipality can
  fix its own copy; their values never enter answers, issue values or messages.
- A cell with an error is None in ``Record.answers`` and listed in
  ``Record.error_questions``. An irrelevant answer is dropped (None) with a warning.
- Rule violations exclude what cannot be trusted: ``at_most`` and
  ``band_matches_amount`` exclude both answers (we cannot tell which is wrong);
  ``sum_equals`` excludes the parts, since the whole is asked directly and is
  checked on its own by other rules.
- Zero cases stated while rows are filled is an error; the rows are kept and
  ``zero_cases`` is False, since filled rows are more specific than one "Ja".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sdexl import layout, messages, privacy, workbook_text
from sdexl.harvest import values
from sdexl.harvest.report import FileReport, Issue, Record
from sdexl.survey.model import TEXT_TYPES, Question, Rule, Survey

SHOWN_MAX = 200  # characters of a value quoted in a message


@dataclass(frozen=True)
class Cell:
    """One cell as read: its value and its address in the returned file."""

    value: Any
    ref: str
    error: str | None = None  # a formula error the cell shows, e.g. "#N/A"

    @property
    def filled(self) -> bool:
        return self.error is not None or not values.is_blank(self.value)


@dataclass
class Row:
    """One row of a case entry sheet: cells by column key (question id or '<id>#<n>')."""

    row: int  # 1-based sheet row
    cells: dict[str, Cell]


@dataclass
class _Context:
    survey: Survey
    sheet: str
    issues: list[Issue] = field(default_factory=list)
    personal: privacy.Personal = field(default_factory=privacy.Personal)  # the current row's name/birth date
    personal_keys: frozenset[str] | None = None  # the entry columns of personal questions

    def add(
        self,
        code: str,
        *,
        cell: str | None = None,
        q: Question | None = None,
        value: Any = None,
        row: int | None = None,
        case: str | None = None,
        **fields: Any,
    ) -> None:
        shown = None if value is None or (q is not None and q.personal) else self.shown(value, q)
        fields.setdefault("value", shown)
        if q is not None:
            fields.setdefault("question", question_ref(q))
            fields.setdefault("how", workbook_text.TYPE_HINTS[q.type])
        text = messages.render(code, sheet=self.sheet, cell=cell, case=case, row=row, **fields)
        self.issues.append(
            Issue(
                code=code,
                severity=messages.severity(code),
                message=text,
                sheet=self.sheet,
                cell=cell,
                value=fields["value"] if shown is not None else None,
                question_id=q.id if q is not None else None,
                row=row,
            )
        )


    def shown(self, value: Any, q: Question | None) -> str:
        """A value for a message: CPR-like numbers masked, the row's own name and birth date removed."""
        if q is not None and not q.is_number and privacy.is_cpr_number(value):
            return privacy.CPR_MASK
        text = privacy.mask_cpr(values.display(value))
        text = self.personal.scrub(text)[0]
        # A message quotes the beginning of a long value: it must fit in one cell of the feedback too.
        return text if len(text) <= SHOWN_MAX else text[:SHOWN_MAX].rstrip() + "…"


def question_ref(q: Question) -> str:
    return messages.question_ref(q.number, q.header)


# --- Public entry points ---------------------------------------------------


def validate_cases(
    survey: Survey,
    sheet: str,
    rows: list[Row],
    zero_cases: Cell | None = None,
    missing: set[str] | frozenset[str] = frozenset(),
) -> FileReport:
    """A case survey: one record per used row; ``missing`` holds question ids without a column."""
    ctx = _Context(survey, sheet)
    read = [found for row in rows if (found := _case_record(ctx, row, missing)) is not None]
    _check_duplicate_refs(ctx, read)
    records = [rec for rec, _ in read]
    stated = _zero_cases(ctx, zero_cases)
    if stated and records:
        ctx.add("zero-cases-with-rows", cell=zero_cases.ref, count=len(records))
        stated = False
    elif not stated and not records:
        ctx.add("empty-file")
    return FileReport(issues=ctx.issues, records=records, zero_cases=stated)


def validate_form(
    survey: Survey,
    sheet: str,
    cells: dict[str, Cell],
    missing: set[str] | frozenset[str] = frozenset(),
) -> FileReport:
    """An aggregate survey: one form, cells by question id. Zero cases = the 'cases' count is 0."""
    ctx = _Context(survey, sheet)
    if not any(cell.filled for cell in cells.values()):
        ctx.add("empty-form")
        return FileReport(issues=ctx.issues, records=[])
    record, _ = _record(ctx, None, cells, missing)
    cases_q = next((q for q in survey.questions if q.indicator == "cases"), None)
    zero = cases_q is not None and record.answers.get(cases_q.id) == 0
    return FileReport(issues=ctx.issues, records=[record], zero_cases=zero)


# --- One row / the form ----------------------------------------------------


def _case_record(ctx: _Context, row: Row, missing) -> tuple[Record, dict[str, str]] | None:
    if ctx.personal_keys is None:  # once per sheet, not once per row
        ctx.personal_keys = frozenset(c.key for c in layout.entry_columns(ctx.survey) if c.question.personal)
    personal = ctx.personal_keys
    cells = row.cells
    if not any(cell.filled for key, cell in cells.items() if key not in personal):
        filled = [ctx.survey.question(key) for key in personal if key in cells and cells[key].filled]
        if filled:
            names = messages.join_and([q.header for q in filled])
            ctx.add("row-without-answers", row=row.row, fields=names)
        return None
    return _record(ctx, row.row, cells, missing)


def _record(ctx: _Context, row: int | None, cells: dict[str, Cell], missing) -> tuple[Record, dict[str, str]]:
    """The record and the cell address of each question's answer."""
    survey = ctx.survey
    answers: dict[str, Any] = {}
    refs: dict[str, str] = {}
    errors: set[str] = set()
    ctx.personal = _personal(survey, cells) if row is not None else privacy.Personal()
    case = _case_label(survey, cells, ctx.personal)
    for q in survey.questions:
        if q.id in missing:
            if not q.personal:
                answers[q.id] = None
            continue
        ref, value, failed = _read_question(ctx, q, cells, row, case)
        refs[q.id] = ref
        if q.personal:
            continue
        answers[q.id] = None if failed else value
        if failed:
            errors.add(q.id)
    shown = {q.id: _raw_value(q, cells) for q in survey.questions if not q.personal}
    shown.update({q.id: answers.get(q.id) for q in survey.questions if q.type in TEXT_TYPES and not q.personal})
    for q in survey.questions:
        if q.personal or q.id in missing:
            continue
        _check_relevance(ctx, q, answers, refs, shown, row, case)
        _check_other_text(ctx, q, answers, refs, row, case)
        _check_required(ctx, q, answers, refs, errors, row, case)
    for rule in survey.rules:
        _check_rule(ctx, rule, answers, refs, errors, row, case)
    return Record(row=row, answers=answers, error_questions=errors), refs


def _case_label(survey: Survey, cells: dict[str, Cell], personal: privacy.Personal) -> str | None:
    """The case number for messages; None when it holds a CPR number, name or birth date."""
    ref_q = survey.case_ref
    if ref_q is None or ref_q.id not in cells:
        return None
    label = values.parse_text(cells[ref_q.id].value).value
    if privacy.find_cpr(label) or any(personal.scrub(label)[1:]):
        return None
    return label


def _personal(survey: Survey, cells: dict[str, Cell]) -> privacy.Personal:
    """The row's own name and birth date (personal fields), to keep them out of its other answers."""
    name, born = None, None
    for q in survey.questions:
        cell = cells.get(q.id)
        if not q.personal or cell is None or not cell.filled or cell.error is not None:
            continue
        if q.type == "date":
            iso = values.parse_date(cell.value).value
            born = born or (dt.date.fromisoformat(iso) if iso else None)
        elif q.type in TEXT_TYPES and isinstance(cell.value, str):
            name = name or cell.value
    return privacy.Personal.of(name, born)


def _raw_value(q: Question, cells: dict[str, Cell]) -> Any:
    """What the municipality wrote for ``q``, for messages about dropped answers."""
    if q.type == "multi":
        marked = [cells[k].value for k in _multi_keys(q) if k in cells and cells[k].filled]
        return ", ".join(values.display(v) for v in marked) or None
    cell = cells.get(q.id)
    if cell is None or not cell.filled:
        return None
    # Free text is shown masked: a CPR number never reaches a message.
    return values.parse_text(cell.value).value if q.type in TEXT_TYPES else cell.value


def _multi_keys(q: Question) -> list[str]:
    return [layout.multi_key(q.id, n) for n in range(1, len(q.labels) + 1)]


# --- One question ----------------------------------------------------------


def _read_question(ctx, q: Question, cells, row, case) -> tuple[str | None, Any, bool]:
    """(cell address, canonical value, failed) for one question, adding its cell issues."""
    if q.type == "multi":
        return _read_multi(ctx, q, cells, row, case)
    cell = cells.get(q.id)
    if cell is None:
        return None, None, False
    if cell.error is not None:
        if not q.personal:
            ctx.add("formula-error", cell=cell.ref, q=q, value=cell.error, row=row, case=case)
        return cell.ref, None, not q.personal
    if q.personal:
        _check_personal(ctx, q, cell, row, case)
        return cell.ref, None, False
    if q.type in TEXT_TYPES:
        return _read_text(ctx, q, cell, row, case)
    if privacy.find_cpr(cell.value) or (not q.is_number and privacy.is_cpr_number(cell.value)):
        # A CPR number typed where a choice, number or date belongs: read as the mask, so it fails.
        # (A number in an amount cell is an amount, never masked.)
        ctx.add("cpr-masked", cell=cell.ref, q=q, value=cell.value, row=row, case=case)
        cell = Cell(privacy.mask_cpr(cell.value) if isinstance(cell.value, str) else privacy.CPR_MASK, cell.ref)
    parsed = _parse(q, cell.value)
    _add_notes(ctx, parsed, cell, q, row, case)
    return cell.ref, parsed.value, parsed.failed


def _read_text(ctx, q: Question, cell: Cell, row, case) -> tuple[str | None, Any, bool]:
    """Free text and the case number: CPR-like numbers masked, the row's name and birth date removed."""
    parsed = values.parse_text(cell.value)
    scrubbed, name, born = ctx.personal.scrub(parsed.value)
    cpr = any(code == "cpr-masked" for code, _ in parsed.notes)
    if q.role == "case_ref" and (cpr or name or born):
        # Never kept, and never repeated: the message names the cell and row only.
        code = "case-ref-is-cpr" if cpr else "case-ref-is-personal"
        ctx.add(code, cell=cell.ref, row=row, header=q.header)
        return cell.ref, None, True
    for code, extra in parsed.notes:
        more = {key: value for key, value in extra.items() if key != "value"}
        ctx.add(code, cell=cell.ref, q=q, value=scrubbed, row=row, case=case, **more)
    if name or born:
        ctx.add("personal-in-text", cell=cell.ref, q=q, value=scrubbed, row=row, case=case)
    return cell.ref, scrubbed, parsed.failed


def _add_notes(ctx, parsed: values.Parsed, cell: Cell, q: Question, row, case, **more) -> None:
    for code, extra in parsed.notes:
        # A note may show the value otherwise (masked CPR, a number as read).
        fields = {"value": cell.value, **more, **extra}
        ctx.add(code, cell=cell.ref, q=q, row=row, case=case, **fields)


def _parse(q: Question, value: Any) -> values.Parsed:
    if q.type == "single":
        return values.parse_choice(value, q)
    if q.is_number:
        return values.parse_number(value, q)
    if q.type == "date":
        return values.parse_date(value)
    return values.parse_text(value)


def _read_multi(ctx, q: Question, cells, row, case) -> tuple[str | None, Any, bool]:
    chosen: list[str] = []
    failed = False
    first_ref = None
    for key, label in zip(_multi_keys(q), q.labels):
        cell = cells.get(key)
        if cell is None:
            continue
        first_ref = first_ref or cell.ref
        if cell.error is not None:
            ctx.add("formula-error", cell=cell.ref, q=q, value=cell.error, row=row, case=case)
            failed = True
            continue
        parsed = values.parse_mark(cell.value)
        _add_notes(ctx, parsed, cell, q, row, case, choice=label)
        failed = failed or parsed.failed
        if parsed.value:
            chosen.append(label)
    return first_ref, layout.MULTI_SEPARATOR.join(chosen) or None, failed


def _check_personal(ctx, q: Question, cell: Cell, row, case) -> None:
    """Only the format is checked, and the value is never repeated."""
    if q.type == "date" and cell.filled and values.parse_date(cell.value).failed:
        ctx.add("personal-invalid", cell=cell.ref, q=q, row=row, case=case)


def _relevant(q: Question, answers: dict[str, Any]) -> bool | None:
    if q.relevant is None:
        return True
    return q.relevant.holds(answers.get(q.relevant.question))


def _check_relevance(ctx, q, answers, refs, shown, row, case) -> None:
    if answers.get(q.id) is None or _relevant(q, answers) is not False:
        return
    controller = ctx.survey.question(q.relevant.question)
    ctx.add(
        "irrelevant-answer",
        cell=refs[q.id],
        q=q,
        value=shown[q.id],
        row=row,
        case=case,
        controller=question_ref(controller),
        controller_value=answers[controller.id],
    )
    answers[q.id] = None


def _check_other_text(ctx, q, answers, refs, row, case) -> None:
    if q.type != "other_text" or answers.get(q.id) is None:
        return
    chosen = answers.get(q.other_of)
    if chosen is not None and q.other_choice in str(chosen).split(layout.MULTI_SEPARATOR):
        return
    controller = ctx.survey.question(q.other_of)
    ctx.add(
        "other-text-without-other",
        cell=refs[q.id],
        q=q,
        value=answers[q.id],
        row=row,
        case=case,
        controller=question_ref(controller),
        other=q.other_choice,
    )
    answers[q.id] = None  # the elaboration goes with the answer it elaborates


def _check_required(ctx, q, answers, refs, errors, row, case) -> None:
    if answers.get(q.id) is not None or q.id in errors or refs.get(q.id) is None:
        return
    if q.role == "case_ref":
        ctx.add("case-ref-missing", cell=refs[q.id], q=q, row=row)
        errors.add(q.id)
    elif q.required and _relevant(q, answers) is True:
        ctx.add("required-missing", cell=refs[q.id], q=q, row=row, case=case)
        errors.add(q.id)


# --- Cross-field rules -----------------------------------------------------


def _check_rule(ctx, rule: Rule, answers, refs, errors, row, case) -> None:
    check = {
        "sum_equals": _sum_equals,
        "at_most": _at_most,
        "band_matches_amount": _band_matches_amount,
    }.get(rule.kind)
    if check is None:  # none_if_zero_cases is a file-level rule: see validate_cases
        return
    excluded = check(ctx, rule, answers, refs, row, case)
    for qid in excluded:
        answers[qid] = None
        errors.add(qid)


def _numbers(answers, qids) -> list[float] | None:
    found = [answers.get(qid) for qid in qids]
    return None if any(v is None for v in found) else found


def _sum_equals(ctx, rule, answers, refs, row, case) -> list[str]:
    found = _numbers(answers, rule.parts + [rule.whole])
    if found is None or sum(found[:-1]) == found[-1]:
        return []
    survey = ctx.survey
    parts = [survey.question(qid) for qid in rule.parts]
    whole = survey.question(rule.whole)
    ctx.add(
        "rule-sum-equals",
        cell=refs[whole.id],
        q=whole,
        value=found[-1],
        row=row,
        case=case,
        parts=_questions_text(parts),
        total=values.format_number(sum(found[:-1])),
        whole=question_ref(whole),
        whole_value=values.format_number(found[-1]),
        description=rule.description,
    )
    return list(rule.parts)


def _at_most(ctx, rule, answers, refs, row, case) -> list[str]:
    found = _numbers(answers, [rule.part, rule.whole])
    if found is None or found[0] <= found[1]:
        return []
    part, whole = ctx.survey.question(rule.part), ctx.survey.question(rule.whole)
    ctx.add(
        "rule-at-most",
        cell=refs[part.id],
        q=part,
        value=found[0],
        row=row,
        case=case,
        part=question_ref(part),
        part_value=values.format_number(found[0]),
        whole=question_ref(whole),
        whole_value=values.format_number(found[1]),
        description=rule.description,
    )
    return [rule.part, rule.whole]


def _band_matches_amount(ctx, rule, answers, refs, row, case) -> list[str]:
    band_label, amount = answers.get(rule.band), answers.get(rule.amount)
    if band_label is None or amount is None:
        return []
    band = ctx.survey.question(rule.band)
    choice = next(c for c in band.choices if c.label == band_label)
    low = choice.min if choice.min is not None else float("-inf")
    high = choice.max if choice.max is not None else float("inf")
    if low <= amount < high:
        return []
    amount_q = ctx.survey.question(rule.amount)
    ctx.add(
        "rule-band-mismatch",
        cell=refs[amount_q.id],
        q=amount_q,
        value=amount,
        row=row,
        case=case,
        amount=values.format_number(amount),
        band_value=band_label,
        band=question_ref(band),
        description=rule.description,
    )
    return [rule.band, rule.amount]


def _questions_text(qs: list[Question]) -> str:
    if all(q.number for q in qs):
        return messages.PHRASES["questions-numbered"].format(numbers=messages.join_and([q.number for q in qs]))
    return messages.join_and([question_ref(q) for q in qs])


# --- File-level checks -----------------------------------------------------


def _check_duplicate_refs(ctx: _Context, read: list[tuple[Record, dict[str, str]]]) -> None:
    """Every occurrence of a repeated case number is an error: we cannot tell which row is right."""
    ref_q = ctx.survey.case_ref
    if ref_q is None:
        return
    seen: dict[str, list[tuple[Record, dict[str, str]]]] = defaultdict(list)
    for rec, refs in read:
        value = rec.answers.get(ref_q.id)
        if value is not None:
            seen[values.fold(str(value))].append((rec, refs))
    for group in seen.values():
        if len(group) < 2:
            continue
        for rec, refs in group:
            others = messages.join_and([str(o.row) for o, _ in group if o is not rec])
            value = rec.answers[ref_q.id]
            ctx.add("duplicate-case-ref", cell=refs[ref_q.id], q=ref_q, value=value, row=rec.row, others=others)
            rec.answers[ref_q.id] = None
            rec.error_questions.add(ref_q.id)


@dataclass
class _Read:
    """A case already counted: where its case number stands, and what it answered."""

    sheet: str
    cell: str
    record: Record


def merge_copied_sheet(
    survey: Survey, report: FileReport, seen: dict[str, _Read], sheet: str, rows: list[Row], copy: FileReport
) -> None:
    """Add the cases of a copied entry sheet ("Sager (2)") to ``report``, each case once.

    ``seen`` holds the cases read so far (main sheet first, by folded case number; build it with
    ``cases_read``). A row identical to one read before (same case number, same answers) is the same
    case copied along with the sheet: it is counted once, and one note per sheet says so. The same
    case number with other answers is an error on both cells, like a case number repeated on one
    sheet: both rows are kept as cases, but the case number is not, until the municipality says
    which is right.
    """
    ctx = _Context(survey, sheet)
    same: dict[str, list[int]] = defaultdict(list)
    kept: list[Record] = []
    for record, cell, earlier in _against_read(survey, seen, sheet, rows, copy):
        if earlier is not None and _same_answers(record, earlier.record):
            same[earlier.sheet].append(record.row)
            continue
        if earlier is not None:
            _conflict(ctx, survey, report, earlier, sheet, cell, record, record.answers[survey.case_ref.id])
        kept.append(record)
    dropped = {row for group in same.values() for row in group}
    report.issues += [i for i in copy.issues if i.code != "empty-file" and not (i.sheet == sheet and i.row in dropped)]
    for other, found in same.items():
        ctx.add("copied-sheet-same-cases", count=len(found), other=other, rows_list=_rows_list(found))
    report.issues += ctx.issues
    for record in kept:
        record.row = None  # a row number would clash with the main sheet's
    report.records += kept
    if report.records:
        report.issues = [i for i in report.issues if i.code != "empty-file"]


def rows_counted_once(survey: Survey, seen: dict[str, _Read], sheet: str, rows: list[Row], copy: FileReport) -> set[int]:
    """The rows of a copied sheet that ``merge_copied_sheet`` counts once (the feedback leaves them out)."""
    return {
        record.row
        for record, _cell, earlier in _against_read(survey, seen, sheet, rows, copy)
        if earlier is not None and _same_answers(record, earlier.record)
    }


def _against_read(survey: Survey, seen: dict[str, _Read], sheet: str, rows: list[Row], copy: FileReport):
    """(record, its case-number cell, the case read before with that number or None) for each case of a copy;
    a new case number joins ``seen``."""
    ref_q = survey.case_ref
    cells = {row.row: row.cells.get(ref_q.id) if ref_q else None for row in rows}
    for record in copy.records:
        ref = record.answers.get(ref_q.id) if ref_q else None
        cell = cells.get(record.row)
        if ref is None or cell is None:
            yield record, None, None
            continue
        key = values.fold(str(ref))
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = _Read(sheet, cell.ref, record)
        yield record, cell.ref, earlier


def cases_read(survey: Survey, sheet: str, rows: list[Row], report: FileReport) -> dict[str, _Read]:
    """The cases of the main entry sheet, by folded case number (those repeated on it are not among them)."""
    ref_q = survey.case_ref
    if ref_q is None:
        return {}
    cells = {row.row: row.cells.get(ref_q.id) for row in rows}
    seen: dict[str, _Read] = {}
    for record in report.records:
        ref, cell = record.answers.get(ref_q.id), cells.get(record.row)
        if ref is not None and cell is not None:
            seen.setdefault(values.fold(str(ref)), _Read(sheet, cell.ref, record))
    return seen


def _same_answers(a: Record, b: Record) -> bool:
    """Same answers, the case number compared as a reader would ("S 1" is "s 1")."""
    keys = set(a.answers) | set(b.answers)
    return a.error_questions == b.error_questions and all(
        _comparable(a.answers.get(k)) == _comparable(b.answers.get(k)) for k in keys
    )


def _comparable(value: Any) -> Any:
    return values.fold(value) if isinstance(value, str) else value


def _conflict(ctx: _Context, survey: Survey, report: FileReport, earlier: _Read, sheet: str, cell: str,
              record: Record, ref: Any) -> None:
    ref_q = survey.case_ref
    differ = [q for q in survey.questions if not q.personal and q.id != ref_q.id
              and _comparable(record.answers.get(q.id)) != _comparable(earlier.record.answers.get(q.id))]
    which = _questions_text(differ) if differ else question_ref(ref_q)
    for rec, here, there in ((earlier.record, earlier, _Read(sheet, cell, record)),
                             (record, _Read(sheet, cell, record), earlier)):
        side = _Context(survey, here.sheet)
        side.add("copied-sheet-conflict", cell=here.cell, q=ref_q, value=ref, row=rec.row,
                 other_sheet=there.sheet, other_cell=there.cell, questions=which)
        report.issues += side.issues
        rec.answers[ref_q.id] = None
        rec.error_questions.add(ref_q.id)


def _rows_list(rows: list[int]) -> str:
    return messages.join_and([str(r) for r in sorted(rows)])


def _zero_cases(ctx: _Context, cell: Cell | None) -> bool:
    if cell is None or not cell.filled:
        return False
    if cell.value == layout.ZERO_CASES_YES:
        return True
    text = values.display(cell.value)
    folded = values.fold(text)
    if folded in values.MULTI_YES:
        ctx.add("zero-cases-normalised", cell=cell.ref, value=cell.value)
        return True
    if folded not in {"nej", "no", "0", "false", "falsk"}:
        ctx.add("zero-cases-invalid", cell=cell.ref, value=cell.value)
    return False
