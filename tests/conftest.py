"""Shared fixtures: a fresh workspace, and LibreOffice headless as the real client."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from sdexl.workspace import Workspace, init_workspace

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    """The soffice binary; skipped when absent, except in CI where that is a failure."""
    path = soffice_path()
    if path is None:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) is required in CI: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    return path


def convert(soffice: str, source: Path, target_format: str, outdir: Path, timeout: int = 180) -> Path:
    """Open ``source`` in LibreOffice headless and save it as ``target_format`` (xlsx, xls, ods, pdf).

    A private profile per call: parallel or repeated runs never share a locked
    profile, and the user's own LibreOffice settings never leak into a test.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"sdexl_lo_{uuid.uuid4().hex}"
    filters = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods", "pdf": "pdf:calc_pdf_Export"}
    try:
        done = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--convert-to", filters[target_format], "--outdir", str(outdir), str(source)],
            capture_output=True, text=True, timeout=timeout,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    result = outdir / f"{source.stem}.{target_format}"
    if done.returncode != 0 or not result.exists():
        raise AssertionError(f"LibreOffice could not convert {source.name}: {done.stdout} {done.stderr}")
    return result


@pytest.fixture
def lo_convert(soffice):
    def _convert(source: Path, target_format: str, outdir: Path) -> Path:
        return convert(soffice, source, target_format, outdir)

    return _convert
