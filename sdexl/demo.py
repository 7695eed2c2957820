"""``sdexl demo``: a whole round on SYNTHETIC data, in one command.

    workspace -> synthetic population and contacts -> generate sde-2022 and sde-2024
    -> invitations drafted -> synthetic returns (with the typical mistakes) -> harvest
    -> masters, feedback and receipts -> reminders, feedback and receipt mails drafted

Everything the demo writes is made up and says so: the workspace README.txt,
the population file (``kvartal`` and ``kilde`` read SYNTETISK, and the master
workbooks print that label wherever they name the population figures), the
contact person in every workbook, and the summary printed at the end.

Returns are written by the generator itself (``write_workbook`` with a
``Prefill`` and the metadata the municipality was issued, read from the
ledger), which is fast and gives byte-for-byte what Excel users return from an
untouched template. The mistakes are then made the way people make them:
openpyxl pastes a wrong category or clears an answer, LibreOffice resaves a
file, a file is renamed, sent twice, or corrected and sent again.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdexl import layout, ledger
from sdexl.generate.metadata import Metadata
from sdexl.generate.workbook import Prefill, write_workbook
from sdexl.progress import progress_bar
from sdexl.reference import Municipality, by_code, municipalities
from sdexl.reference.population import FILE_NAME as POPULATION_FILE
from sdexl.synthetic import case_answers, form_answers
from sdexl.workspace import CONFIG_NAME, Workspace, init_workspace

SURVEYS = ("sde-2022", "sde-2024")
SYNTHETIC = "SYNTETISK"
POPULATION_LABEL = "SYNTETISK (demo, ikke Danmarks Statistik)"
POPULATION_SOURCE = "SYNTETISK: opdigtede tal lavet af sdexl demo; ikke officielle befolkningstal"
CASES_PER_1000 = 0.5  # special cases per 1,000 citizens aged 18-66, as in the 2022 screening's order of size
NOT_RETURNING = 15  # municipalities that do not answer a survey
RENAMED = "Skema retur endelig.xlsx"
DEFAULT_SEED = 2024

# Population aged 18-66: most municipalities have 20,000-60,000; these are far from that.
_LARGE = {"101": 12.0, "751": 7.0, "461": 4.5, "851": 4.3}
_ISLANDS = {"825": 0.03, "563": 0.04, "741": 0.05, "492": 0.06, "482": 0.3}  # Læsø, Fanø, Samsø, Ærø, Langeland

DEMO_CONFIG = """\
# sdexl DEMO workspace: every figure and answer here is SYNTETISK (made up).
contact:
  name: sdexl demo (SYNTETISKE DATA)
  email: demo@example.invalid
  phone: "00000000"
  organisation: sdexl demo - SYNTETISKE DATA
sender:
  name: sdexl demo
  email: demo@example.invalid
  organisation: sdexl demo - SYNTETISKE DATA
rounds:
  sde-2022: {deadline: 2022-12-12, resend_deadline: 2022-12-19}
  sde-2024: {deadline: 2024-12-09, resend_deadline: 2024-12-17}
synthetic: true   # every master and data set is marked SYNTETISKE DATA
small_cell_threshold: 3
"""

README = """\
SYNTETISKE DATA - sdexl demo
============================

Alt i denne mappe er SYNTETISK: lavet af `sdexl demo` (seed {seed}) til at vise, hvordan
sdexl virker. Ingen kommune har svaret, og ingen tal er rigtige.

* reference/{population}: SYNTETISKE befolkningstal (18-66 år), IKKE fra Danmarks Statistik.
* incoming/: SYNTETISKE svar fra {returned_2022} kommuner (sde-2022) og {returned_2024} (sde-2024),
  med de fejl, rigtige svar typisk har.
* output/: master.xlsx, data.csv, tilbagemeldinger og kvitteringer bygget af de SYNTETISKE svar.
* reference/kontakter.csv: SYNTETISKE kontaktpersoner (adresser på example.invalid, som ikke findes).
* outgoing/<undersøgelse>/mail/: mailkladder (.eml) med invitationer, påmindelser, tilbagemeldinger og
  kvitteringer til de SYNTETISKE kontaktpersoner. Intet er sendt.

All data in this folder is SYNTHETIC (made up by `sdexl demo`); none of it is real or official.

Open:
{open_list}
"""


class DemoError(Exception):
    """The demo cannot run where it was asked to; the message says what to do."""


@dataclass
class DemoResult:
    root: Path
    seed: int
    verdicts: dict[str, int]  # verdict -> number of files, over both surveys
    files: list[Any]  # harvest FileResults
    open_first: list[tuple[str, Path]]  # (what it is, where)
    notes: list[str] = field(default_factory=list)
    libreoffice: bool = False
    cases: dict[str, int] = field(default_factory=dict)  # survey -> cases in the synthetic returns
    temporary: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    mail: dict[str, dict[str, int]] = field(default_factory=dict)  # survey -> kind -> drafts written
    reports: dict[str, tuple[Path, int, list[Path]]] = field(default_factory=dict)  # survey -> (folder, n, PDFs)

    def lines(self) -> list[str]:
        out = [
            f"sdexl demo: ALL DATA IS SYNTHETIC ({SYNTHETIC}), made up with seed {self.seed}; nothing here is real.",
            f"Workspace: {self.root}" + ("  (a temporary folder: copy what you want to keep)" if self.temporary else ""),
            f"Synthetic returns: {self.cases.get('sde-2022', 0)} cases (sde-2022), "
            f"{self.cases.get('sde-2024', 0)} citizens over 2 mio. kr. (sde-2024, aggregate forms).",
            "Harvest verdicts: " + ", ".join(f"{n} {v}" for v, n in sorted(self.verdicts.items())),
        ]
        out += [f"Note: {n}" for n in self.notes]
        for survey_id, kinds in self.mail.items():
            counts = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
            out.append(f"Mail drafts {survey_id} (synthetic, not sent): {counts} in "
                       f"{self.root / 'outgoing' / survey_id / 'mail'}")
        for survey_id, (folder, count, pdfs) in self.reports.items():
            example = f"; PDF examples: {', '.join(p.name for p in pdfs)}" if pdfs else ""
            out.append(f"Municipality reports {survey_id} (synthetic): {count} in {folder}{example}")
        out.append("Open:")
        out += [f"  {what:<34} {path}" for what, path in self.open_first]
        out.append(f"  {'where each municipality stands':<34} sdexl -w {self.root} status sde-2022")
        return out


# --- the plan: who returns what ---------------------------------------------------------------


@dataclass
class Plan:
    population: dict[str, int]
    cases_2022: dict[str, int]
    cases_2024: dict[str, int]
    silent_2022: set[str]
    silent_2024: set[str]
    mistakes: dict[str, str]  # role -> kommunekode (sde-2022)
    form_mistake: str  # kommunekode whose sde-2024 bands do not add up


def synthetic_population(seed: int) -> dict[str, int]:
    """Made-up population aged 18-66 per municipality: lognormal around 28,000, a few far off."""
    rng = random.Random(f"{seed}-population")
    values = {}
    for m in municipalities():
        base = rng.lognormvariate(math.log(28_000), 0.45)
        base *= _LARGE.get(m.code, 1.0) * _ISLANDS.get(m.code, 1.0)
        values[m.code] = max(300, int(round(base, -1)))
    return values


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth for small means, a rounded normal for large ones (fine for a demo)."""
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def make_plan(seed: int) -> Plan:
    rng = random.Random(f"{seed}-plan")
    population = synthetic_population(seed)
    codes = [m.code for m in municipalities()]
    cases_2022 = {c: poisson(rng, population[c] * CASES_PER_1000 / 1000) for c in codes}
    # Some municipalities have no cases at all: the smallest, whatever the draw gave.
    for c in sorted(codes, key=population.get)[:3]:
        cases_2022[c] = 0
    cases_2024 = {c: max(0, round(n * rng.lognormvariate(0.0, 0.25) + rng.choice((-1, 0, 0, 1)))) for c, n in cases_2022.items()}
    # The mistakes are made by mid-sized municipalities (a handful of cases, quick to edit).
    mid = [c for c in codes if 4 <= cases_2022[c] <= 25]
    roles = ["near_category", "bad_category", "missing_then_corrected", "libreoffice", "renamed", "sent_twice"]
    picked = rng.sample(mid, len(roles) + 1)
    mistakes = dict(zip(roles, picked))
    form_mistake = picked[-1]
    others = [c for c in codes if c not in picked and cases_2022[c] > 0]
    silent_2022 = set(rng.sample(others, NOT_RETURNING))
    silent_2024 = set(rng.sample(others, NOT_RETURNING // 2)) | set(rng.sample(sorted(silent_2022), NOT_RETURNING // 2 + 1))
    return Plan(population, cases_2022, cases_2024, silent_2022, silent_2024, mistakes, form_mistake)


# --- the run -------------------------------------------------------------------------------------


def run_demo(
    directory: Path | None,
    progress: bool,
    *,
    seed: int = DEFAULT_SEED,
    soffice: str | None = "auto",
    workers: int | None = None,
    say: Callable[[str], None] | None = None,
    reports: bool = True,
) -> DemoResult:
    """Run the whole demo in ``directory`` (a new temporary folder when None).

    ``soffice``: the LibreOffice binary for the resaved file (and the PDF
    copies of a few reports); "auto" finds it on PATH, None skips that step
    (with a note). ``reports``: write the municipality reports too. ``say`` gets one line saying
    where the workspace is, before the work starts.
    """
    temporary = directory is None
    root = Path(tempfile.mkdtemp(prefix="sdexl-demo-")) if temporary else Path(directory).resolve()
    _check_empty(root)
    if say:
        kind = "a temporary folder" if temporary else "the folder you gave"
        say(f"sdexl demo: a workspace with SYNTHETIC (made-up) data in {root} ({kind}).")
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_NAME).write_text(DEMO_CONFIG, encoding="utf-8")
    ws = init_workspace(root)
    plan = make_plan(seed)
    write_population(ws, plan.population)
    write_socio(ws, seed)
    notes: list[str] = []
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = round(now - clock, 2)
        clock = now

    from sdexl.generate.run import generate_all

    for survey_id in SURVEYS:
        generate_all(ws, survey_id, progress=progress, workers=workers)
    lap("generate")
    mail: dict[str, dict[str, int]] = {s: {} for s in SURVEYS}
    write_contacts(ws)
    _draft(ws, mail, "invitations")
    lap("invitations")

    soffice_bin = (shutil.which("soffice") or shutil.which("libreoffice")) if soffice == "auto" else soffice
    used_libreoffice = write_returns(ws, plan, seed, progress, soffice_bin, notes, workers, lap)

    from sdexl.harvest.intake import discover
    from sdexl.harvest.run import harvest, rebuild_outputs

    files = discover(ws)
    with progress_bar(len(files), "Harvesting (synthetic returns)", enabled=progress) as advance:
        result = harvest(ws, files, on_file=lambda entry: advance(Path(entry.file).name))
    lap("harvest")
    notes += result.notes
    built = rebuild_outputs(ws, result.touched)
    lap("build")
    notes += [n for n in built if not n.startswith("Rebuilt outputs")]
    for what in ("reminders", "feedback", "receipts"):
        _draft(ws, mail, what)
    lap("mail")
    written_reports = write_reports(ws, soffice_bin, notes) if reports else {}
    if reports:
        lap("reports")

    verdicts = Counter(f.verdict for f in result.files)
    open_first = _files_to_open(ws, result.files)
    demo = DemoResult(
        root,
        seed,
        dict(verdicts),
        result.files,
        open_first,
        notes,
        used_libreoffice,
        {"sde-2022": sum(plan.cases_2022[c] for c in plan.cases_2022 if c not in plan.silent_2022),
         "sde-2024": sum(plan.cases_2024[c] for c in plan.cases_2024 if c not in plan.silent_2024)},
        temporary,
        timings,
        mail,
        written_reports,
    )
    _write_readme(ws, demo, plan)
    return demo


REPORT_PDF_EXAMPLES = 2  # per survey: printing every report would add minutes to the demo


def write_reports(ws: Workspace, soffice: str | None, notes: list[str]) -> dict[str, tuple[Path, int, list[Path]]]:
    """Every municipality's report as xlsx; PDF copies of the first few when LibreOffice is installed."""
    from sdexl.report.pdf import to_pdf
    from sdexl.report.run import build_reports

    written = {}
    for survey_id in SURVEYS:
        run = build_reports(ws, survey_id, pdf=False)
        pdfs, failed = to_pdf(run.workbooks[:REPORT_PDF_EXAMPLES], soffice) if soffice else ([], [])
        notes += failed
        written[survey_id] = (run.folder, len(run.workbooks), pdfs)
    if not soffice:
        notes.append("LibreOffice is not installed: the reports are xlsx only (sdexl report SURVEY makes the PDFs).")
    return written


def write_socio(ws: Workspace, seed: int) -> Path:
    """A SYNTHETIC socio-economic index (around 1.0), so the comparable municipalities use two variables."""
    rng = random.Random(f"{seed}-socio")
    target = ws.reference / "socio_indeks.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = ["kommunekode,indeks"] + [f"{m.code},{round(rng.gauss(1.0, 0.12), 3)}" for m in municipalities()]
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def write_contacts(ws: Workspace) -> Path:
    """SYNTHETIC contact persons for all 98, imported like a real list (addresses that cannot exist)."""
    from sdexl.contacts import import_contacts

    source = ws.state / "demo-kontakter.csv"
    source.parent.mkdir(parents=True, exist_ok=True)
    lines = ["kommunekode;navn;email;cc"]
    lines += [f"{m.code};Kontaktperson i {m.name} (SYNTETISK);sde-{m.code}@example.invalid;" for m in municipalities()]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_contacts(source, ws.reference)
    source.unlink()
    return report.written


def _draft(ws: Workspace, mail: dict[str, dict[str, int]], what: str) -> None:
    """Draft one kind of mail for both surveys (.eml files; nothing is sent)."""
    from sdexl.mail.send import send

    for survey_id in SURVEYS:
        result = send(ws, survey_id, what)
        mail[survey_id][what] = result.count("drafted")


def _check_empty(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise DemoError(f"{root} is a file; give the demo a new or empty folder.")
    if root.exists() and any(root.iterdir()):
        raise DemoError(f"{root} is not empty; give the demo a new or empty folder (or none, for a temporary one).")


def write_population(ws: Workspace, population: dict[str, int]) -> Path:
    """reference/befolkning_18_66.csv in the importer's format, labelled SYNTETISK in every row."""
    import csv

    target = ws.reference / POPULATION_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kommunekode", "befolkning_18_66", "kvartal", "kilde"])
        for code in sorted(population, key=int):
            writer.writerow([code, population[code], POPULATION_LABEL, POPULATION_SOURCE])
    return target


def _files_to_open(ws: Workspace, files: list[Any]) -> list[tuple[str, Path]]:
    out = [(f"master workbook {s} (synthetic)", ws.output_dir(s) / "master.xlsx") for s in SURVEYS]
    out += [(f"data extract {s} (synthetic)", ws.output_dir(s) / "data.csv") for s in SURVEYS]
    feedback = [f.feedback for f in files if f.feedback and f.verdict == "needs_correction"]
    feedback = feedback or [f.feedback for f in files if f.feedback]
    if feedback:
        out.append(("feedback to a municipality", Path(feedback[0])))
    out.append(("invitation mails (drafts, synthetic)", ws.outgoing_dir(SURVEYS[0]) / "mail" / "invitations"))
    out += [(f"municipality reports {s} (synthetic)", ws.output_dir(s) / "rapporter") for s in SURVEYS]
    out.append(("what the demo made (synthetic)", ws.root / "README.txt"))
    return out


def _write_readme(ws: Workspace, demo: DemoResult, plan: Plan) -> None:
    open_list = "\n".join(f"* {what}: {path}" for what, path in demo.open_first)
    text = README.format(
        seed=demo.seed,
        population=POPULATION_FILE,
        returned_2022=98 - len(plan.silent_2022),
        returned_2024=98 - len(plan.silent_2024),
        open_list=open_list,
    )
    (ws.root / "README.txt").write_text(text, encoding="utf-8")


# --- the returns ---------------------------------------------------------------------------------


@dataclass
class _Job:
    path: Path
    survey_id: str
    kommune: Municipality
    meta: Metadata
    prefill: Prefill


def write_returns(ws: Workspace, plan: Plan, seed: int, progress: bool, soffice: str | None, notes: list[str],
                  workers: int | None = None, lap: Callable[[str], None] = lambda step: None) -> bool:
    """Every synthetic return in incoming/, with received times (mtimes) in a realistic order."""
    issued = _issued(ws)
    surveys = {s: ws.survey(s) for s in SURVEYS}
    staging = ws.state / "demo-staging"
    jobs: list[_Job] = []
    for code in sorted(plan.cases_2022, key=int):
        if code in plan.silent_2022:
            continue
        kommune = by_code()[code]
        rng = random.Random(f"{seed}-cases-{code}")
        rows = [case_answers(surveys["sde-2022"], rng, n + 1) for n in range(plan.cases_2022[code])]
        jobs.append(_Job(staging / "sde-2022" / f"{kommune.file_stem}.xlsx", "sde-2022", kommune,
                         issued["sde-2022", code], Prefill(rows=rows, zero_cases=not rows)))
    for code in sorted(plan.cases_2024, key=int):
        if code in plan.silent_2024:
            continue
        kommune = by_code()[code]
        form = _form_2024(surveys["sde-2024"], plan, code, random.Random(f"{seed}-form-{code}"))
        jobs.append(_Job(staging / "sde-2024" / f"{kommune.file_stem}.xlsx", "sde-2024", kommune,
                         issued["sde-2024", code], Prefill(form=form)))
    with progress_bar(len(jobs), "Writing synthetic returns", enabled=progress) as advance:
        for job in _write_all(ws, surveys, jobs, workers):
            advance(job.kommune.name)
    lap("returns")
    used = _place(ws, plan, surveys, staging, soffice, notes)
    shutil.rmtree(staging, ignore_errors=True)
    lap("mistakes")
    return used


def _issued(ws: Workspace) -> dict[tuple[str, str], Metadata]:
    """The metadata each municipality was issued: a return must carry the same token."""
    out = {}
    with ledger.opened(ws.ledger_path) as conn:
        for survey_id in SURVEYS:
            for i in ledger.issued_for(conn, survey_id):
                out[survey_id, i.kommunekode] = Metadata(i.survey_id, i.survey_version, i.kommunekode,
                                                         by_code()[i.kommunekode].name, i.token, i.tool_version,
                                                         i.generated_at)
    return out


def _form_2024(survey, plan: Plan, code: str, rng: random.Random) -> dict[str, Any]:
    """An aggregate form consistent with the municipality's 2022 count, exit reasons when it fell."""
    cases = plan.cases_2024[code]
    in_botilbud = cases + int(plan.population[code] * rng.uniform(0.003, 0.006))
    answers = form_answers(survey, rng, cases, in_botilbud)
    exits = [q.id for q in survey.questions if q.indicator == "exit_reason"]
    for qid in exits:
        answers.pop(qid, None)
    left = max(0, plan.cases_2022[code] - cases) + poisson(rng, plan.cases_2022[code] * 0.1)
    if left and rng.random() < 0.8:  # the exit reasons are optional; most answer them
        weights = [0.45, 0.1, 0.15, 0.2, 0.1][: len(exits)]
        for qid in exits:
            answers[qid] = 0
        for _ in range(left):
            answers[rng.choices(exits, weights)[0]] += 1
        other = exits[-1]
        if answers.get(other):
            answers[f"{other}_tekst"] = "Syntetisk: flyttet til anden kommune."
    if code == plan.form_mistake:  # a typical slip: the age bands do not add up
        age_bands = [q.id for q in survey.questions if q.indicator == "age_band"]
        answers[age_bands[0]] = answers.get(age_bands[0], 0) + 2
    return answers


def _write_one(args) -> _Job:
    job, survey, config = args
    write_workbook(job.path, survey, job.kommune, job.meta, config, prefill=job.prefill)
    return job


def _write_all(ws: Workspace, surveys, jobs: list[_Job], workers: int | None) -> Iterator[_Job]:
    tasks = [(job, surveys[job.survey_id], ws.config) for job in jobs]
    workers = workers or min(len(tasks), os.cpu_count() or 1)
    if workers <= 1:
        yield from map(_write_one, tasks)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_write_one, tasks, chunksize=4)


# --- into incoming/, with the typical mistakes ------------------------------------------------------

T_2022 = dt.datetime(2022, 11, 14, 9, 0, tzinfo=dt.UTC)
T_2024 = dt.datetime(2024, 11, 11, 9, 0, tzinfo=dt.UTC)


def _place(ws: Workspace, plan: Plan, surveys, staging: Path, soffice: str | None, notes: list[str]) -> bool:
    """Move the staged returns to incoming/ (one folder per mail day) and make the mistakes."""
    clock = _Clock()
    m = plan.mistakes
    name = {code: by_code()[code].file_stem + ".xlsx" for code in plan.cases_2022}
    s22 = surveys["sde-2022"]
    inbox22 = ws.incoming / "sde-2022"
    used_libreoffice = False
    for path in sorted((staging / "sde-2022").glob("*.xlsx"), key=lambda p: int(p.name.split("_")[0])):
        code = path.name.split("_")[0]
        target = inbox22 / path.name
        if code == m["renamed"]:
            target = inbox22 / RENAMED
        if code == m["near_category"]:
            _edit_case(path, target, s22, lambda put, row: put(row, "q01_koen", "kvinde "))
        elif code == m["bad_category"]:
            _edit_case(path, target, s22, lambda put, row: put(row, "q02_alder", "ca. 40 år"))
        elif code == m["missing_then_corrected"]:
            _edit_case(path, target, s22, lambda put, row: put(row, "q03_udgift", None))
        elif code == m["libreoffice"] and soffice:
            used_libreoffice = _resave(soffice, path, target, notes)
        else:
            _move(path, target)
        _stamp(target, clock.next(T_2022))
        if code == m["libreoffice"] and not soffice:
            notes.append("LibreOffice (soffice) was not found, so no return was resaved by LibreOffice.")
    # Later mail: the same file again (forwarded by a colleague) and a corrected resubmission.
    twice = inbox22 / name[m["sent_twice"]]
    again = ws.incoming / "sde-2022" / "videresendt" / name[m["sent_twice"]]
    again.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(twice, again)
    _stamp(again, clock.next(T_2022, days=3))
    corrected = inbox22 / "rettet" / f"{by_code()[m['missing_then_corrected']].file_stem} rettet.xlsx"
    corrected.parent.mkdir(parents=True, exist_ok=True)
    _move(staging / "sde-2022" / f"{by_code()[m['missing_then_corrected']].file_stem}.xlsx", corrected,
          keep_source=False)
    _stamp(corrected, clock.next(T_2022, days=5))

    clock = _Clock()
    for path in sorted((staging / "sde-2024").glob("*.xlsx"), key=lambda p: int(p.name.split("_")[0])):
        target = ws.incoming / "sde-2024" / path.name
        _move(path, target)
        _stamp(target, clock.next(T_2024))
    return used_libreoffice


class _Clock:
    """Received times: returns trickle in, about one every 40 minutes."""

    def __init__(self) -> None:
        self.n = 0

    def next(self, start: dt.datetime, days: int = 0) -> float:
        self.n += 1
        return (start + dt.timedelta(days=days, minutes=40 * self.n)).timestamp()


def _stamp(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def _move(source: Path, target: Path, keep_source: bool = True) -> None:
    """Copy (the staged file may be needed again: the corrected resubmission) or move."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if keep_source:
        shutil.copyfile(source, target)
    else:
        shutil.move(source, target)


def _edit_case(source: Path, target: Path, survey, change: Callable[[Callable, int], None]) -> None:
    """Open a return in openpyxl, as a person in Excel would, and change the second case."""
    import openpyxl

    columns = {c.key: c.index for c in layout.entry_columns(survey)}
    wb = openpyxl.load_workbook(source)
    sheet = wb[survey.entry_sheet]

    def put(row: int, key: str, value: Any) -> None:
        cell = sheet.cell(layout.FIRST_DATA_ROW + row + 1, columns[key] + 1)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"

    change(put, 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)


def _resave(soffice: str, source: Path, target: Path, notes: list[str]) -> bool:
    """Open and save the file in LibreOffice (as xlsx), as a municipality without Excel does."""
    outdir = source.parent / "libreoffice"
    profile = Path(tempfile.gettempdir()) / f"sdexl_demo_lo_{uuid.uuid4().hex}"
    try:
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(source)],
            capture_output=True, text=True, timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        done = None
        notes.append(f"LibreOffice could not resave a return ({type(exc).__name__}); the original was used.")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    converted = outdir / source.name
    if done is not None and done.returncode == 0 and converted.exists():
        _move(converted, target, keep_source=False)
        return True
    if done is not None:
        notes.append("LibreOffice could not resave a return; the original was used.")
    _move(source, target)
    return False
