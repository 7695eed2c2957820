"""sdexl benchmark: generation, harvest and start-up on SYNTHETIC returns, against the plain alternatives.

    python bench/run.py                   # the full run (98 files, then 1,000 and 10,000), writes bench/results.*
    python bench/run.py --quick           # 98 files, scale run at 200 and 1,000 files
    python bench/run.py --files 3 --no-scale --runs 1 --out /tmp/b   # a smoke test (the unit test does this)

Every measured step runs as its own subprocess, started by a tiny wrapper
process (WRAPPER below) so that its peak memory starts from the wrapper's small
size, not from the benchmark's: the wrapper times the command with
time.perf_counter and reports the ru_maxrss that os.wait4 gives for it (the
largest of the command and its own children, e.g. the harvest's parse workers
and generate's worker processes). Each figure is the median of ``--runs`` runs
(default 3), each on a fresh copy of the workspace where the step changes it.

All data is SYNTHETIC (sdexl.synthetic and the demo's made-up population).
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sdexl import layout  # noqa: E402
from sdexl.demo import _Job, _write_all, make_plan, write_population  # noqa: E402
from sdexl.generate.workbook import Prefill  # noqa: E402
from sdexl.reference import by_code  # noqa: E402
from sdexl.synthetic import case_answers  # noqa: E402
from sdexl.workspace import init_workspace, open_workspace  # noqa: E402

SURVEY = "sde-2022"
PY = sys.executable
TARGETS = {  # issue 9 ("a faster engine"); the last three are issue 5's, still checked
    "harvest_vs_pandas_openpyxl_speedup_min": 2.0,
    "harvest_vs_pandas_calamine_speedup_min": 1.0,
    "harvest_library_vs_calamine_ratio_max": 5.0,
    "one_new_file_seconds_max": 0.8,
    "scale_peak_memory_mb_max": 300.0,
    "generate_98_seconds_max": 5.0,
    "reharvest_seconds_max": 1.0,
    "help_seconds_max": 0.3,
}

PANDAS_SCRIPT = """
import sys, pandas as pd
from pathlib import Path
files = sorted(Path(sys.argv[1]).rglob("*.xlsx"))
df = pd.concat([pd.read_excel(f, sheet_name="Sager", header={header}) for f in files])
print(len(df))
"""

PANDAS_CALAMINE_SCRIPT = """
import sys, pandas as pd
from pathlib import Path
files = sorted(Path(sys.argv[1]).rglob("*.xlsx"))
df = pd.concat([pd.read_excel(f, sheet_name="Sager", header={header}, engine="calamine") for f in files])
print(len(df))
"""

CALAMINE_SCRIPT = """
import sys
from pathlib import Path
from python_calamine import CalamineWorkbook
n = 0
for f in sorted(Path(sys.argv[1]).rglob("*.xlsx")):
    n += len(CalamineWorkbook.from_path(str(f)).get_sheet_by_name("Sager").to_python())
print(n)
"""

HARVEST_ONLY_SCRIPT = """
import sys
from sdexl.workspace import open_workspace
from sdexl.harvest.run import harvest
result = harvest(open_workspace(sys.argv[1]))
print(len(result.files))
"""

# Part of the floor scripts below: every public xlsxwriter call (cells, formats, tables, validations,
# charts, close) timed, outermost calls only, into inside[0]: what xlsxwriter itself needs for the
# workbooks the script writes, cell calls included, whatever computes their content.
XLSXWRITER_CALLS = """
inside = [0.0]
depth = [0]
def timed(fn):
    def wrapper(*args, **kwargs):
        if depth[0]:
            return fn(*args, **kwargs)
        depth[0] += 1
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            inside[0] += time.perf_counter() - t
            depth[0] -= 1
    return wrapper
def time_public_calls(*classes):
    for cls in classes:
        for name, fn in list(vars(cls).items()):
            if callable(fn) and not name.startswith("_") and not isinstance(fn, (staticmethod, classmethod, type)):
                setattr(cls, name, timed(fn))
"""

FLOOR_SCRIPT = """
import json, sys, time
import xlsxwriter.workbook, xlsxwriter.worksheet
from sdexl.generate import fastsheet
from sdexl.generate.run import generate_all
from sdexl.workspace import open_workspace
spent = []
original = fastsheet.Workbook.close
def timed_close(self):
    t = time.perf_counter()
    try:
        return original(self)
    finally:
        spent.append(time.perf_counter() - t)
fastsheet.Workbook.close = timed_close
""" + XLSXWRITER_CALLS + """
time_public_calls(xlsxwriter.worksheet.Worksheet, xlsxwriter.workbook.Workbook, fastsheet.Workbook,
                  fastsheet.FormulaWorksheet)
t = time.perf_counter()
from sdexl.reference import municipalities
codes = sorted((m.code for m in municipalities()), key=int)[: int(sys.argv[3])]
generate_all(open_workspace(sys.argv[1]), sys.argv[2], codes, workers=1)
print(json.dumps({"serial_seconds": time.perf_counter() - t, "close_seconds": sum(spent), "xlsxwriter_seconds": inside[0],
                  "workbooks": len(spent)}))
"""


BUILD_FLOOR_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import pandas, numpy  # what the analysis needs before it can read a single record
t1 = time.perf_counter()
import xlsxwriter.workbook, xlsxwriter.worksheet
from sdexl.publish.master import build_from_ledger
from sdexl.workspace import open_workspace
""" + XLSXWRITER_CALLS + """
time_public_calls(xlsxwriter.worksheet.Worksheet, xlsxwriter.workbook.Workbook)
t2 = time.perf_counter()
build_from_ledger(open_workspace(sys.argv[1]), sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"pandas_numpy_import_seconds": t1 - t0, "build_seconds": t3 - t2, "xlsxwriter_seconds": inside[0]}))
"""


# --- measuring ------------------------------------------------------------------------------------


WRAPPER = """
import json, os, subprocess, sys, time
report, args = sys.argv[1], sys.argv[2:]
t = time.perf_counter()
proc = subprocess.Popen(args)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - t
with open(report, "w") as fh:
    json.dump({"seconds": wall, "peak_kb": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status)}, fh)
"""


def measure(args: list[str], cwd: Path | None = None, log: Path | None = None) -> dict:
    """Run ``args`` under WRAPPER: wall seconds, peak RSS (MB) of it or its largest child, stdout.

    The wrapper (``python -S``, about 10 MB) starts the command, so the command's ru_maxrss starts from the
    wrapper's size: started from this process it would start from the benchmark's own (Linux keeps the
    high-water mark across fork and exec).
    """
    out = tempfile.TemporaryFile()
    err = open(log, "ab") if log else tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        report = Path(fh.name)
    try:
        subprocess.run([PY, "-S", "-c", WRAPPER, str(report), *args], stdout=out, stderr=err, cwd=cwd, env=env,
                       check=True)
        figures = json.loads(report.read_text(encoding="utf-8"))
    finally:
        report.unlink(missing_ok=True)
        err.close()
    out.seek(0)
    stdout = out.read().decode("utf-8", "replace")
    out.close()
    if figures["exit"] != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed with exit status {figures['exit']}: {stdout[-500:]}")
    return {"seconds": round(figures["seconds"], 3), "peak_mb": round(figures["peak_kb"] / 1024, 1),
            "stdout": stdout.strip()}


def median_of(runs: int, args, prepare=None, log: Path | None = None) -> dict:
    """``measure`` ``runs`` times (``prepare()`` before each, untimed; it may return the args): the medians."""
    results = []
    for _ in range(max(1, runs)):
        made = prepare() if prepare else None
        results.append(measure(made if made is not None else args, log=log))
    return {
        "seconds": round(statistics.median(r["seconds"] for r in results), 3),
        "peak_mb": round(statistics.median(r["peak_mb"] for r in results), 1),
        "runs": [r["seconds"] for r in results],
        "peaks": [r["peak_mb"] for r in results],
        "stdout": results[-1]["stdout"],
    }


def _fig(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "stdout"}


def _one_new_file(harvested: Path, target: Path, number: int = 99999) -> None:
    """A copy of a harvested workspace with one new return in incoming/: a corrected file from the first
    municipality with cases (distinct bytes, so it supersedes their earlier file)."""
    copy_workspace(harvested, target)
    source = next(p for p in sorted((target / "incoming").rglob("*.xlsx")) if _has_cases(p))
    (source.parent / f"{source.stem} rettet.xlsx").write_bytes(Template(source).copy(number))


def sdexl_cmd(*args: str) -> list[str]:
    return [PY, "-m", "sdexl", *args]


def step(name: str, figures: dict, result: dict) -> dict:
    figures[name] = {k: v for k, v in result.items() if k != "stdout"}
    print(f"  {name:<34} {result['seconds']:>8.2f} s {result['peak_mb']:>8.1f} MB", flush=True)
    return result


# --- synthetic returns ----------------------------------------------------------------------------


def make_workspace(root: Path, n_files: int, seed: int) -> tuple[Path, int]:
    """A workspace with sde-2022 generated for all 98 and ``n_files`` synthetic returns in incoming/."""
    ws = init_workspace(root)
    plan = make_plan(seed)
    write_population(ws, plan.population)
    subprocess.run(sdexl_cmd("-w", str(root), "generate", SURVEY, *kommune_args(n_files)), check=True,
                   capture_output=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    return root, write_returns(ws, plan, seed, n_files)


def kommune_args(n_files: int) -> list[str]:
    """``-k`` options for the first ``n_files`` municipalities (none: all 98)."""
    if n_files >= 98:
        return []
    return [arg for code in sorted(by_code(), key=int)[:n_files] for arg in ("-k", code)]


def write_returns(ws, plan, seed: int, n_files: int) -> int:
    issued = _issued_2022(ws)
    survey = ws.survey(SURVEY)
    codes = sorted(by_code(), key=int)[:n_files]
    jobs = []
    for code in codes:
        kommune = by_code()[code]
        rng = random.Random(f"{seed}-bench-{code}")
        n = max(plan.cases_2022[code], 0)
        rows = [case_answers(survey, rng, i + 1) for i in range(n)]
        jobs.append(_Job(ws.incoming / SURVEY / f"{kommune.file_stem}.xlsx", SURVEY, kommune, issued[code],
                         Prefill(rows=rows, zero_cases=not rows)))
    for _ in _write_all(ws, {SURVEY: survey}, jobs, None):
        pass
    return sum(len(j.prefill.rows) for j in jobs)


def _issued_2022(ws) -> dict:
    from sdexl import ledger
    from sdexl.generate.metadata import Metadata

    with ledger.opened(ws.ledger_path) as conn:
        return {
            i.kommunekode: Metadata(i.survey_id, i.survey_version, i.kommunekode, by_code()[i.kommunekode].name,
                                    i.token, i.tool_version, i.generated_at)
            for i in ledger.issued_for(conn, SURVEY)
        }


# --- many distinct files, fast: patch one string in a stored member, fix the CRCs ---------------

PLACEHOLDER = b"S-0001"  # the first case's Sag nr.; each copy gets "B" + 5 digits instead


class Template:
    """A returned workbook rewritten with xl/sharedStrings.xml stored, so one string can be patched in place."""

    def __init__(self, path: Path):
        buffer = io.BytesIO()
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                data = src.read(item.filename)
                stored = item.filename == "xl/sharedStrings.xml"
                dst.writestr(item.filename, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        self.data = bytearray(buffer.getvalue())
        with zipfile.ZipFile(io.BytesIO(bytes(self.data))) as zf:
            info = zf.getinfo("xl/sharedStrings.xml")
        name_len, extra_len = struct.unpack("<HH", self.data[info.header_offset + 26 : info.header_offset + 30])
        self.member_start = info.header_offset + 30 + name_len + extra_len
        self.member_end = self.member_start + info.compress_size
        self.local_crc = info.header_offset + 14
        self.central_crc = self._central_crc_offset(b"xl/sharedStrings.xml")
        self.at = bytes(self.data).index(PLACEHOLDER, self.member_start, self.member_end)

    def _central_crc_offset(self, name: bytes) -> int:
        eocd = bytes(self.data).rindex(b"PK\x05\x06")
        count, _, offset = struct.unpack("<HII", self.data[eocd + 10 : eocd + 20])
        pos = offset
        for _ in range(count):
            n, m, k = struct.unpack("<HHH", self.data[pos + 28 : pos + 34])
            if bytes(self.data[pos + 46 : pos + 46 + n]) == name:
                return pos + 16
            pos += 46 + n + m + k
        raise ValueError("member not in the central directory")

    def copy(self, number: int) -> bytes:
        self.data[self.at : self.at + len(PLACEHOLDER)] = f"B{number:05d}".encode()
        crc = struct.pack("<I", zlib.crc32(self.data[self.member_start : self.member_end]))
        self.data[self.local_crc : self.local_crc + 4] = crc
        self.data[self.central_crc : self.central_crc + 4] = crc
        return bytes(self.data)


def make_scale_files(source_incoming: Path, target: Path, n: int) -> None:
    """``n`` distinct returns (unique bytes), cycling through the municipalities' returns."""
    templates = [Template(p) for p in sorted(source_incoming.rglob("*.xlsx")) if _has_cases(p)]
    target.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        template = templates[i % len(templates)]
        (target / f"{i:05d}.xlsx").write_bytes(template.copy(i))


def _has_cases(path: Path) -> bool:
    with zipfile.ZipFile(path) as zf:
        return PLACEHOLDER in zf.read("xl/sharedStrings.xml")


# --- the run ---------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(line.split()[1]) // 1024 for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal")), None)
    versions = {}
    for name in ("sdexl", "xlsxwriter", "python-calamine", "openpyxl", "pandas", "pydantic", "click", "rich"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_mb": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
        "load_average_at_start": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def copy_workspace(base: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target, symlinks=True)
    return target


def profile_harvest(ws_root: Path, top: int = 15) -> str:
    """cProfile of the library harvest in one process (isolation off, so the parse is seen too)."""
    from sdexl.harvest.run import Options, harvest, rebuild_outputs

    ws = open_workspace(ws_root)
    profiler = cProfile.Profile()
    profiler.enable()
    result = harvest(ws, options=Options(isolate=False))
    rebuild_outputs(ws, result.touched)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    return "\n".join(lines[-(top + 1):])


def run(args: argparse.Namespace) -> dict:
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="sdexl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    figures: dict = {}
    results = {"machine": machine(), "files": args.files, "figures": figures, "targets": TARGETS, "scale": []}
    print(f"sdexl benchmark (SYNTHETIC data) in {work}", flush=True)

    base = work / "base"
    shutil.rmtree(base, ignore_errors=True)
    _, cases = make_workspace(base, args.files, args.seed)
    results["cases"] = cases
    incoming = base / "incoming"
    print(f"  {args.files} synthetic returns, {cases} cases", flush=True)

    runs = args.runs
    results["runs_per_figure"] = runs

    # start-up
    figures["help"] = _fig(median_of(args.help_runs, sdexl_cmd("--help")))
    print(f"  {'sdexl --help (median)':<34} {figures['help']['seconds']:>8.2f} s", flush=True)
    figures["python_startup"] = _fig(median_of(runs, [PY, "-c", "pass"]))

    # generation of all 98 workbooks
    def fresh_generation() -> None:
        gen = copy_workspace(base, work / "gen")
        shutil.rmtree(gen / ".sdexl", ignore_errors=True)
        shutil.rmtree(gen / "outgoing", ignore_errors=True)

    gen_cmd = sdexl_cmd("-w", str(work / "gen"), "generate", SURVEY, *kommune_args(args.files))
    step("generate_98", figures, median_of(runs, gen_cmd, fresh_generation, log=log))
    shutil.rmtree(work / "gen", ignore_errors=True)
    details = []
    for _ in range(runs):
        floor_ws = copy_workspace(base, work / "floor")
        shutil.rmtree(floor_ws / "outgoing", ignore_errors=True)
        shutil.rmtree(floor_ws / ".sdexl", ignore_errors=True)
        floor = measure([PY, "-c", FLOOR_SCRIPT, str(floor_ws), SURVEY, str(args.files)], log=log)
        details.append(json.loads(floor["stdout"].splitlines()[-1]))
    shutil.rmtree(work / "floor", ignore_errors=True)
    workers = min(os.cpu_count() or 1, args.files)
    close = statistics.median(d["close_seconds"] for d in details)
    inside = statistics.median(d["xlsxwriter_seconds"] for d in details)
    figures["generate_xlsxwriter_floor"] = {
        "seconds": round(close / workers, 3),
        "close_seconds_serial": round(close, 3),
        "generate_seconds_serial": round(statistics.median(d["serial_seconds"] for d in details), 3),
        "workers": workers,
        "workbooks": details[-1]["workbooks"],
    }
    figures["generate_xlsxwriter_floor_with_cells"] = {
        "seconds": round(inside / workers, 3),
        "xlsxwriter_seconds_serial": round(inside, 3),
        "workers": workers,
    }
    for key, label in (("generate_xlsxwriter_floor", "xlsxwriter floor (close, /workers)"),
                       ("generate_xlsxwriter_floor_with_cells", "xlsxwriter floor (all calls, /workers)")):
        print(f"  {label:<34} {figures[key]['seconds']:>8.2f} s", flush=True)

    # harvest against the alternatives, on the same files
    first = work / "harvest"
    step("harvest", figures, median_of(runs, sdexl_cmd("-w", str(first), "harvest"),
                                       lambda: copy_workspace(base, first) and None, log=log))
    harvested = copy_workspace(first, work / "harvested")  # kept: the one-new-file runs start from it
    step("reharvest_nothing_new", figures, median_of(runs, sdexl_cmd("-w", str(first), "harvest"), log=log))
    one = work / "one_new"
    step("harvest_one_new_file", figures,
         median_of(runs, sdexl_cmd("-w", str(one), "harvest"), lambda: _one_new_file(harvested, one), log=log))
    only = work / "harvest_only"
    step("harvest_library_no_outputs", figures, median_of(runs, [PY, "-c", HARVEST_ONLY_SCRIPT, str(only)],
                                                          lambda: copy_workspace(base, only) and None, log=log))
    step("build_outputs", figures, median_of(runs, sdexl_cmd("-w", str(only), "build", "--force", SURVEY), log=log))
    build_floor = [json.loads(measure([PY, "-c", BUILD_FLOOR_SCRIPT, str(only), SURVEY], log=log)["stdout"].splitlines()[-1])
                   for _ in range(runs)]
    figures["build_floor"] = {
        "seconds": round(statistics.median(d["xlsxwriter_seconds"] for d in build_floor), 3),
        "pandas_numpy_import_seconds": round(statistics.median(d["pandas_numpy_import_seconds"] for d in build_floor), 3),
        "build_seconds_in_process": round(statistics.median(d["build_seconds"] for d in build_floor), 3),
    }
    print(f"  {'master: xlsxwriter calls alone':<34} {figures['build_floor']['seconds']:>8.2f} s "
          f"(pandas+numpy import {figures['build_floor']['pandas_numpy_import_seconds']:.2f} s)", flush=True)
    step("pandas_read_excel", figures,
         median_of(runs, [PY, "-c", PANDAS_SCRIPT.format(header=layout.ID_ROW), str(incoming)], log=log))
    step("pandas_read_excel_calamine", figures,
         median_of(runs, [PY, "-c", PANDAS_CALAMINE_SCRIPT.format(header=layout.ID_ROW), str(incoming)], log=log))
    step("calamine_floor", figures, median_of(runs, [PY, "-c", CALAMINE_SCRIPT, str(incoming)], log=log))
    for folder in (first, harvested, one, only):
        shutil.rmtree(folder, ignore_errors=True)

    if args.profile:
        prof = copy_workspace(base, work / "profile")
        results["profile_top"] = profile_harvest(prof)
        shutil.rmtree(prof, ignore_errors=True)

    # scale: one run each (a 10,000-file harvest takes minutes)
    for n in args.scale:
        ws = copy_workspace(base, work / f"scale_{n}")
        shutil.rmtree(ws / "incoming")
        t = time.perf_counter()
        make_scale_files(incoming, ws / "incoming" / SURVEY, n)
        made = time.perf_counter() - t
        print(f"  scale: {n} distinct files made in {made:.1f} s", flush=True)
        res = measure(sdexl_cmd("-w", str(ws), "harvest"), log=log)
        entry = {"files": n, "seconds": res["seconds"], "peak_mb": res["peak_mb"],
                 "per_file_ms": round(1000 * res["seconds"] / n, 1), "make_files_seconds": round(made, 1)}
        results["scale"].append(entry)
        print(f"  {'harvest ' + str(n) + ' files':<34} {res['seconds']:>8.2f} s {res['peak_mb']:>8.1f} MB", flush=True)
        shutil.rmtree(ws, ignore_errors=True)

    results["machine"]["load_average_at_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    results["ratios"] = ratios(results)
    results["verdicts"] = verdicts(results)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


def ratios(results: dict) -> dict:
    f = results["figures"]
    harvest, lib = f["harvest"]["seconds"], f["harvest_library_no_outputs"]["seconds"]
    startup = f["help"]["seconds"]
    calamine = f["calamine_floor"]["seconds"]
    return {
        "pandas_openpyxl_over_harvest": round(f["pandas_read_excel"]["seconds"] / harvest, 2),
        "pandas_calamine_over_harvest": round(f["pandas_read_excel_calamine"]["seconds"] / harvest, 2),
        "pandas_openpyxl_over_harvest_library": round(f["pandas_read_excel"]["seconds"] / lib, 2),
        "harvest_over_calamine": round(harvest / calamine, 2),
        "harvest_library_over_calamine": round(lib / calamine, 2),
        "harvest_library_minus_startup_over_calamine": round(max(lib - startup, 0) / calamine, 2),
        "build_share_of_harvest": round(f["build_outputs"]["seconds"] / harvest, 2),
        "generate_over_xlsxwriter_floor": round(f["generate_98"]["seconds"] / f["generate_xlsxwriter_floor"]["seconds"], 2),
        "generate_over_xlsxwriter_floor_with_cells":
            round(f["generate_98"]["seconds"] / f["generate_xlsxwriter_floor_with_cells"]["seconds"], 2),
    }


def verdicts(results: dict) -> dict:
    f, r, t = results["figures"], results["ratios"], TARGETS
    out = {
        "end_to_end_2x_faster_than_pandas_openpyxl":
            r["pandas_openpyxl_over_harvest"] >= t["harvest_vs_pandas_openpyxl_speedup_min"],
        "end_to_end_1x_pandas_calamine":
            r["pandas_calamine_over_harvest"] >= t["harvest_vs_pandas_calamine_speedup_min"],
        "harvest_library_within_5x_calamine": r["harvest_library_over_calamine"] <= t["harvest_library_vs_calamine_ratio_max"],
        "one_new_file_within_0_8s": f["harvest_one_new_file"]["seconds"] <= t["one_new_file_seconds_max"],
    }
    if results["scale"]:
        out["scale_peak_memory_within_300mb"] = max(s["peak_mb"] for s in results["scale"]) <= t["scale_peak_memory_mb_max"]
    if len(results["scale"]) >= 2:
        a, b = results["scale"][0], results["scale"][-1]
        out["scale_linear_growth"] = b["per_file_ms"] <= 1.5 * a["per_file_ms"]
    out["generate_98_within_5s"] = f["generate_98"]["seconds"] <= t["generate_98_seconds_max"]
    out["reharvest_within_1s"] = f["reharvest_nothing_new"]["seconds"] <= t["reharvest_seconds_max"]
    out["help_within_0_3s"] = f["help"]["seconds"] <= t["help_seconds_max"]
    return out


# --- reporting -------------------------------------------------------------------------------------


def write_results(results: dict, out_dir: Path) -> tuple[Path, Path]:
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(results), encoding="utf-8")
    return json_path, md_path


def _loads(values) -> str:
    return ", ".join(f"{v:.2f}" for v in values) if values else "unknown"


def markdown(results: dict) -> str:
    m, f, r, v = results["machine"], results["figures"], results["ratios"], results["verdicts"]
    ok = {True: "met", False: "MISSED"}
    lines = [
        "# sdexl benchmark results (SYNTHETIC data)",
        "",
        f"Run {m['date']} with `python bench/run.py` ({results['files']} synthetic returns of sde-2022, "
        f"{results['cases']} cases). Each figure is the median of {results.get('runs_per_figure', 1)} runs "
        "(scale runs: one each). How each figure is measured: bench/README.md.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_mb']} MB RAM, {m['os']}, Python {m['python']}; "
        + ", ".join(f"{k} {val}" for k, val in m["libraries"].items())
        + f". Load average (1, 5, 15 min) at start: {_loads(m.get('load_average_at_start'))}; "
        f"at end: {_loads(m.get('load_average_at_end'))}.",
        "",
        "| Step | Seconds (median) | Runs | Peak MB |",
        "|---|---:|---|---:|",
    ]
    names = {
        "help": "`sdexl --help` (median)",
        "python_startup": "bare `python -c pass`",
        "generate_98": "`sdexl generate` (98 workbooks)",
        "generate_xlsxwriter_floor": "xlsxwriter floor for the same 98 workbooks (close only, /workers)",
        "generate_xlsxwriter_floor_with_cells": "xlsxwriter floor incl. the cell calls (/workers)",
        "harvest": "`sdexl harvest` end to end (with master build)",
        "reharvest_nothing_new": "`sdexl harvest` again, nothing new",
        "harvest_one_new_file": "`sdexl harvest`, one new file into the harvested workspace",
        "harvest_library_no_outputs": "harvest only (library, no master build)",
        "build_outputs": "`sdexl build` (master.xlsx, data.csv, parquet)",
        "build_floor": "xlsxwriter calls alone for the same master (in the build)",
        "pandas_read_excel": "pandas `read_excel` script (openpyxl)",
        "pandas_read_excel_calamine": "pandas `read_excel(engine=\"calamine\")` script",
        "calamine_floor": "python-calamine parse (floor)",
    }
    for key, label in names.items():
        if key in f:
            peak = f[key].get("peak_mb", "")
            runs = ", ".join(f"{x:.2f}" for x in f[key].get("runs", []))
            lines.append(f"| {label} | {f[key]['seconds']:.2f} | {runs} | {peak} |")
    lines += ["", "Ratios:", ""]
    lines += [f"- {k}: {val}" for k, val in r.items()]
    if results["scale"]:
        lines += ["", "Scale (`sdexl harvest` on N distinct files, incl. master build):", "",
                  "| Files | Seconds | ms per file | Peak MB |", "|---:|---:|---:|---:|"]
        lines += [f"| {s['files']} | {s['seconds']:.1f} | {s['per_file_ms']} | {s['peak_mb']} |" for s in results["scale"]]
    lines += ["", "Targets:", ""]
    lines += [f"- {k}: **{ok[val]}**" for k, val in v.items()]
    if results.get("analysis"):
        lines += ["", "## Where targets are missed, by how much and why", "", results["analysis"]]
    if results.get("profile_top"):
        lines += ["", "## cProfile of one harvest + build (in one process, isolation off)", "", "```",
                  results["profile_top"], "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=98, help="returns to harvest (1-98; default 98)")
    parser.add_argument("--quick", action="store_true", help="scale run at 200 and 1,000 files instead of 1,000 and 10,000")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale run")
    parser.add_argument("--scale", type=int, nargs="+", dest="scale_sizes", help="file counts for the scale run")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="skip the cProfile run")
    parser.add_argument("--out", default=str(REPO / "bench"), help="where results.json and results.md go")
    parser.add_argument("--workdir", help="scratch folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--help-runs", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is reported (default 3)")
    parser.add_argument("--analysis", help="a text file with the explanation of missed targets, put in results.md")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite results.md from results.json in --out (with --analysis)")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads((Path(args.out) / "results.json").read_text(encoding="utf-8"))
        if args.analysis:
            results["analysis"] = Path(args.analysis).read_text(encoding="utf-8").strip()
        print("Wrote", *write_results(results, Path(args.out)))
        return 0
    args.files = max(1, min(98, args.files))
    args.scale = [] if args.no_scale else (args.scale_sizes or ([200, 1000] if args.quick else [1000, 10000]))
    results = run(args)
    if args.analysis:
        results["analysis"] = Path(args.analysis).read_text(encoding="utf-8").strip()
    json_path, md_path = write_results(results, Path(args.out))
    print("Ratios: " + ", ".join(f"{k} {v}" for k, v in results["ratios"].items()))
    print("Targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in results["verdicts"].items()))
    print(f"Wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
