"""``sdexl import SURVEY FILE``: a round that was not collected with sdexl, loaded into the ledger.

So development can compare with a real 2022 screening, its consolidated data
is read and stored like harvested answers: one submission per municipality,
verdict ``accepted``, ``ident_source = 'import'``, the source file archived by
SHA-256 and recorded in the ledger's ``imports`` table.

The file is either the ``data.csv`` layout harvest writes (kommunekode, then
question ids as column names; kommune, kkr and other unknown columns are
ignored) or any CSV/Excel sheet with a mapping file ``--mapping MAP.csv``:
one line per column, ``kolonne;spørgsmål`` (the file's column heading; the
question id, ``kommunekode`` or ``sagsnr``). Every value is checked as
harvest checks a typed one (categories, numbers, dates; CPR-like numbers in
text masked). Every problem is listed with its line and column, and nothing
is imported until all are right. Personal fields (name, birth date) are
never stored.

Case surveys: one row per citizen. A row with a kommunekode and no answers
states that the municipality took part and had no cases (harvest's data.csv
has no row for those: name them with ``--no-cases``). Importing the same
survey again replaces the earlier import; a survey that already has
harvested returns is not overwritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdexl import __version__, ledger
from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE
from sdexl.harvest.values import is_blank, parse_choice, parse_date, parse_number, parse_text
from sdexl.privacy import mask_cpr
from sdexl.reference import by_code, normalise_code
from sdexl.survey.load import version_hash
from sdexl.survey.model import Question, Survey

IGNORED = {"kommune", "kkr"}
MULTI_SEPARATOR = "; "


class ImportError_(Exception):  # noqa: N801 - not the builtin ImportError
    """The file cannot be imported; the message lists every problem."""


@dataclass
class ImportResult:
    survey_id: str
    source: Path
    sha256: str
    municipalities: list[str]
    records: int
    zero_cases: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    replaced: int = 0

    def lines(self) -> list[str]:
        out = [
            f"Imported {self.records} {'cases' if self.records != 1 else 'case'} from {len(self.municipalities)} "
            f"municipalities into {self.survey_id} (source {self.source.name}, SHA-256 {self.sha256[:12]}...)."
        ]
        if self.zero_cases:
            out.append(f"Stated no cases: {len(self.zero_cases)} municipalities.")
        if self.ignored_columns:
            out.append("Columns not imported: " + ", ".join(self.ignored_columns) + ".")
        if self.replaced:
            out.append(f"Replaced the earlier import ({self.replaced} municipalities).")
        out.append(f"Rebuild the outputs with 'sdexl build {self.survey_id}' (and the later round's, for Udvikling).")
        return out


# -- reading ------------------------------------------------------------------


def read_table(path: Path) -> list[list[Any]]:
    """Rows of a CSV (comma, semicolon or tab; UTF-8 or Windows-1252) or the first sheet of a workbook."""
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(path))
        return book.get_sheet_by_index(0).to_python(skip_empty_area=True)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.splitlines()[0] if text else ""
    delimiter = ";" if first.count(";") > first.count(",") else "\t" if "\t" in first else ","
    return [row for row in csv.reader(text.splitlines(), delimiter=delimiter)]


def read_mapping(path: Path, survey: Survey) -> dict[str, str]:
    """Column heading -> question id (or kommunekode / sagsnr); every bad line is reported."""
    known = {q.id for q in survey.questions} | {KOMMUNEKODE, CASE_REF}
    mapping: dict[str, str] = {}
    problems = []
    for number, row in enumerate(read_table(path), start=1):
        cells = [str(c).strip() for c in row]
        if len(cells) < 2 or not cells[0]:
            continue
        column, target = cells[0], cells[1]
        if number == 1 and target.lower() in ("spørgsmål", "sporgsmaal", "question", "id"):
            continue
        if target not in known:
            problems.append(f"mapping line {number}: '{target}' is not a question id of {survey.id}")
        else:
            mapping[column] = target
    if problems:
        raise ImportError_("\n".join(problems))
    return mapping


# -- checking -----------------------------------------------------------------


def _parse(q: Question, value: Any):
    if q.type == "multi":
        parts = [p.strip() for p in str(value).replace(",", ";").split(";") if p.strip()]
        labels, failed = [], False
        for part in parts:
            parsed = parse_choice(part, q)
            failed |= parsed.failed
            if parsed.value is not None:
                labels.append(parsed.value)
        ordered = [label for label in q.labels if label in labels]
        return (None, True) if failed else (MULTI_SEPARATOR.join(ordered), False)
    if q.is_choice:
        parsed = parse_choice(value, q)
    elif q.is_number:
        parsed = parse_number(value, q)
    elif q.type == "date":
        parsed = parse_date(value)
    else:
        parsed = parse_text(value)
    return parsed.value, parsed.failed


def _records(rows: list[list[Any]], survey: Survey, mapping: dict[str, str] | None):
    if not rows:
        raise ImportError_("The file is empty.")
    header = [str(h).strip() for h in rows[0]]
    targets = [mapping.get(h) if mapping is not None else h for h in header]
    questions = {q.id: q for q in survey.questions}
    personal = {q.id for q in survey.questions if q.personal}
    case_ref = survey.case_ref.id if survey.case_ref else None
    if KOMMUNEKODE not in targets:
        raise ImportError_(
            "No column kommunekode. Use the data.csv layout (question ids as headings) or a mapping file "
            "(--mapping) naming the column with the kommunekode."
        )
    ignored = [h for h, t in zip(header, targets) if h and (t is None or (t not in questions and t not in (
        KOMMUNEKODE, CASE_REF)) or t in personal) and h.lower() not in IGNORED]
    problems: list[str] = []
    by_code_records: dict[str, list[dict]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = dict(zip(targets, row))
        if all(is_blank(v) for v in row):
            continue
        code = normalise_code(cells.get(KOMMUNEKODE))
        if code is None:
            problems.append(f"line {number}: '{cells.get(KOMMUNEKODE)}' is not a kommunekode")
            continue
        record: dict[str, Any] = {}
        for target, value in cells.items():
            if target in (None, KOMMUNEKODE) or target in personal or is_blank(value):
                continue
            if target == CASE_REF:
                record[case_ref or CASE_REF] = mask_cpr(str(value).strip().removesuffix(".0"))
                continue
            q = questions.get(target)
            if q is None:
                continue
            parsed, failed = _parse(q, value)
            if failed:
                column = header[targets.index(target)]
                problems.append(f"line {number}, column {column}: '{value}' is not a valid answer to {q.id}")
            else:
                record[target] = parsed
        by_code_records.setdefault(code, [])
        if record:
            by_code_records[code].append(record)
    if survey.kind == "aggregate":
        for code, records in by_code_records.items():
            if len(records) > 1:
                problems.append(f"{code} {by_code()[code].name} has {len(records)} rows; the form has one per municipality")
    if problems:
        raise ImportError_("\n".join(problems))
    return by_code_records, ignored


# -- storing ------------------------------------------------------------------


def import_round(ws, survey_id: str, source: Path, mapping_file: Path | None = None,
                 no_cases: list[str] = ()) -> ImportResult:
    """``no_cases``: municipalities that took part and had no cases (a case survey's data.csv has no row for them)."""
    survey = ws.survey(survey_id)
    mapping = read_mapping(mapping_file, survey) if mapping_file else None
    records, ignored = _records(read_table(source), survey, mapping)
    clash = [c for c in no_cases if records.get(c)]
    if clash:
        raise ImportError_("Stated as having no cases, but the file has rows for: " + ", ".join(clash))
    if no_cases and survey.kind != "cases":
        raise ImportError_("--no-cases is for case surveys; the form of an aggregate survey states the count itself.")
    for code in no_cases:
        records.setdefault(code, [])
    if not records:
        raise ImportError_(f"{source} holds no rows with a kommunekode.")
    data = source.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    archive = ws.state / "archive" / f"{sha}{source.suffix.lower()}"
    archive.parent.mkdir(parents=True, exist_ok=True)
    if not archive.exists():
        shutil.copyfile(source, archive)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    version = version_hash(survey)
    count_q = next((q.id for q in survey.questions if q.indicator == "cases" and q.is_number), None)
    conn = ledger.connect(ws.ledger_path)
    try:
        with conn:
            harvested = conn.execute(
                "SELECT COUNT(*) FROM submissions WHERE survey_id = ? AND ident_source != 'import'", (survey_id,)
            ).fetchone()[0]
            if harvested:
                raise ImportError_(
                    f"{survey_id} already has {harvested} harvested files in this workspace; an import would mix "
                    "with them. Import the earlier round into a workspace of its own, or under its own survey id."
                )
            replaced = _retire_earlier(conn, survey_id)
            for code, rows in records.items():
                sub = hashlib.sha256(f"{sha}:{survey_id}:{code}".encode()).hexdigest()
                if survey.kind == "cases":
                    n_cases = len(rows)
                else:
                    value = rows[0].get(count_q) if rows and count_q else None
                    n_cases = int(value) if isinstance(value, int | float) else 0
                conn.execute(
                    "INSERT OR REPLACE INTO submissions (sha256, file, received_at, size, archive, container, survey_id, "
                    "kommunekode, verdict, superseded_by, ident_source, token, survey_version, tool_version, "
                    "harvested_at, n_cases, zero_cases) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'accepted', NULL, 'import', "
                    "NULL, ?, ?, ?, ?, ?)",
                    (sub, source.name, now, len(data), str(archive.relative_to(ws.root)), source.name, survey_id, code,
                     version, __version__, now, n_cases, int(survey.kind == "cases" and not rows)),
                )
                conn.executemany(
                    "INSERT INTO answers VALUES (?, ?, NULL, ?, ?, 0)",
                    [(sub, index, qid, json.dumps(value, ensure_ascii=False))
                     for index, record in enumerate(rows) for qid, value in record.items()],
                )
            conn.execute(
                "INSERT INTO imports (survey_id, source, sha256, mapping, imported_at, municipalities, records) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (survey_id, str(source), sha, json.dumps(mapping, ensure_ascii=False) if mapping else None, now,
                 len(records), sum(len(r) for r in records.values())),
            )
    finally:
        conn.close()
    zero = sorted((c for c, r in records.items() if not r and survey.kind == "cases"), key=int)
    return ImportResult(survey_id, source, sha, sorted(records, key=int), sum(len(r) for r in records.values()),
                        zero, ignored, replaced)


def _retire_earlier(conn, survey_id: str) -> int:
    """An earlier import of the same survey is removed (its source file stays archived and listed in imports)."""
    shas = [r[0] for r in conn.execute(
        "SELECT sha256 FROM submissions WHERE survey_id = ? AND ident_source = 'import'", (survey_id,))]
    for sha in shas:
        conn.execute("DELETE FROM answers WHERE submission = ?", (sha,))
        conn.execute("DELETE FROM issues WHERE submission = ?", (sha,))
        conn.execute("DELETE FROM submissions WHERE sha256 = ?", (sha,))
    return len(shas)


def imports(ws, survey_id: str | None = None) -> list[dict]:
    """The recorded imports (newest last)."""
    conn = ledger.connect(ws.ledger_path)
    try:
        query = "SELECT * FROM imports" + (" WHERE survey_id = ?" if survey_id else "") + " ORDER BY id"
        return [dict(r) for r in conn.execute(query, (survey_id,) if survey_id else ())]
    finally:
        conn.close()
