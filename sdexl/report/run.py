"""``sdexl report SURVEY``: one report per participating municipality with accepted data.

Writes ``output/SURVEY/rapporter/<kode>_<Kommune>.xlsx`` and, with
LibreOffice, the same as PDF. A municipality whose current file must still be
corrected gets no report (its figures would lack the answers with errors);
it gets one once the corrected file is harvested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sdexl.publish.context import MasterInput
from sdexl.reference import by_code
from sdexl.reference.comparable import groups as comparable_groups
from sdexl.reference.population import read_population
from sdexl.reference.socio import read_socio
from sdexl.report.figures import Shared, report_figures
from sdexl.report.pdf import find_soffice, to_pdf
from sdexl.report.quality import own_quality
from sdexl.report.workbook import write_report

FOLDER = "rapporter"
ACCEPTED = ("accepted", "accepted_with_warnings")


@dataclass
class ReportRun:
    survey_id: str
    folder: Path
    workbooks: list[Path] = field(default_factory=list)
    pdfs: list[Path] = field(default_factory=list)
    not_accepted: list[str] = field(default_factory=list)  # codes whose current file must be corrected
    not_participating: list[str] = field(default_factory=list)  # asked for with -k, but no usable answer
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Wrote {len(self.workbooks)} reports for {self.survey_id} in {self.folder}."]
        if self.pdfs:
            out.append(f"PDF copies: {len(self.pdfs)} (LibreOffice).")
        if self.not_accepted:
            names = ", ".join(f"{c} {by_code()[c].name}" for c in self.not_accepted)
            out.append(f"No report yet (the file must be corrected first): {names}.")
        if self.not_participating:
            names = ", ".join(f"{c} {by_code()[c].name}" for c in self.not_participating)
            out.append(f"No report (no usable answer in {self.survey_id}): {names}.")
        out += [f"Note: {n}" for n in self.notes]
        return out


def load_context(ws, survey_id: str) -> MasterInput:
    from sdexl.harvest import store

    ws.survey(survey_id)
    snapshots = {sid: s for sid, s in store.load_all_snapshots(ws).items() if s.participants}
    if survey_id not in snapshots:
        raise LookupError(f"No usable answers for {survey_id} yet. Run 'sdexl harvest' (or 'sdexl import') first.")
    return MasterInput(
        snapshots[survey_id],
        snapshots,
        read_population(ws.reference),
        read_socio(ws.reference),
        threshold=ws.config.small_cell_threshold,
    )


def accepted_codes(ctx: MasterInput) -> list[str]:
    """Participants whose current file was accepted (with or without notes)."""
    subs = ctx.snapshot.submissions
    current = subs[(~subs["superseded"].astype(bool)) & subs["verdict"].isin(ACCEPTED)] if len(subs) else subs
    ok = {str(c) for c in current["kommunekode"]} if len(current) else set()
    return [c for c in ctx.participants if c in ok]


def build_reports(ws, survey_id: str, codes: list[str] | None = None, pdf: bool = True,
                  soffice: str | None = None) -> ReportRun:
    ctx = load_context(ws, survey_id)
    folder = ws.output_dir(survey_id) / FOLDER
    run = ReportRun(survey_id, folder)
    accepted = accepted_codes(ctx)
    wanted = codes or list(ctx.participants)
    run.not_participating = [c for c in wanted if c not in ctx.participants]
    run.not_accepted = [c for c in wanted if c in ctx.participants and c not in accepted]
    comparable = comparable_groups(ws.reference)
    synthetic = bool(getattr(ws.config, "synthetic", False))
    shared = Shared(ctx)
    for code in [c for c in wanted if c in accepted]:
        figures = report_figures(ctx, code, comparable, shared)
        quality = own_quality(ws.ledger_path, survey_id, code)
        path = folder / f"{by_code()[code].file_stem}.xlsx"
        run.workbooks.append(write_report(path, figures, ctx, quality, synthetic=synthetic))
    if pdf:
        soffice = soffice or find_soffice()
        if soffice is None:
            run.notes.append("LibreOffice (soffice) is not installed: the reports are xlsx only, without PDF copies.")
        else:
            run.pdfs, notes = to_pdf(run.workbooks, soffice)
            run.notes += notes
    return run
