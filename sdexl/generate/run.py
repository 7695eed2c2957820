"""``sdexl generate``: one workbook per municipality, each recorded in the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
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
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
    )


def generate_all(ws: Workspace, survey_id: str, kommuner: list[str] | None = None, progress: bool = False) -> GenerateResult:
    survey = ws.survey(survey_id)
    version = version_hash(survey)
    chosen = select_municipalities(kommuner)
    out_dir = ws.outgoing_dir(survey_id)
    result = GenerateResult(survey_id)
    with ledger.opened(ws.ledger_path) as conn, progress_bar(len(chosen), f"Genererer {survey_id}", enabled=progress) as advance:
        for kommune in chosen:
            meta = new_metadata(survey_id, version, kommune)
            path = write_workbook(out_dir / f"{kommune.file_stem}.xlsx", survey, kommune, meta, ws.config)
            ledger.record_issued(conn, ledger.Issued(
                token=meta.token, survey_id=survey_id, survey_version=version, kommunekode=kommune.code,
                file=str(path.relative_to(ws.root)), sha256=sha256_file(path), tool_version=meta.tool_version,
                generated_at=meta.generated_at,
            ))
            result.files.append(path)
            advance(kommune.name)
    return result


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
