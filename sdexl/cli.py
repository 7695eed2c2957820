"""The ``sdexl`` command line: parses arguments, calls the library, prints.

Heavy modules (pandas, xlsxwriter, openpyxl) are imported inside the commands
so that ``sdexl --help`` starts fast. Library exceptions become one clear
sentence here; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from sdexl import __version__


class Context:
    def __init__(self, workspace: str | None, debug: bool):
        self.workspace_arg = workspace
        self.debug = debug

    def workspace(self):
        from sdexl.workspace import open_workspace

        return open_workspace(self.workspace_arg)


pass_ctx = click.make_pass_decorator(Context)


class FriendlyGroup(click.Group):
    """Turns expected failures into one sentence and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `sdexl status ... | head`: the reader is gone, so stop quietly
            _quiet_stdout()
            sys.exit(141)  # 128 + SIGPIPE, as a program killed by the signal
        except Exception as exc:  # noqa: BLE001 - the boundary of the program
            if ctx.obj is not None and getattr(ctx.obj, "debug", False):
                raise
            click.echo(f"Error: {exc}", err=True)
            click.echo("Run again with --debug for the full traceback.", err=True)
            sys.exit(1)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests capture stdout)
        pass


@click.group(cls=FriendlyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-w",
    "--workspace",
    type=click.Path(file_okay=False),
    envvar="SDEXL_WORKSPACE",
    help="Workspace folder (default: the current folder, or $SDEXL_WORKSPACE).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(__version__, prog_name="sdexl")
@click.pass_context
def main(ctx, workspace, debug):
    """sdexl: run a spreadsheet data collection among the 98 Danish municipalities.

    \b
    A round, step by step:
      sdexl init runde-2024          # a workspace with the built-in surveys
      sdexl -w runde-2024 generate sde-2024
      (mail outgoing/sde-2024/*.xlsx; save the replies in incoming/)
      sdexl -w runde-2024 harvest
      sdexl -w runde-2024 status sde-2024
    """
    ctx.obj = Context(workspace, debug)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
def init(directory):
    """Create a workspace in DIRECTORY with the built-in survey definitions.

    \b
    Example:
      sdexl init ~/sde/runde-2024
    """
    from sdexl.workspace import init_workspace

    ws = init_workspace(directory)
    click.echo(f"Workspace ready in {ws.root}")
    click.echo(f"Edit {ws.root / 'sdexl.yaml'} (deadlines, contact person), then run: sdexl -w {ws.root} generate SURVEY")


@main.group()
def template():
    """Check survey definitions and export their JSON Schema."""


@template.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def template_check(files):
    """Report every problem in the survey definitions FILES.

    \b
    Example:
      sdexl template check templates/sde-2024.yaml
    """
    from sdexl.survey.check import check_file

    failed = False
    for name in files:
        problems = check_file(Path(name))
        errors = [p for p in problems if p.severity == "error"]
        failed |= bool(errors)
        if not problems:
            click.echo(f"{name}: OK")
        for problem in problems:
            click.echo(f"{name}: {problem}")
    if failed:
        sys.exit(1)


@template.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of standard output.")
def template_schema(output):
    """Print the JSON Schema of the survey definition format (for editors).

    \b
    Example:
      sdexl template schema -o survey.schema.json
    """
    from sdexl.survey.schema import schema_json

    text = schema_json()
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


@main.command()
@click.argument("survey")
@click.option("-k", "--kommune", "kommuner", multiple=True, help="Kommunekode to generate for (repeatable; default all 98).")
@pass_ctx
def generate(ctx, survey, kommuner):
    """Write one workbook per municipality to outgoing/SURVEY/.

    \b
    Example:
      sdexl generate sde-2024
      sdexl generate sde-2022 -k 101 -k 147
    """
    from sdexl.generate.run import generate_all

    ws = ctx.workspace()
    result = generate_all(ws, survey, list(kommuner) or None, progress=True)
    click.echo(f"Wrote {len(result.files)} workbooks to {ws.outgoing_dir(survey)}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file instead of text.")
@click.option("--strict", is_flag=True, help="Exit with status 2 when any file is rejected or needs correction.")
@pass_ctx
def harvest(ctx, as_json, strict):
    """Read every returned file in incoming/ and record the answers.

    Files are found in any sub-folder and told apart by content, not name.
    Each file gets a verdict: accepted, accepted_with_warnings,
    needs_correction (feedback workbook written to output/), rejected (the
    message says why and what the municipality should do), duplicate,
    superseded (a later file from the same municipality replaced it) or
    ignored (Excel lock and temp files). Files already harvested are not read
    again, and incoming/ is never changed: originals are archived in .sdexl/.
    Afterwards the outputs of each survey that got new answers are rebuilt.

    Exit status 0 when the harvest ran, whatever the verdicts; 1 when it could
    not run; with --strict, 2 when a file was rejected or needs correction.

    \b
    Examples:
      sdexl harvest
      sdexl harvest --json > harvest.json
      sdexl harvest --strict
    """
    import json

    from sdexl.harvest.intake import discover
    from sdexl.harvest.run import harvest as run_harvest
    from sdexl.harvest.run import rebuild_outputs
    from sdexl.progress import progress_bar

    ws = ctx.workspace()
    files = discover(ws)
    show_bar = not as_json and sys.stderr.isatty()
    with progress_bar(len(files), "Harvest", enabled=show_bar) as advance:
        result = run_harvest(ws, files, on_file=lambda entry: advance(Path(entry.file).name))
    notes = result.notes + rebuild_outputs(ws, result.touched)
    if as_json:
        click.echo(json.dumps([f.as_json() for f in result.files], ensure_ascii=False, indent=2))
    else:
        for entry in result.files:
            _echo_harvested(entry)
        click.echo(f"{len(result.files)} files, {sum(f.new for f in result.files)} new.")
    for note in notes:
        click.echo(note, err=True)
    if strict and result.has_problems:
        sys.exit(2)


def _echo_harvested(entry) -> None:
    where = f"{entry.survey or '?'}/{entry.kommunekode or '?'}"
    errors = sum(i.severity == "error" for i in entry.issues)
    warnings = sum(i.severity == "warning" for i in entry.issues)
    seen = "" if entry.new else "  (seen before)"
    click.echo(f"{entry.verdict:<23} {where:<13} {entry.cases:>4} cases {errors:>3} E {warnings:>3} W  {entry.file}{seen}")
    if entry.new and entry.verdict in ("rejected", "duplicate", "superseded"):
        for issue in entry.issues:
            if issue.severity == "error" or entry.verdict != "rejected":
                click.echo(f"    {issue.message}")
    if entry.feedback:
        click.echo(f"    feedback: {entry.feedback}")


@main.command()
@click.argument("survey")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per municipality.")
@pass_ctx
def status(ctx, survey, as_json):
    """Show where each of the 98 municipalities stands in SURVEY.

    Status is the verdict of the municipality's current file: missing,
    accepted, accepted_with_warnings, needs_correction or rejected. Errors
    and warnings are counted in that file.

    \b
    Examples:
      sdexl status sde-2024
      sdexl status sde-2022 --json | jq '.[] | select(.status == "missing") | .kommune'
    """
    import json

    from sdexl.harvest.status import summary, survey_status

    ws = ctx.workspace()
    rows = survey_status(ws, survey)
    if as_json:
        keys = ("kommunekode", "kommune", "kkr", "status", "cases", "errors", "warnings", "file", "issued", "returned")
        click.echo(json.dumps([{k: r.as_json()[k] for k in keys} for r in rows], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'Code':>4}  {'Kommune':<18} {'Issued':<6} {'Status':<23} {'Cases':>5} {'E':>3} {'W':>3}  File")
    for r in rows:
        issued = "yes" if r.issued else "no"
        click.echo(
            f"{r.kommunekode:>4}  {r.kommune:<18} {issued:<6} {r.status:<23} {r.cases:>5} {r.errors:>3} {r.warnings:>3}"
            f"  {r.file or ''}"
        )
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(summary(rows).items())))


@main.command()
@click.argument("survey")
@pass_ctx
def build(ctx, survey):
    """Rebuild output/SURVEY/ (master.xlsx, data.csv, data.parquet) from the ledger.

    Reads no returned files: use it after importing reference data or changing
    the small-cell threshold. 'sdexl harvest' does the same after harvesting.

    \b
    Example:
      sdexl build sde-2024
    """
    from sdexl.publish.master import build_from_ledger

    ws = ctx.workspace()
    for path in build_from_ledger(ws, survey):
        click.echo(f"Wrote {path}")


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=2024, show_default=True, help="Seed for the synthetic data (same seed, same data).")
def demo(directory, seed):
    """Run a whole round on SYNTHETIC data: generate, fake returns, harvest, masters.

    Creates a workspace in DIRECTORY (new or empty; default: a temporary
    folder, printed at the end), generates the workbooks for sde-2022 and
    sde-2024, writes synthetic returns with the typical mistakes (a wrong
    category, a missing answer, a renamed file, a file sent twice, a corrected
    resubmission, a LibreOffice resave when soffice is installed), harvests
    them and builds the master workbooks and feedback files. Every figure is
    made up and labelled SYNTETISK.

    \b
    Examples:
      sdexl demo
      sdexl demo ~/sdexl-demo --seed 7
    """
    from sdexl.demo import run_demo

    result = run_demo(Path(directory) if directory else None, progress=True, seed=seed, say=click.echo)
    for line in result.lines():
        click.echo(line)


@main.group()
def reference():
    """Import reference data: population aged 18-66 and a socio-economic index."""


@reference.command("population")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def reference_population(ctx, file):
    """Import population aged 18-66 from a Statistikbanken FOLK1A CSV export.

    Download FOLK1A with all 98 municipalities, ages 18-66 as single years,
    sex and marital status in total, the latest quarter, as "CSV
    (semikolonsepareret)". See docs/master.md. Writes reference/befolkning_18_66.csv
    and reports municipalities that are missing.

    \b
    Example:
      sdexl reference population ~/Downloads/FOLK1A.csv
      sdexl build sde-2024
    """
    from sdexl.reference.population import import_population

    ws = ctx.workspace()
    report = import_population(Path(file), ws.reference)
    for line in report.lines():
        click.echo(line)


@reference.command("socio")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def reference_socio(ctx, file):
    """Import a socio-economic index per municipality from a CSV 'kommunekode;indeks'.

    One line per municipality, e.g. '101;1,07' (decimal comma or point; a
    header line is allowed). Writes reference/socio_indeks.csv.

    \b
    Example:
      sdexl reference socio socio_indeks_2024.csv
    """
    from sdexl.reference.socio import import_socio

    ws = ctx.workspace()
    report = import_socio(Path(file), ws.reference)
    for line in report.lines():
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
