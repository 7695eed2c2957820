"""``sdexl harvest``: every file in incoming/ to a verdict, in the ledger.

For each file, oldest first:

    ignored?  (lock and temp files)            -> "ignored", nothing recorded
    sha256 seen under this name before?        -> reported as before, nothing parsed
    sha256 seen under another name?            -> "duplicate"
    archive the bytes, then examine them in a child process (time and memory bound)
    record submission, issues and non-personal answers in the ledger

Then, per municipality and survey, the latest usable file (received time,
then name) is current and earlier ones are marked superseded. A file never
stops the run: any exception becomes a rejected verdict with a Danish message,
and the log names the file by hash only (file names can carry names of people).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sdexl import faults, ledger, messages, privacy
from sdexl.harvest import isolate
from sdexl.harvest.container import SUFFIX, Finding
from sdexl.harvest.current import HAS_CONTENT, USABLE
from sdexl.harvest.examine import Outcome, examine
from sdexl.harvest.identify import municipality_in_filename
from sdexl.harvest.intake import Incoming, archive, discover, sha256_file
from sdexl.harvest.mailbox import Bounds, expand
from sdexl.harvest.report import FileReport, Identification, Issue
from sdexl.ledger import Issued
from sdexl.outputs import work_dir
from sdexl.reference import by_code
from sdexl.survey.model import Survey
from sdexl.workspace import Workspace

log = logging.getLogger(__name__)

NEEDS_FEEDBACK = ("accepted_with_warnings", "needs_correction", "rejected")
COMMIT_EVERY_SECONDS = 2.0  # the ledger is committed at least this often during a run, and at its end
CPR_MASK = privacy.CPR_MASK


@dataclass(frozen=True)
class Options:
    """Bounds for one file's parse. A generated workbook parses in well under a second."""

    timeout: float = 60.0
    memory_mb: int = 1536  # beyond what the harvest process already uses
    isolate: bool = True
    workers: int | None = None  # files examined at once, each in its own child; None: os.cpu_count()


@dataclass
class FileResult:
    """One file seen in this run, as the consultant is told about it."""

    file: str  # relative to the workspace root
    sha256: str | None
    verdict: str
    survey: str | None = None
    kommunekode: str | None = None
    cases: int = 0
    issues: list[Issue] = field(default_factory=list)
    new: bool = True  # False: harvested in an earlier run, reported from the ledger
    feedback: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "verdict": self.verdict,
            "survey": self.survey,
            "kommunekode": self.kommunekode,
            "cases": self.cases,
            "issues": [i.as_dict() for i in self.issues],
        }


@dataclass
class Parsed:
    """What feedback needs of a file harvested in this run."""

    report: FileReport
    path: Path  # a copy with the suffix of what the file really is, for the feedback writer to re-read


@dataclass
class HarvestResult:
    files: list[FileResult] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)  # surveys with a new submission
    notes: list[str] = field(default_factory=list)  # for the consultant, in English like the CLI
    broken_definitions: list[str] = field(default_factory=list)  # surveys skipped: their definition did not load

    @property
    def has_problems(self) -> bool:
        return any(f.verdict in ("rejected", "needs_correction") for f in self.files)


# --- the run ----------------------------------------------------------------------------------


def harvest(
    ws: Workspace,
    files: list[Incoming] | None = None,
    options: Options | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> HarvestResult:
    """Harvest ``files`` (default: everything under incoming/)."""
    options = options or Options()
    files = discover(ws) if files is None else files
    files = expand(ws, files, Bounds(options.timeout, options.memory_mb, options.isolate))  # mail and zip: see mailbox
    result = HarvestResult()
    surveys = _surveys(ws, result)
    reports: dict[str, Parsed] = {}
    conn = ledger.connect(ws.ledger_path)
    # Scratch space (hard links to archived returns, parse copies) inside .sdexl/: on the archive's disk,
    # and removed by the next run's remove_leftovers when this one is killed.
    work = Path(tempfile.mkdtemp(prefix="harvest-", dir=_make(work_dir(ws))))
    try:
        issued = {i.token: i for s in surveys for i in ledger.issued_for(conn, s)}
        result.files = _harvest_all(ws, conn, files, surveys, issued, options, work, reports, on_file)
        _resume(ws, conn, result, surveys, issued, options, work, reports)
        faults.point("recorded")
        result.touched = {f.survey for f in result.files if f.new and f.survey and f.verdict in USABLE}
        _supersede(conn, {(f.survey, f.kommunekode) for f in result.files if f.new and f.sha256})
        _effective_verdicts(conn, result.files)
        _feedback(ws, surveys, issued, result, reports)  # while the parse copies still exist
        _settle(conn, result.files)
    finally:
        conn.close()
        shutil.rmtree(work, ignore_errors=True)
    return result


def _make(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _surveys(ws: Workspace, result: HarvestResult) -> dict[str, Survey]:
    """Every survey definition that loads; a broken one must not stop harvest of the others."""
    surveys: dict[str, Survey] = {}
    for survey_id in ws.survey_ids():
        try:
            surveys[survey_id] = ws.survey(survey_id)
        except Exception as exc:  # noqa: BLE001 - reported, and the others are harvested
            result.broken_definitions.append(survey_id)
            result.notes.append(f"Survey definition {survey_id} could not be loaded and was skipped: {exc}")
    return surveys


@dataclass
class _Job:
    """A new file, archived and waiting for its examination."""

    slot: int
    incoming: Incoming
    sha: str
    archived: Path
    workdir: Path


def _harvest_all(ws, conn, files, surveys, issued, options: Options, work: Path, reports, on_file) -> list[FileResult]:
    """Every file to a FileResult, in the order of ``files``.

    Hashing, the ledger look-up and archiving are done in this process, one file at a time; the
    examinations (the parse of untrusted bytes) run ``options.workers`` at a time, each in its own
    child bounded in time and memory. A file whose bytes already wait for examination in this run is
    looked at after that one is recorded (so it is reported as a duplicate).
    """
    slots: list[FileResult | None] = [None] * len(files)
    emitted = 0

    def settle(slot: int, entry: FileResult) -> None:
        nonlocal emitted
        slots[slot] = entry
        while emitted < len(slots) and slots[emitted] is not None:
            if on_file:
                on_file(slots[emitted])
            emitted += 1

    jobs: list[_Job] = []
    later: list[int] = []
    waiting: set[str] = set()
    for n, incoming in enumerate(files):
        workdir = work / str(n)  # made by _prepare for a file to examine: most files are known by their hash
        try:
            prepared = _prepare(ws, conn, incoming, workdir, waiting)
        except Exception as exc:  # noqa: BLE001 - the last line of defence, as _harvest_one_guarded
            prepared = _failed(incoming, exc)
        if prepared is None:
            later.append(n)
        elif isinstance(prepared, FileResult):
            settle(n, prepared)
        else:
            prepared.slot = n
            waiting.add(prepared.sha)
            jobs.append(prepared)
    last_commit = time.monotonic()
    try:
        for job, outcome in _examine_all(jobs, surveys, issued, options):
            faults.point("examined")
            try:
                entry = _finish(ws, conn, job, outcome, surveys, issued, reports)
            except Exception as exc:  # noqa: BLE001 - nothing recorded for it: the next run tries again
                entry = _failed(job.incoming, exc)
            settle(job.slot, entry)
            faults.point("record")
            if time.monotonic() - last_commit > COMMIT_EVERY_SECONDS:
                conn.commit()
                last_commit = time.monotonic()
    finally:
        conn.commit()  # what is recorded stays recorded, even when the run is interrupted
    for n in later:
        settle(n, _harvest_one_guarded(ws, conn, files[n], surveys, issued, options, work / str(n), reports))
    return [entry for entry in slots if entry is not None]


def _failed(incoming: Incoming, exc: Exception) -> FileResult:
    log.warning("an incoming file failed in harvest (%s)", type(exc).__name__)
    log.debug("traceback of the failure", exc_info=True)  # opt-in: the message may quote a cell
    display = PurePosixPath(incoming.name).name
    return FileResult(incoming.name, None, "rejected", issues=[_unreadable(display, exc)], new=False)


def _prepare(ws, conn, incoming: Incoming, workdir: Path, waiting: set[str]) -> FileResult | _Job | None:
    """A FileResult when nothing needs examining; a _Job to examine; None: same bytes as a waiting job."""
    display = PurePosixPath(incoming.name).name
    if incoming.ignored:
        return FileResult(incoming.name, None, "ignored", issues=[Finding("ignored-file").issue(display)], new=False)
    try:
        sha = sha256_file(incoming.path)
    except OSError as exc:
        log.warning("cannot read an incoming file: %s", type(exc).__name__)
        return FileResult(incoming.name, None, "rejected", issues=[_unreadable(display, exc)], new=False)
    if sha in waiting:
        return None
    earlier = _earlier_sighting(conn, incoming, sha)
    if earlier is not None:
        return earlier
    try:
        archived = archive(ws, incoming.path, sha)
    except Exception as exc:  # noqa: BLE001 - not recorded: the next run tries again
        log.warning("file %s: could not be archived (%s)", sha[:12], type(exc).__name__)
        return FileResult(incoming.name, sha, "rejected", issues=[_unreadable(display, exc)], new=False)
    workdir.mkdir(exist_ok=True)
    return _Job(-1, incoming, sha, archived, workdir)


def _examine_all(jobs: list[_Job], surveys, issued, options: Options):
    """(job, outcome) in the order of ``jobs``; any failure of a parse is a rejected outcome."""
    if not options.isolate or not isolate.can_fork():
        for job in jobs:
            yield job, _examine_guarded(job.archived, job.incoming, surveys, issued, options, job.workdir, job.sha)
        return
    args = [(job.archived, job.incoming.name, surveys, issued, job.workdir) for job in jobs]
    outcomes = isolate.map_isolated(
        examine, args, timeout=options.timeout, memory_bytes=options.memory_mb * 1024 * 1024, workers=options.workers
    )
    for index, outcome, error in outcomes:
        job = jobs[index]
        yield job, outcome if error is None else _isolation_failure(error, job, options)


def _isolation_failure(exc: isolate.IsolationError, job: _Job, options: Options) -> Outcome:
    display = PurePosixPath(job.incoming.name).name
    if isinstance(exc, isolate.TimedOut | isolate.OutOfMemory):
        log.warning("file %s: stopped (%s)", job.sha[:12], type(exc).__name__)
        issue = Finding("too-slow", {"seconds": f"{options.timeout:.0f}"}).issue(display)
    else:
        log.warning("file %s: failed in the reader (%s)", job.sha[:12], exc.args[0] if exc.args else "?")
        issue = _unreadable(display, exc, type_name=exc.args[0] if exc.args else None)
    return Outcome("rejected", "unknown", FileReport(issues=[issue]))


def _finish(ws, conn, job: _Job, outcome: Outcome, surveys, issued, reports) -> FileResult:
    """Record an examined file; keep its report only if it may get feedback (memory stays flat)."""
    incoming = job.incoming
    _attribute_rejected(outcome, incoming, surveys, issued)
    archived_rel = job.archived.relative_to(ws.root).as_posix()
    # One savepoint per file (all of it or nothing); commits are batched by _harvest_all, because a
    # commit is several fsyncs (about 18 ms a file on the benchmark machine).
    if not conn.in_transaction:
        conn.execute("BEGIN")
    conn.execute("SAVEPOINT harvest_file")
    try:
        _record(conn, incoming, job.sha, archived_rel, outcome, surveys)
    except BaseException:
        conn.execute("ROLLBACK TO harvest_file")
        conn.execute("RELEASE harvest_file")
        raise
    conn.execute("RELEASE harvest_file")
    if outcome.verdict in NEEDS_FEEDBACK:
        reports[job.sha] = Parsed(outcome.report, _parse_copy(job.workdir, incoming, outcome) or ws.root / archived_rel)
    log.info("file %s: %s", job.sha[:12], outcome.verdict)
    ident = outcome.ident
    return FileResult(
        incoming.name,
        job.sha,
        outcome.verdict,
        ident.survey_id,
        ident.kommunekode,
        _n_cases(outcome.report, surveys.get(ident.survey_id or "")),
        list(outcome.report.issues),
    )


def _harvest_one_guarded(ws, conn, incoming: Incoming, *args) -> FileResult:
    """The last line of defence: a bug in harvest itself fails this file, not the run.

    Nothing is recorded for such a file, so the next run tries it again.
    """
    try:
        return _harvest_one(ws, conn, incoming, *args)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        return _failed(incoming, exc)


def _harvest_one(ws, conn, incoming: Incoming, surveys, issued, options, workdir, reports) -> FileResult:
    """One file start to end: for a file that waited for a job with the same bytes."""
    prepared = _prepare(ws, conn, incoming, workdir, waiting=set())
    if isinstance(prepared, FileResult):
        return prepared
    outcome = _examine_guarded(prepared.archived, incoming, surveys, issued, options, workdir, prepared.sha)
    entry = _finish(ws, conn, prepared, outcome, surveys, issued, reports)
    conn.commit()
    return entry


def _examine_guarded(archived, incoming, surveys, issued, options: Options, workdir, sha) -> Outcome:
    """Any failure of the parse is a rejected verdict, never a stopped run."""
    display = PurePosixPath(incoming.name).name
    args = (archived, incoming.name, surveys, issued, workdir)
    try:
        if options.isolate:
            return isolate.call_isolated(
                examine, *args, timeout=options.timeout, memory_bytes=options.memory_mb * 1024 * 1024
            )
        return examine(*args)
    except (isolate.TimedOut, isolate.OutOfMemory) as exc:
        log.warning("file %s: stopped (%s)", sha[:12], type(exc).__name__)
        issue = Finding("too-slow", {"seconds": f"{options.timeout:.0f}"}).issue(display)
    except isolate.ChildFailed as exc:
        log.warning("file %s: failed in the reader (%s)", sha[:12], exc.args[0])
        issue = _unreadable(display, exc, type_name=exc.args[0])
    except Exception as exc:  # noqa: BLE001 - the in-process path
        log.warning("file %s: failed in the reader (%s)", sha[:12], type(exc).__name__)
        issue = _unreadable(display, exc)
    return Outcome("rejected", "unknown", FileReport(issues=[issue]))


def _unreadable(display: str, exc: BaseException, type_name: str | None = None) -> Issue:
    reason = f"uventet fejl af typen {type_name or type(exc).__name__}; fejlen er noteret hos os"
    return Issue("unreadable-file", "error", messages.render("unreadable-file", file=display, reason=reason))


def _attribute_rejected(outcome: Outcome, incoming: Incoming, surveys, issued) -> None:
    """Put a rejected file on its municipality's line in ``status`` when the name says whose it is.

    The verdict stays rejected: this only tells the consultant who to call.
    """
    ident = outcome.ident
    if outcome.verdict != "rejected" or ident.kommunekode:
        return
    found = municipality_in_filename(PurePosixPath(incoming.name).stem)
    if found is None:
        return
    folder = next((p for p in reversed(PurePosixPath(incoming.name).parts[:-1]) if p in surveys), None)
    issued_here = {i.survey_id for i in issued.values() if i.kommunekode == found.code}
    survey_id = folder or (issued_here.pop() if len(issued_here) == 1 else None)
    outcome.report.identification = Identification(survey_id=survey_id, kommunekode=found.code, source="filename")


# --- what was seen before ---------------------------------------------------------------------


def _earlier_sighting(conn: sqlite3.Connection, incoming: Incoming, sha: str) -> FileResult | None:
    """Known bytes: the earlier verdict under the same name, or "duplicate" under a new one."""
    seen = conn.execute(
        "SELECT duplicate FROM sightings WHERE file = ? AND sha256 = ?", (incoming.name, sha)
    ).fetchone()
    original = conn.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
    if original is None:
        return None
    if seen is None:
        with conn:
            conn.execute(
                "INSERT INTO sightings VALUES (?, ?, ?, ?, 1)", (incoming.name, sha, incoming.received_at, _now())
            )
    if seen is None or seen["duplicate"]:
        return _duplicate(incoming, original, new=seen is None)
    return _stored(conn, original, incoming.name)


def _duplicate(incoming: Incoming, original: sqlite3.Row, new: bool) -> FileResult:
    display = PurePosixPath(incoming.name).name
    issue = Finding("duplicate", {"original": PurePosixPath(original["file"]).name}).issue(display)
    return FileResult(
        incoming.name, original["sha256"], "duplicate", original["survey_id"], original["kommunekode"], 0, [issue], new
    )


def _stored(conn: sqlite3.Connection, row: sqlite3.Row, name: str) -> FileResult:
    issues = [
        Issue(r["code"], r["severity"], r["message"], r["sheet"], r["cell"], r["value"], r["question_id"], r["row"])
        for r in conn.execute("SELECT * FROM issues WHERE submission = ? ORDER BY seq", (row["sha256"],))
    ]
    return FileResult(
        name, row["sha256"], row["verdict"], row["survey_id"], row["kommunekode"], row["n_cases"], issues, new=False
    )


# --- recording ----------------------------------------------------------------------------------


def _record(conn, incoming: Incoming, sha: str, archived: str, outcome: Outcome, surveys) -> None:
    ident, report = outcome.ident, outcome.report
    survey = surveys.get(ident.survey_id or "")
    conn.execute(
        "INSERT INTO submissions VALUES (:sha256, :file, :received_at, :size, :archive, :container, :survey_id, "
        ":kommunekode, :verdict, NULL, :ident_source, :token, :survey_version, :tool_version, :harvested_at, "
        ":n_cases, :zero_cases)",
        {
            "sha256": sha,
            "file": incoming.name,
            "received_at": incoming.received_at,
            "size": incoming.size,
            "archive": archived,
            "container": outcome.container,
            "survey_id": ident.survey_id,
            "kommunekode": ident.kommunekode,
            "verdict": outcome.verdict,
            "ident_source": ident.source,
            "token": ident.token,
            "survey_version": ident.survey_version,
            "tool_version": ident.tool_version,
            "harvested_at": _now(),
            "n_cases": _n_cases(report, survey),
            "zero_cases": int(report.zero_cases),
        },
    )
    conn.execute("INSERT INTO sightings VALUES (?, ?, ?, ?, 0)", (incoming.name, sha, incoming.received_at, _now()))
    conn.execute("INSERT INTO unsettled VALUES (?)", (sha,))  # until supersede, feedback and receipt are done
    personal = {q.id for q in survey.questions if q.personal} if survey else set()
    _record_issues(conn, sha, report.issues, personal)
    if outcome.verdict in USABLE and survey is not None:
        _record_answers(conn, sha, report, personal)


def _record_issues(conn, sha: str, issues: list[Issue], personal: set[str]) -> None:
    rows = [
        (
            sha,
            seq,
            i.code,
            i.severity,
            i.sheet,
            i.cell,
            i.question_id,
            i.row,
            scrub(i.message),
            None if i.question_id in personal else scrub(i.value),
        )
        for seq, i in enumerate(issues)
    ]
    conn.executemany("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _record_answers(conn, sha: str, report: FileReport, personal: set[str]) -> None:
    rows = [
        (sha, index, record.row, qid, _json(value), int(qid in record.error_questions))
        for index, record in enumerate(report.records)
        for qid, value in record.answers.items()
        if qid not in personal
    ]
    conn.executemany("INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?)", rows)


def _json(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    if isinstance(value, str):
        value = scrub(value)
    elif isinstance(value, dt.date):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False)


def scrub(text: str | None) -> str | None:
    """No CPR-like number is stored, whatever field it was typed into."""
    return privacy.mask_cpr(text) if text else text


def _n_cases(report: FileReport, survey: Survey | None) -> int:
    """Case surveys: rows read. Aggregate forms: the answer to the question feeding "cases"."""
    if survey is None or not report.records:
        return 0
    if survey.kind == "cases":
        return len(report.records)
    count_q = next((q.id for q in survey.questions if q.indicator == "cases"), None)
    value = report.records[0].answers.get(count_q) if count_q else None
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# --- after the run ------------------------------------------------------------------------------


def _resume(ws, conn, result: HarvestResult, surveys, issued, options: Options, work: Path, reports) -> None:
    """Files an interrupted harvest recorded but did not finish (supersede, feedback, receipt) are
    finished now, exactly as if they were new in this run: the end state is that of an uninterrupted run.

    Their feedback needs the parsed report, which is not stored: the archived bytes are examined again.
    """
    pending = {r[0] for r in conn.execute("SELECT sha256 FROM unsettled")} - {f.sha256 for f in result.files if f.new}
    for n, sha in enumerate(sorted(pending)):
        row = conn.execute("SELECT * FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
        entry = next((f for f in result.files if f.sha256 == sha and f.file == row["file"]), None)
        if entry is None:  # no longer in incoming/: from the ledger
            entry = _stored(conn, row, row["file"])
            result.files.append(entry)
        entry.new = True
        if entry.verdict in NEEDS_FEEDBACK:
            reports[sha] = _reexamine(ws, row, surveys, issued, options, work / f"resume-{n}")
    if pending:
        n = len(pending)
        result.notes.append(f"Finished {n} file{'s' if n != 1 else ''} an interrupted harvest had recorded.")


def _reexamine(ws, row: sqlite3.Row, surveys, issued, options: Options, workdir: Path) -> Parsed:
    archived = ws.root / row["archive"]
    incoming = Incoming(archived, row["file"], row["size"], row["received_at"], ignored=False)
    workdir.mkdir(parents=True, exist_ok=True)
    outcome = _examine_guarded(archived, incoming, surveys, issued, options, workdir, row["sha256"])
    _attribute_rejected(outcome, incoming, surveys, issued)
    return Parsed(outcome.report, _parse_copy(workdir, incoming, outcome) or archived)


def _settle(conn: sqlite3.Connection, files: list[FileResult]) -> None:
    """Every after-step of this run's files is done: nothing to resume for them."""
    with conn:
        conn.executemany("DELETE FROM unsettled WHERE sha256 = ?", [(f.sha256,) for f in files if f.new and f.sha256])


def _supersede(conn: sqlite3.Connection, groups: set[tuple[str | None, str | None]]) -> None:
    """The latest usable file per municipality and survey is current; earlier files point to it.

    A rejected file received before the current one is superseded too (its
    problem was solved by the later file); one received after it stays
    rejected, because that is a return somebody must follow up on.
    """
    kinds = (*USABLE, "rejected")
    marks = ",".join("?" * len(kinds))
    with conn:
        for survey_id, code in groups:
            if not (survey_id and code):
                continue
            rows = conn.execute(
                f"SELECT sha256, verdict, received_at, file, {HAS_CONTENT} AS content FROM submissions "
                f"WHERE survey_id = ? AND kommunekode = ? AND verdict IN ({marks}) ORDER BY received_at, file",
                (survey_id, code, *kinds),
            ).fetchall()
            # An untouched template is usable (needs correction) but replaces nothing: like a rejected file.
            usable = [r for r in rows if r["verdict"] in USABLE and r["content"]]
            if not usable:
                continue
            current = usable[-1]
            for row in rows:
                earlier = (row["received_at"], row["file"]) < (current["received_at"], current["file"])
                kept = row["verdict"] in USABLE and row["content"]
                replaced = row["sha256"] != current["sha256"] and (kept or earlier)
                newer = current["sha256"] if replaced else None
                conn.execute("UPDATE submissions SET superseded_by = ? WHERE sha256 = ?", (newer, row["sha256"]))


def _effective_verdicts(conn: sqlite3.Connection, files: list[FileResult]) -> None:
    for entry in files:
        if entry.sha256 is None or entry.verdict not in (*USABLE, "rejected"):
            continue
        row = conn.execute(
            "SELECT n.file FROM submissions s JOIN submissions n ON n.sha256 = s.superseded_by WHERE s.sha256 = ?",
            (entry.sha256,),
        ).fetchone()
        if row:
            entry.verdict = "superseded"
            newer = PurePosixPath(row["file"]).name
            display = PurePosixPath(entry.file).name
            entry.issues.append(Finding("superseded", {"newer": newer}).issue(display))


FEEDBACK_VERDICTS = ("needs_correction", "rejected")  # accepted with notes: a receipt, never "correct and resend"
ACCEPTED = ("accepted", "accepted_with_warnings")


def _feedback(ws: Workspace, surveys, issued, result: HarvestResult, reports: dict[str, Parsed]) -> None:
    """A feedback workbook for each new file with something to correct; a receipt for each new accepted one.

    The feedback workbook carries the token issued to the municipality it is for (never another
    municipality's, whatever the returned file claimed), so their corrected return is identified
    like the first one. An unfilled workbook that arrives after a filled one changes nothing and
    gets no feedback: the consultant is told instead.
    """
    _retire_feedback(ws, result)
    _receipts(ws, surveys, result)
    wanted = [f for f in result.files if f.new and f.verdict in FEEDBACK_VERDICTS and f.sha256 in reports]
    wanted = [f for f in wanted if f.survey in surveys and f.kommunekode in by_code()]
    wanted = [f for f in wanted if not _empty_after_answers(ws, f, result)]
    if not wanted:
        return
    try:
        from sdexl.harvest.feedback import write_feedback
    except ImportError:
        result.notes.append("Feedback workbooks were not written: sdexl.harvest.feedback is not available.")
        return
    for entry in wanted:
        parsed = reports[entry.sha256]
        token = _token_for(entry.survey, entry.kommunekode, parsed.report.identification, issued)
        if token is None:
            result.notes.append(f"No feedback for {entry.file}: no workbook was issued to {entry.kommunekode}.")
            continue
        try:
            survey, kommune = surveys[entry.survey], by_code()[entry.kommunekode]
            entry.feedback = write_feedback(ws, survey, kommune, parsed.report, parsed.path, {"token": token})
            faults.point("feedback")
        except Exception as exc:  # noqa: BLE001 - harvest is done; say which feedback is missing
            log.warning("file %s: feedback failed (%s)", entry.sha256[:12], type(exc).__name__)
            result.notes.append(f"Feedback for {entry.file} could not be written ({type(exc).__name__}).")


def _empty_after_answers(ws: Workspace, entry: FileResult, result: HarvestResult) -> bool:
    """An unfilled workbook while the municipality's filled one stays current: say so, write no feedback."""
    if entry.verdict != "needs_correction":
        return False
    conn = ledger.connect(ws.ledger_path)
    try:
        mine = conn.execute(f"SELECT {HAS_CONTENT} FROM submissions WHERE sha256 = ?", (entry.sha256,)).fetchone()
        current = conn.execute(
            f"SELECT file FROM submissions WHERE survey_id = ? AND kommunekode = ? AND superseded_by IS NULL "
            f"AND verdict IN ({','.join('?' * len(USABLE))}) AND {HAS_CONTENT} AND sha256 != ?",
            (entry.survey, entry.kommunekode, *USABLE, entry.sha256),
        ).fetchone()
    finally:
        conn.close()
    if mine is None or mine[0] or current is None:
        return False
    result.notes.append(
        f"{entry.file} is an unfilled workbook from {entry.kommunekode}; their filled file {current['file']} "
        "stays current, and no feedback was written. Ask them which file they meant to send."
    )
    return True


def _receipts(ws: Workspace, surveys, result: HarvestResult) -> None:
    """A receipt for every new accepted file that is current (harvest/receipt.py)."""
    shas = [f.sha256 for f in result.files if f.new and f.verdict in ACCEPTED and f.sha256 and f.survey in surveys]
    if not shas:
        return
    from sdexl.harvest.receipt import write_receipts

    try:
        written = write_receipts(ws, surveys, shas)
    except Exception as exc:  # noqa: BLE001 - harvest is done; say what is missing
        log.warning("receipts failed (%s)", type(exc).__name__)
        result.notes.append(f"Receipts could not be written ({type(exc).__name__}); 'sdexl send SURVEY receipts' "
                            "writes them again.")
        return
    folders: dict[Path, int] = {}
    for path in written:
        folders[path.parent] = folders.get(path.parent, 0) + 1
    for folder, n in folders.items():
        result.notes.append(f"{n} receipt{'s' if n != 1 else ''} written to {folder.relative_to(ws.root)}.")


FEEDBACK_FOLDER = "tilbagemelding"  # as sdexl.harvest.feedback (not imported: it brings the generator)
RETIRED_FOLDER = "forældet"


def _retire_feedback(ws: Workspace, result: HarvestResult) -> None:
    """Outputs that no longer apply are moved aside to a forældet/ folder, so each folder holds only what
    somebody still has to act on or send: the feedback of a municipality whose new current file is accepted,
    and the receipt of one whose new current file needs correction."""
    from sdexl.harvest.receipt import retire_receipt

    stamp = _now()[:19].replace(":", "-")
    for entry in result.files:
        if not (entry.new and entry.survey and entry.kommunekode in by_code()):
            continue
        kommune = by_code()[entry.kommunekode]
        try:
            if entry.verdict in ACCEPTED:
                moved = _retire(ws.output_dir(entry.survey) / FEEDBACK_FOLDER / f"{kommune.file_stem}.xlsx", stamp)
                what = "feedback"
            elif entry.verdict == "needs_correction" and not _empty_after_answers_quiet(ws, entry):
                moved, what = retire_receipt(ws, entry.survey, kommune, stamp), "receipt"
            else:
                continue
        except OSError as exc:
            result.notes.append(f"Earlier outputs for {kommune.name} could not be moved aside ({exc}).")
            continue
        if moved:
            result.notes.append(f"Earlier {what} for {kommune.name} moved to {moved.relative_to(ws.root)}.")


def _retire(old: Path, stamp: str) -> Path | None:
    if not old.exists():
        return None
    retired = old.parent / RETIRED_FOLDER / f"{old.stem} {stamp}{old.suffix}"
    retired.parent.mkdir(parents=True, exist_ok=True)
    old.replace(retired)
    return retired


def _empty_after_answers_quiet(ws: Workspace, entry: FileResult) -> bool:
    return _empty_after_answers(ws, entry, HarvestResult())


def _token_for(survey_id: str | None, kommunekode: str | None, ident: Identification,
               issued: dict[str, Issued]) -> str | None:
    """The token issued to this municipality for this survey: the file's own when it is theirs, else
    their latest. A token the file carries that was issued to another municipality (or survey) is
    never copied into their feedback: the corrected return would be refused again for the same mismatch."""
    own = issued.get(ident.token) if ident.token else None
    if own is not None and own.survey_id == survey_id and own.kommunekode == kommunekode:
        return own.token
    mine = [i for i in issued.values() if i.survey_id == survey_id and i.kommunekode == kommunekode]
    return max(mine, key=lambda i: i.generated_at).token if mine else None


def _parse_copy(workdir: Path, incoming: Incoming, outcome: Outcome) -> Path | None:
    suffix = SUFFIX.get(outcome.container)
    path = workdir / (PurePosixPath(incoming.name).stem + suffix) if suffix else None
    return path if path and path.exists() else None


def rebuild_outputs(ws: Workspace, survey_ids: set[str] = frozenset()) -> list[str]:
    """Rebuild the outputs of every harvested survey that are missing or stale (sdexl.outputs), and those
    of ``survey_ids`` whatever their state; returns notes for the consultant.

    Also after a run with nothing new: a harvest killed before its build, or a deleted master, is
    repaired by the next harvest."""
    from sdexl.outputs import refresh

    return refresh(ws, force=set(survey_ids)).notes(ws)
