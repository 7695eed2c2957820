"""Read one returned workbook (.xlsx/.xlsm/.xls/.ods) into a validated FileReport.

Positions are never trusted: municipalities insert, delete and move columns and
rows. Columns are found by the machine id row (question ids, "<id>#<n>" for a
multi category), or, when that row is gone, by the header texts. The aggregate
form is read by its id column. Values come from python-calamine (cached values
only, with ``skip_empty_area=False`` so addresses stay right); what calamine
cannot give (defined names, formula error cells) is read from the xlsx XML.
"""

from __future__ import annotations

import difflib
import io
import operator
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from defusedxml import ElementTree as SafeET
from python_calamine import CalamineWorkbook

from sdexl import layout, messages
from sdexl.harvest import opened, values
from sdexl.harvest.report import FileReport, Identification, Issue
from sdexl.harvest.validate import (
    Cell,
    Row,
    cases_read,
    merge_copied_sheet,
    question_ref,
    validate_cases,
    validate_form,
)
from sdexl.survey.model import Question, Survey

HEADER_SCAN_ROWS = 30  # the id row, header row and zero-cases label are searched this far down
NEAR_MISS_ACCEPT = 0.85  # a header this close to a question's header is read as that question
NEAR_MISS_HINT = 0.6  # ... this close only gives a "did you mean" on the missing column
MAX_ROWS_FACTOR = 10  # data rows read: at most this times the template's rows; beyond that one error
MAX_EXTRA_SHEETS = 5  # copies of the entry sheet read besides it (each capped in rows like it)
MAX_ISSUES_PER_COLUMN = 20  # issues of one code in one column before they are summed up in one
ZIP_FORMATS = {".xlsx", ".xlsm"}
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")

Grid = list[list[Any]]


@dataclass
class _Notes:
    """Issues found while locating things, before validation adds its own."""

    sheet: str
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, *, cell: str | None = None, q: Question | None = None, **fields: Any) -> None:
        if q is not None:
            fields.setdefault("question", question_ref(q))
        fields.setdefault("sheet", self.sheet)
        value = fields.get("value")
        self.issues.append(
            Issue(
                code=code,
                severity=messages.severity(code),
                message=messages.render(code, cell=cell, **fields),
                sheet=fields["sheet"],
                cell=cell,
                value=None if value is None else str(value),
                question_id=q.id if q is not None else None,
            )
        )


@dataclass
class Located:
    """What a returned file holds, found but not yet validated (feedback reuses it)."""

    sheet: str | None  # the entry sheet as named in the file; None when not found
    issues: list[Issue]
    rows: list[Row] = field(default_factory=list)  # case surveys, in sheet order
    extra: list[tuple[str, list[Row]]] = field(default_factory=list)  # further sheets with the id row (copies)
    zero_cases: Cell | None = None  # case surveys
    form: dict[str, Cell] = field(default_factory=dict)  # aggregate surveys, by question id
    missing: set[str] = field(default_factory=set)  # question ids without a column or row


def read_file(path: Path, survey: Survey, ident: Identification) -> FileReport:
    """Read and validate ``path`` against ``survey``; data problems become issues, never exceptions."""
    found = locate(Path(path), survey)
    if found.sheet is None:
        return FileReport(issues=found.issues, identification=ident)
    if survey.kind == "cases":
        report = validate_cases(survey, found.sheet, found.rows, found.zero_cases, found.missing)
        seen = cases_read(survey, found.sheet, found.rows, report)
        for name, rows in found.extra:
            copy = validate_cases(survey, name, rows, None, found.missing)
            merge_copied_sheet(survey, report, seen, name, rows, copy)
    else:
        report = validate_form(survey, found.sheet, found.form, found.missing)
    report.issues[:0] = found.issues
    report.issues = cap_issues(report.issues)
    report.identification = ident
    return report


def cap_issues(issues: list[Issue], per_column: int = MAX_ISSUES_PER_COLUMN) -> list[Issue]:
    """At most ``per_column`` issues of one code in one column of one sheet; the rest become one summary.

    A sheet filled with junk must not become a feedback file of 400,000 messages.
    """
    counts: dict[tuple, int] = {}
    kept: list[Issue] = []
    firsts: dict[tuple, int] = {}
    for issue in issues:
        m = _CELL_REF.match(issue.cell) if issue.cell else None
        if m is None:
            kept.append(issue)
            continue
        key = (issue.code, issue.sheet, m[1])
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= per_column:
            kept.append(issue)
            firsts[key] = len(kept)
    extra = {key: n - per_column for key, n in counts.items() if n > per_column}
    for key, more in sorted(extra.items(), key=lambda kv: -firsts[kv[0]]):
        code, sheet, column = key
        severity = messages.severity(code)
        text = messages.render("more-issues", sheet=sheet, count=more, column=column)
        kept.insert(firsts[key], Issue(code="more-issues", severity=severity, message=text, sheet=sheet))
    return kept


def locate(path: Path, survey: Survey) -> Located:
    """Find the entry sheet, the question columns (or form rows) and the zero-cases cell."""
    notes = _Notes(survey.entry_sheet)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for broken or encrypted files
        notes.add("unreadable-file", file=path.name, reason=type(exc).__name__)
        return Located(None, notes.issues)
    with book:
        sheet = _find_entry_sheet(book, survey, path, notes)
        if sheet is None:
            return Located(None, notes.issues)
        notes.sheet = sheet
        grid = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        copies = _extra_entry_sheets(book, survey, sheet) if survey.kind == "cases" else []
    scan = _scan_sheet(path, sheet, notes)
    if survey.kind == "cases":
        found = _locate_cases(path, survey, sheet, grid, scan, notes)
        for name, _ in copies[MAX_EXTRA_SHEETS:]:
            notes.add("extra-entry-sheet-ignored", sheet=name, expected=sheet, limit=MAX_EXTRA_SHEETS)
        for name, other in copies[:MAX_EXTRA_SHEETS]:
            notes.add("extra-entry-sheet", sheet=name, expected=sheet)
            extra_notes = _Notes(name)
            located = _locate_cases(path, survey, name, other, _scan_sheet(path, name, extra_notes), extra_notes,
                                    zero=False)
            found.issues += [i for i in extra_notes.issues if i.code != "missing-question-column"]
            found.extra.append((name, located.rows))
        return found
    found = _locate_form(survey, sheet, grid, scan.errors, notes)
    refs = {_CELL_REF.match(cell.ref): qid for qid, cell in found.form.items()}
    formulas = scan.formulas_in({_col_index(m[1]) for m in refs if m})
    for qid, cell in found.form.items():
        m = _CELL_REF.match(cell.ref)
        if m and (int(m[2]) - 1, _col_index(m[1])) in formulas:
            notes.add("formula-in-answer", q=survey.question(qid), cell=cell.ref)
    return found


# --- The entry sheet ---------------------------------------------------------


def _find_entry_sheet(book: CalamineWorkbook, survey: Survey, path: Path, notes: _Notes) -> str | None:
    names = book.sheet_names
    if survey.entry_sheet in names:
        return survey.entry_sheet
    folded = {values.fold(n): n for n in names}
    if values.fold(survey.entry_sheet) in folded:
        return folded[values.fold(survey.entry_sheet)]
    # A renamed sheet still has the template's id row (or id column).
    template_sheets = {layout.GUIDE_SHEET, layout.OVERVIEW_SHEET, layout.LISTS_SHEET, layout.META_SHEET}
    for name in (n for n in names if n not in template_sheets):
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if _holds_survey(grid, survey):
            notes.add("entry-sheet-renamed", sheet=name, expected=survey.entry_sheet)
            return name
    close = difflib.get_close_matches(survey.entry_sheet, names, n=1, cutoff=0.5)
    hint = messages.did_you_mean(f"fanen '{close[0]}'" if close else None)
    notes.add("entry-sheet-missing", file=path.name, hint=hint)
    return None


def _extra_entry_sheets(book: CalamineWorkbook, survey: Survey, entry: str) -> list[tuple[str, Grid]]:
    """Other sheets with the template's id row: a copy ("Sager (2)") made for more cases."""
    template_sheets = {layout.GUIDE_SHEET, layout.OVERVIEW_SHEET, layout.LISTS_SHEET, layout.META_SHEET, entry}
    found = []
    for name in (n for n in book.sheet_names if n not in template_sheets):
        head = book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=HEADER_SCAN_ROWS)
        if _holds_survey(head, survey):
            grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False) if len(found) < MAX_EXTRA_SHEETS else []
            found.append((name, grid))
    return found


def _holds_survey(grid: Grid, survey: Survey) -> bool:
    """An id row (cases) or id column (aggregate) holding at least a third of the keys."""
    if survey.kind == "cases":
        keys = {c.key for c in layout.entry_columns(survey)}
        lines = grid[:HEADER_SCAN_ROWS]
    else:
        keys = {q.id for q in survey.questions}
        lines = [list(col) for col in zip(*grid)] if grid else []
    best = max((sum(1 for v in line if isinstance(v, str) and v.strip() in keys) for line in lines), default=0)
    return best >= max(2, len(keys) // 3)


@dataclass
class _Scan:
    """What the sheet XML says that calamine does not: error cells and cells holding a formula."""

    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    data: bytes = b""  # the sheet XML, for a formula search restricted to the input columns

    def formulas_in(self, cols) -> set[tuple[int, int]]:
        """Formula cells in ``cols`` only: a regex over the bytes naming those columns, so the template's
        own formulas in helper columns cost nothing."""
        cols = sorted(set(cols))
        if not self.data or not cols or not _FORMULA_TAG.search(self.data):
            return set()
        letters = b"|".join(layout.col_letter(c).encode("ascii") for c in cols)
        if b'<c r="' in self.data:  # Excel, LibreOffice and xlsxwriter write r first: a literal to search for
            fast = re.compile(rb'<c r="(' + letters + rb')(\d+)"[^>]*>\s*<(?:\w+:)?f[\s>/]')
            found = {(int(m[2]) - 1, _col_index(m[1].decode("ascii"))) for m in fast.finditer(self.data)}
            if self.data.count(b"<c ") != self.data.count(b'<c r="') or b":c " in self.data:  # cells written
                # another way as well (r not first, a namespace prefix): search the slow way too
                found |= self._formulas_any_order(letters)
            return found
        return self._formulas_any_order(letters)

    def _formulas_any_order(self, letters: bytes) -> set[tuple[int, int]]:
        pattern = re.compile(
            rb"<(?:\w+:)?c\b[^>]*?\br=[\"']\$?(" + letters + rb")\$?(\d+)[\"'][^>]*>\s*<(?:\w+:)?f[\s>/]"
        )
        return {(int(m[2]) - 1, _col_index(m[1].decode("ascii"))) for m in pattern.finditer(self.data)}


def _cell(grid: Grid, r: int, c: int, errors) -> Cell:
    value = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
    return Cell(value=None if value == "" else value, ref=layout.cell_ref(r, c), error=errors.get((r, c)))


def _text(grid: Grid, r: int, c: int) -> str:
    value = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
    return "" if values.is_blank(value) else values.display(value).strip()


# --- Case surveys ----------------------------------------------------------


@dataclass
class _Columns:
    by_key: dict[str, int]  # column key -> zero-based column
    header_row: int  # the id row, or the header row when the id row is gone
    unknown: list[int]  # columns the template does not have
    label_row: int  # the row with the question texts


def _locate_cases(path, survey, sheet, grid, scan: _Scan, notes, zero: bool = True) -> Located:
    columns = _locate_columns(survey, grid, notes)
    missing = _missing_questions(survey, columns, grid, notes)
    first = columns.header_row + 1
    scan.formulas = scan.formulas_in(columns.by_key.values())
    end = _end_of_input(grid, first, columns.by_key.values(), scan)
    cap = MAX_ROWS_FACTOR * survey.max_rows
    if end - first > cap:
        notes.add("too-many-rows", count=end - first, limit=cap, row=first + cap + 1)
        end = first + cap
    letters = [(key, c, layout.col_letter(c)) for key, c in columns.by_key.items()]
    errors = scan.errors
    rows = []
    for r in range(first, end):
        line = grid[r]
        n = len(line)
        cells = {}
        for key, c, letter in letters:
            value = line[c] if c < n else None
            cells[key] = Cell(None if value == "" else value, f"{letter}{r + 1}", errors.get((r, c)) if errors else None)
        rows.append(Row(r + 1, cells))
    by_col = {c: key for key, c in columns.by_key.items()}
    for r, c in sorted(scan.formulas):
        if first <= r < end and c in by_col:
            notes.add("formula-in-answer", q=_question_of(survey, by_col[c]), cell=layout.cell_ref(r, c))
    for c in columns.unknown:
        _note_unknown_column(grid, columns.header_row, c, notes)
    zero_cell = _zero_cases_cell(path, sheet, grid, scan.errors) if zero else None
    return Located(sheet, notes.issues, rows=rows, zero_cases=zero_cell, missing=missing)


def _end_of_input(grid: Grid, first: int, cols, scan: _Scan) -> int:
    """One past the last row with anything in an input column (value, error or formula): empty template
    rows below it are never built into cells nor validated."""
    cols = sorted(set(cols))
    end = first
    if cols:
        pick = operator.itemgetter(*cols, cols[-1])  # always a tuple, even for one column
        for r in range(len(grid) - 1, first - 1, -1):
            row = grid[r]
            if len(row) > cols[-1]:
                if {*pick(row)} <= _EMPTY:  # a set of the row's values: calamine gives "" for an empty cell
                    continue
                if any(not values.is_blank(v) for v in pick(row)):
                    end = r + 1
                    break
            elif any(c < len(row) and not values.is_blank(row[c]) for c in cols):
                end = r + 1
                break
    wanted = set(cols)
    marked = [r + 1 for (r, c) in (*scan.errors, *scan.formulas) if c in wanted and r >= first]
    return max([end, *marked])


def _locate_columns(survey: Survey, grid: Grid, notes: _Notes) -> _Columns:
    keys = {c.key for c in layout.entry_columns(survey)}
    best, hits = 0, 0
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        count = sum(1 for v in grid[r] if isinstance(v, str) and v.strip() in keys)
        if count > hits:
            best, hits = r, count
    if hits == 0:
        return _columns_by_header(survey, grid, notes)
    by_key: dict[str, int] = {}
    unknown = []
    for c, v in enumerate(grid[best]):
        key = v.strip() if isinstance(v, str) else None
        if _template_helper(key):
            continue
        if key in keys and key not in by_key:
            by_key[key] = c
        elif key in keys:
            q = _question_of(survey, key)
            notes.add("duplicate-column", q=q, cell=layout.cell_ref(best, by_key[key]), other=layout.cell_ref(best, c))
        elif not values.is_blank(v):
            unknown.append(c)
    unknown += _unlabelled_data_columns(grid, best, by_key, unknown)
    return _Columns(by_key, best, unknown, max(best - (layout.ID_ROW - layout.LABEL_ROW), 0))


def _template_helper(key: str | None) -> bool:
    """The id row also names the row-number column ("id") and locked helpers ("_kontrol", "_used")."""
    return key is not None and (key == layout.FORM_ID_HEADER or key.startswith("_"))


def _unlabelled_data_columns(grid: Grid, header_row: int, by_key: dict[str, int], known: list[int]) -> list[int]:
    """Inserted columns have no id; they matter only if they hold data inside the input area."""
    if not by_key:
        return []
    first, last = min(by_key.values()), max(by_key.values())
    taken = set(by_key.values()) | set(known)
    helpers = {c for c, v in enumerate(grid[header_row]) if _template_helper(v.strip() if isinstance(v, str) else None)}
    return [
        c
        for c in range(first, last + 1)
        if c not in taken
        and c not in helpers
        and any(not values.is_blank(row[c]) for row in grid[header_row + 1 :] if c < len(row))
    ]


def _question_of(survey: Survey, key: str) -> Question:
    return survey.question(key.split("#", 1)[0])


def _header_fold(text: str) -> str:
    """Header text compared without the required-marker " *" the generator appends."""
    return values.fold(text).rstrip("*").rstrip()


def _header_texts(survey: Survey) -> dict[str, list[str]]:
    """The header texts a column may carry, by column key, most specific first."""
    texts: dict[str, list[str]] = {}
    for col in layout.entry_columns(survey):
        q = col.question
        if col.choice is not None:
            texts[col.key] = [f"{q.header}: {col.choice}", f"{q.label}: {col.choice}", col.choice]
        else:
            texts[col.key] = [q.header, q.label] + (
                [f"{q.number}. {q.header}", f"{q.number} {q.header}"] if q.number else []
            )
    return texts


def _columns_by_header(survey: Survey, grid: Grid, notes: _Notes) -> _Columns:
    """The id row is gone: match header texts, forgiving spelling, and say so."""
    texts = _header_texts(survey)
    lookup: dict[str, list[str]] = {}
    for key, options in texts.items():
        for text in options:
            lookup.setdefault(_header_fold(text), []).append(key)
    best, hits = 0, 0
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        count = sum(1 for c in range(len(grid[r])) if _header_fold(_text(grid, r, c)) in lookup)
        if count > hits:
            best, hits = r, count
    by_key: dict[str, int] = {}
    unmatched: list[int] = []
    for c in range(len(grid[best]) if grid else 0):
        folded = _header_fold(_text(grid, best, c))
        free = [k for k in lookup.get(folded, []) if k not in by_key]
        if free:
            by_key[free[0]] = c
        elif folded:
            unmatched.append(c)
    notes.add("id-row-missing", expected_row=layout.ID_ROW + 1, row=best + 1)
    _accept_near_misses(survey, grid, best, texts, by_key, unmatched, notes)
    # Only columns among the questions matter; "Nr." and the check column lie outside.
    inside = [c for c in unmatched if by_key and min(by_key.values()) < c < max(by_key.values())]
    return _Columns(by_key, best, inside + _unlabelled_data_columns(grid, best, by_key, unmatched), best)


def _accept_near_misses(survey, grid, row, texts, by_key, unmatched, notes) -> None:
    for key, options in texts.items():
        if key in by_key:
            continue
        match = _closest_column(grid, row, options[0], unmatched, NEAR_MISS_ACCEPT)
        if match is None:
            continue
        by_key[key] = match
        unmatched.remove(match)
        q = _question_of(survey, key)
        notes.add(
            "header-near-miss",
            q=q,
            cell=layout.cell_ref(row, match),
            value=_text(grid, row, match),
            expected=options[0],
        )


def _closest_column(grid: Grid, row: int, expected: str, columns: list[int], cutoff: float) -> int | None:
    folded = {_header_fold(_text(grid, row, c)): c for c in columns}
    match = difflib.get_close_matches(_header_fold(expected), list(folded), n=1, cutoff=cutoff)
    return folded[match[0]] if match else None


def _missing_questions(survey: Survey, columns: _Columns, grid: Grid, notes: _Notes) -> set[str]:
    """One error per question with a missing column (any missing category of a multi question).

    A personal column (Navn, Fødselsdato) may be deleted: it is there only for the municipality's own
    overview, so its absence is no error, and the feedback never asks for personal data back."""
    missing: list[str] = []
    for col in layout.entry_columns(survey):
        if col.key not in columns.by_key and col.question.id not in missing:
            missing.append(col.question.id)
    texts = _header_texts(survey)
    label_row = columns.label_row
    for qid in missing:
        q = survey.question(qid)
        if q.personal:
            continue  # the municipality's own fields (Navn, Fødselsdato): never collected, so deleting them is fine
        key = qid if q.type != "multi" else layout.multi_key(qid, 1)
        near = _closest_column(grid, label_row, texts[key][0], columns.unknown, NEAR_MISS_HINT)
        hint = messages.did_you_mean(f"'{_text(grid, label_row, near)}'" if near is not None else None)
        notes.add("missing-question-column", q=q, hint=hint)
    return set(missing)


def _note_unknown_column(grid: Grid, header_row: int, c: int, notes: _Notes) -> None:
    # The id row of an inserted column is empty: show the nearest header text above it.
    label = next((_text(grid, r, c) for r in range(header_row, -1, -1) if _text(grid, r, c)), "")
    if not label:
        label = layout.col_letter(c)
    notes.add("unknown-column", cell=layout.cell_ref(header_row, c), value=label)


# --- Zero cases ----------------------------------------------------------


def _zero_cases_cell(path: Path, sheet: str, grid: Grid, errors) -> Cell | None:
    """The cell named sdexl_ingen_sager, or the cell right of its label text."""
    target = _defined_name(path, layout.ZERO_CASES_NAME)
    if target is not None and target[0] == sheet:
        return _cell(grid, target[1], target[2], errors)
    return _zero_cases_by_label(grid, errors)


def _zero_cases_by_label(grid: Grid, errors) -> Cell | None:
    """.xls/.ods keep no defined names we can read: the input sits as far right of its label as in the template."""
    label = values.fold(layout.ZERO_CASES_LABEL)
    offset = layout.ZERO_CASES_INPUT_COL - layout.ZERO_CASES_LABEL_COL
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        for c in range(len(grid[r])):
            if values.fold(_text(grid, r, c)).startswith(label):
                return _cell(grid, r, c + offset, errors)
    return None


def _defined_name(path: Path, name: str) -> tuple[str, int, int] | None:
    """(sheet, row, col), zero-based, of a single-cell defined name in an xlsx; None otherwise."""
    if path.suffix.lower() not in ZIP_FORMATS:
        return None
    try:
        with opened.zip_file(path) as zf, zf.open("xl/workbook.xml") as fh:
            root = SafeET.parse(fh).getroot()
    except (KeyError, zipfile.BadZipFile, SafeET.ParseError, OSError):
        return None
    for node in root.iter(f"{_NS_MAIN}definedName"):
        if node.get("name") == name and node.text:
            return _parse_target(node.text)
    return None


def _parse_target(text: str) -> tuple[str, int, int] | None:
    sheet, _, ref = text.lstrip("=").rpartition("!")
    m = _CELL_REF.match(ref)
    if not sheet or m is None:  # #REF! after the cell was deleted
        return None
    sheet = sheet.strip("'").replace("''", "'")
    return sheet, int(m[2]) - 1, _col_index(m[1])


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


# --- Formula errors and formulas ------------------------------------------


def _scan_sheet(path: Path, sheet: str, notes: _Notes) -> _Scan:
    """Error cells (#N/A and the like; calamine reads them as empty, python-calamine #105) and formula
    cells. The sheet bytes are searched first; the XML is parsed only when they hold either."""
    if path.suffix.lower() not in ZIP_FORMATS:
        # .xls/.ods: calamine gives '' for an error cell and we have no XML to
        # scan, so an error cell looks empty. Said once, as information.
        notes.add("formula-errors-unchecked", format=path.suffix.lower() or "?")
        return _Scan()
    try:
        with opened.zip_file(path) as zf:
            member = _sheet_member(zf, sheet)
            if member is None:
                return _Scan()
            data = opened.read(zf, member)  # kept by the container check: not inflated again
    except (zipfile.BadZipFile, SafeET.ParseError, OSError, KeyError):
        return _Scan()
    scan = _Scan()
    if b't="e"' in data or b"t='e'" in data:
        try:
            scan.errors = dict(_error_cells(io.BytesIO(data)))
        except SafeET.ParseError:
            pass
    scan.data = data
    return scan


_EMPTY = frozenset({""})
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> str | None:
    with zf.open("xl/workbook.xml") as fh:
        book = SafeET.parse(fh).getroot()
    rel_id = next((s.get(f"{_NS_REL}id") for s in book.iter(f"{_NS_MAIN}sheet") if s.get("name") == sheet), None)
    with zf.open("xl/_rels/workbook.xml.rels") as fh:
        rels = SafeET.parse(fh).getroot()
    target = next((r.get("Target") for r in rels.iter(f"{_NS_PKG_REL}Relationship") if r.get("Id") == rel_id), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def _error_cells(fh) -> Iterator[tuple[tuple[int, int], str]]:
    """Stream the sheet XML: a large sheet is never held in memory as a tree."""
    row, col = 0, -1
    for event, node in SafeET.iterparse(fh, events=("start", "end")):
        if event == "start" and node.tag == f"{_NS_MAIN}row":
            row, col = int(node.get("r", row + 1)) - 1, -1
        elif event == "end" and node.tag == f"{_NS_MAIN}c":
            ref = node.get("r")
            m = _CELL_REF.match(ref) if ref else None
            col = _col_index(m[1]) if m else col + 1
            if node.get("t") == "e":
                v = node.find(f"{_NS_MAIN}v")
                yield (row, col), (v.text if v is not None and v.text else "#FEJL")
            node.clear()
        elif event == "end" and node.tag == f"{_NS_MAIN}row":
            node.clear()


# --- Aggregate surveys -----------------------------------------------------


def _locate_form(survey, sheet, grid, errors, notes) -> Located:
    qids = {q.id for q in survey.questions}
    header_row, id_col = _form_id_column(grid, qids)
    if id_col is None:
        return _locate_form_by_label(survey, sheet, grid, errors, notes)
    answer_col = _answer_column(grid, header_row, id_col, notes)
    rows = {r: _text(grid, r, id_col) for r in range(len(grid))}
    return _form_from_rows(survey, sheet, grid, errors, notes, rows, answer_col)


def _form_id_column(grid: Grid, qids: set[str]) -> tuple[int | None, int | None]:
    header = values.fold(layout.FORM_ID_HEADER)
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        for c in range(len(grid[r])):
            if values.fold(_text(grid, r, c)) == header:
                return r, c
    counts: dict[int, int] = {}
    for row in grid:
        for c, v in enumerate(row):
            if isinstance(v, str) and v.strip() in qids:
                counts[c] = counts.get(c, 0) + 1
    if not counts:
        return None, None
    return None, max(counts, key=counts.get)


def _answer_column(grid: Grid, header_row: int | None, id_col: int, notes: _Notes) -> int:
    if header_row is not None:
        header = values.fold(layout.FORM_ANSWER_HEADER)
        for c in range(len(grid[header_row])):
            if values.fold(_text(grid, header_row, c)) == header:
                return c
    guess = id_col - (layout.FORM_ID_COL - layout.FORM_ANSWER_COL)
    notes.add("answer-column-guessed", column=layout.col_letter(guess))
    return guess


def _locate_form_by_label(survey, sheet, grid, errors, notes) -> Located:
    """No id column at all: find each question by its text in the label column."""
    lookup = {}
    for q in survey.questions:
        for text in (q.label, q.header):
            lookup.setdefault(_header_fold(text), q.id)
    counts: dict[int, int] = {}
    for row in grid:
        for c, v in enumerate(row):
            if isinstance(v, str) and _header_fold(v) in lookup:
                counts[c] = counts.get(c, 0) + 1
    label_col = max(counts, key=counts.get) if counts else layout.FORM_LABEL_COL
    notes.add("form-id-column-missing", column=layout.col_letter(label_col))
    header_row = _row_with(grid, layout.FORM_ANSWER_HEADER)
    answer_col = _answer_column_near(grid, header_row, label_col + 1)
    # Labels repeat across sections ("Andet"), so the first unused match wins.
    rows: dict[int, str] = {}
    taken: set[str] = set()
    for r in range(len(grid)):
        qid = lookup.get(_header_fold(_text(grid, r, label_col)))
        if qid and qid not in taken:
            rows[r] = qid
            taken.add(qid)
    return _form_from_rows(survey, sheet, grid, errors, notes, rows, answer_col)


def _row_with(grid: Grid, text: str) -> int | None:
    folded = values.fold(text)
    for r in range(min(HEADER_SCAN_ROWS, len(grid))):
        if any(values.fold(_text(grid, r, c)) == folded for c in range(len(grid[r]))):
            return r
    return None


def _answer_column_near(grid: Grid, header_row: int | None, default: int) -> int:
    if header_row is None:
        return default
    folded = values.fold(layout.FORM_ANSWER_HEADER)
    return next((c for c in range(len(grid[header_row])) if values.fold(_text(grid, header_row, c)) == folded), default)


def _form_from_rows(survey, sheet, grid, errors, notes, rows: dict[int, str], answer_col: int) -> Located:
    qids = {q.id for q in survey.questions}
    cells: dict[str, Cell] = {}
    for r, qid in rows.items():
        if qid not in qids:
            continue
        if qid in cells:
            q = survey.question(qid)
            notes.add("duplicate-question-row", q=q, cell=cells[qid].ref, other=layout.cell_ref(r, answer_col))
            continue
        cells[qid] = _cell(grid, r, answer_col, errors)
    missing = {q.id for q in survey.questions if q.id not in cells}
    for q in survey.questions:
        if q.id in missing and not q.personal:
            notes.add("missing-question-row", q=q)
    return Located(sheet, notes.issues, form=cells, missing=missing)
