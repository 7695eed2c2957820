"""PDF copies of the reports, printed by LibreOffice headless when it is installed.

Several workbooks are converted in one LibreOffice start (a start costs
seconds), each batch with a private profile, so a running LibreOffice of the
user's is never disturbed and parallel runs never share a locked profile.
Without ``soffice`` on PATH the xlsx reports stand alone and the caller says so.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BATCH = 12
# LibreOffice formats numbers by its locale. The private profile is given the Danish one, so the PDF reads
# 1.581 and 0,52 as the municipality expects (the xlsx itself is locale-neutral). Set in the profile, not
# the environment: a locale the system lacks would turn the file names' æøå into question marks.
DANISH_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>da-DK</value>\
</prop></item>
</oor:items>
"""
TIMEOUT = 600  # seconds per batch


def find_soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(workbooks: list[Path], soffice: str | None = None) -> tuple[list[Path], list[str]]:
    """PDFs written beside the workbooks; and notes on any that failed. Empty when there is no soffice."""
    soffice = soffice or find_soffice()
    if soffice is None or not workbooks:
        return [], []
    written: list[Path] = []
    notes: list[str] = []
    for start in range(0, len(workbooks), BATCH):
        batch = workbooks[start : start + BATCH]
        by_folder: dict[Path, list[Path]] = {}
        for path in batch:
            by_folder.setdefault(path.parent, []).append(path)
        for folder, paths in by_folder.items():
            with tempfile.TemporaryDirectory(prefix="sdexl_lo_") as profile:
                (Path(profile) / "user").mkdir()
                (Path(profile) / "user" / "registrymodifications.xcu").write_text(DANISH_PROFILE, encoding="utf-8")
                try:
                    subprocess.run(
                        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                         "--convert-to", "pdf:calc_pdf_Export", "--outdir", str(folder), *map(str, paths)],
                        capture_output=True, text=True, timeout=TIMEOUT, check=False,
                    )
                except subprocess.TimeoutExpired:
                    notes.append(f"LibreOffice did not finish within {TIMEOUT} s; some PDFs are missing.")
            for path in paths:
                pdf = path.with_suffix(".pdf")
                if pdf.exists() and pdf.stat().st_mtime >= path.stat().st_mtime:
                    written.append(pdf)
                else:
                    notes.append(f"No PDF for {path.name}: LibreOffice could not print it.")
    return written, notes
