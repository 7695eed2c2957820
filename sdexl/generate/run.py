"""``sdexl generate``: one workbook per municipality, each recorded in the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sdexl import __version__, ledger
from sdexl.generate.metadata import Metadata
from sdexl.generate.workbook import write_workbook
from sdexl.progress import progress_bar
from sdexl.reference import Municipality, by_code, municipalities, normalise_code
from sdexl.survey.load import version_hash
from sdexl.workspace import Workspace


@dataclass
class GenerateResult:
    survey_id: str
    files: list[Path] = field(default_factory=list)


def select_municipalities(codes: list[str] | None) -> list[Municipality]:
    if not codes:
        return list(municipalities())
    chosen = []
    for raw in codes:
        code = normalise_code(raw)
        if code is None:
            raise ValueError(f"'{raw}' is not a kommunekode of one of the 98 municipalities (e.g. 101 for København).")
        chosen.append(by_code()[code])
    return chosen


def new_metadata(survey_id: str, survey_version: str, kommune: Municipality) -> Metadata:
    return Metadata(
        survey_id=survey_id,
        survey_version=survey_version,
        kommunekode=kommune.code,
        kommune=kommune.name,
        token=secrets.token_hex(8),
        tool_version=__version__,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )


def generate_all(ws: Workspace, survey_id: str, kommuner: list[str] | None = None, progress: bool = False,
                 workers: int | None = None) -> GenerateResult:
    """Write the workbooks (in parallel processes) and record each in the ledger."""
    survey = ws.survey(survey_id)
    version = version_hash(survey)
    chosen = select_municipalities(kommuner)
    out_dir = ws.outgoing_dir(survey_id)
    jobs = [(out_dir / f"{k.file_stem}.xlsx", survey, k, new_metadata(survey_id, version, k), ws.config) for k in chosen]
    result = GenerateResult(survey_id)
    with ledger.opened(ws.ledger_path) as conn, progress_bar(len(jobs), f"Generating {survey_id}", enabled=progress) as advance:
        for path, meta in _run_jobs(jobs, workers):
            ledger.record_issued(conn, ledger.Issued(
                token=meta.token, survey_id=survey_id, survey_version=version, kommunekode=meta.kommunekode,
                file=str(path.relative_to(ws.root)), sha256=sha256_file(path), tool_version=meta.tool_version,
                generated_at=meta.generated_at,
            ))
            result.files.append(path)
            advance(meta.kommune)
    return result


def _write_one(job) -> tuple[Path, Metadata]:
    path, survey, kommune, meta, config = job
    return write_workbook(path, survey, kommune, meta, config), meta


def _run_jobs(jobs: list, workers: int | None):
    """Yield (path, metadata) as workbooks are written; processes when it pays off."""
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 4:
        yield from map(_write_one, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_write_one, jobs, chunksize=4)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
