"""The benchmark script runs and writes its results with the machine's description.

Tiny mode only (3 files, no scale run, no profile): no timing is asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STEPS = {
    "help",
    "python_startup",
    "generate_98",
    "generate_xlsxwriter_floor",
    "generate_xlsxwriter_floor_with_cells",
    "harvest",
    "reharvest_nothing_new",
    "harvest_one_new_file",
    "harvest_library_no_outputs",
    "build_outputs",
    "pandas_read_excel",
    "pandas_read_excel_calamine",
    "calamine_floor",
}


def test_bench_tiny_run_writes_results(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--files", "3", "--no-scale", "--no-profile",
         "--help-runs", "2", "--runs", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert set(results) >= {"machine", "files", "cases", "figures", "targets", "ratios", "verdicts", "scale"}
    assert set(results["figures"]) >= STEPS
    for name in STEPS:
        assert results["figures"][name]["seconds"] > 0
        assert "peak_mb" in results["figures"][name] or name.startswith("generate_xlsxwriter_floor")
    machine = results["machine"]
    assert {"cpu", "cores", "ram_mb", "python", "libraries"} <= set(machine)
    assert {"xlsxwriter", "python-calamine", "openpyxl", "pandas"} <= set(machine["libraries"])
    assert results["files"] == 3 and results["cases"] > 0
    assert {"pandas_openpyxl_over_harvest", "pandas_calamine_over_harvest", "harvest_library_over_calamine",
            "harvest_over_calamine", "generate_over_xlsxwriter_floor"} <= set(results["ratios"])
    assert "one_new_file_within_0_8s" in results["verdicts"]
    # Peak memory is the command's own: a bare parse script is far below the benchmark process's size.
    assert results["figures"]["calamine_floor"]["peak_mb"] < results["figures"]["pandas_read_excel"]["peak_mb"]
    text = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text and "Targets" in text
    assert "Ratios" in done.stdout


def test_scale_copies_are_distinct_and_readable(tmp_path):
    """The scale run's files differ byte for byte and are valid zip files."""
    import hashlib
    import zipfile

    import xlsxwriter

    sys.path.insert(0, str(REPO / "bench"))
    try:
        import run as bench
    finally:
        sys.path.remove(str(REPO / "bench"))
    source = tmp_path / "src" / "a.xlsx"
    source.parent.mkdir()
    wb = xlsxwriter.Workbook(str(source))
    wb.add_worksheet("Sager").write_string(0, 0, "S-0001")
    wb.close()
    bench.make_scale_files(source.parent, tmp_path / "out", 5)
    files = sorted((tmp_path / "out").glob("*.xlsx"))
    assert len({hashlib.sha256(f.read_bytes()).hexdigest() for f in files}) == 5
    for n, f in enumerate(files):
        with zipfile.ZipFile(f) as zf:
            assert zf.testzip() is None
            assert f"B{n:05d}".encode() in zf.read("xl/sharedStrings.xml")
