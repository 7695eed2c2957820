"""Commands of the municipality reports: ``reference comparable``, ``report`` and ``import``.

Kept in a module of their own (registered at the end of ``sdexl.cli``) so the
shared command-line file only gains one import line.
"""

from __future__ import annotations

from pathlib import Path

import click

from sdexl.cli import main, pass_ctx, reference, writes_workspace


@reference.command("comparable")
@writes_workspace("reference comparable")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-k", "k", type=click.IntRange(1, 20), default=5, show_default=True, help="Municipalities per computed group.")
@pass_ctx
def reference_comparable(ctx, file, k):
    """Comparison groups for the reports: import chosen groups, or write the computed ones.

    With FILE: import chosen groups (KL's own clusters, say), one line per
    municipality, 'kommunekode;peers' with the peers' codes separated by spaces
    or commas ('101;751 461 851'). Listed municipalities use that group in
    their report; the others keep the computed one. Every problem is listed
    with its line number and nothing is imported until all lines are right.

    Without FILE: compute each municipality's K nearest municipalities by
    standardised distance on the population aged 18-66, the socio-economic
    index and the share aged 18-66 (what is imported), print them and write
    them to reference/sammenlignelige.csv to inspect or edit (import the
    edited file to use it as chosen groups).

    \b
    Examples:
      sdexl reference comparable
      sdexl reference comparable kl_klynger.csv
    """
    from sdexl.reference import by_code
    from sdexl.reference.comparable import ComparableError, import_comparable, names, write_default

    ws = ctx.workspace()
    if file:
        try:
            report = import_comparable(Path(file), ws.reference)
        except ComparableError as exc:
            raise click.ClickException(f"{exc}\nNothing was imported; correct the lines above and import the file again.") from exc
        for line in report.lines():
            click.echo(line)
        return
    try:
        target, groups = write_default(ws.reference, k)
    except ComparableError as exc:
        raise click.ClickException(str(exc)) from exc
    for code in sorted(groups.peers, key=int):
        click.echo(f"{code} {by_code()[code].name}: {names(groups.peers[code])}")
    used = ", ".join(groups.variables)
    click.echo(f"Computed {len(groups.peers)} groups of {k} on {used}; wrote {target}.")
    if groups.missing_variables:
        click.echo("Not used (not imported): " + ", ".join(groups.missing_variables) + ".")


def _codes(values: tuple[str, ...]) -> list[str] | None:
    from sdexl.reference import normalise_code

    if not values:
        return None
    codes = []
    for value in values:
        code = normalise_code(value)
        if code is None:
            raise click.BadParameter(f"'{value}' is not a kommunekode", param_hint="-k")
        codes.append(code)
    return codes


@main.command()
@writes_workspace("report")
@click.argument("survey")
@click.option("-k", "--kommune", "kommuner", multiple=True, help="Only this kommunekode (repeatable).")
@click.option("--no-pdf", is_flag=True, help="Write the xlsx reports only, without LibreOffice PDF copies.")
@pass_ctx
def report(ctx, survey, kommuner, no_pdf):
    """Write one Danish report per participating municipality with accepted data.

    output/SURVEY/rapporter/<kode>_<Kommune>.xlsx (and .pdf when LibreOffice
    is installed): the municipality's key figures beside its KKR, its
    comparable municipalities (see 'sdexl reference comparable') and the
    country, with rank and quartile; each question's distribution as a table
    and chart; the development since the previous round; its data quality and
    the method. Figures for other municipalities are aggregated and small
    numbers suppressed; the municipality's own figures are shown as they are.

    \b
    Examples:
      sdexl report sde-2024
      sdexl report sde-2022 -k 101 -k 147
    """
    from sdexl.report.run import build_reports

    ws = ctx.workspace()
    try:
        run = build_reports(ws, survey, _codes(kommuner), pdf=not no_pdf)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in run.lines():
        click.echo(line)


@main.command("import")
@writes_workspace("import")
@click.argument("survey")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False),
              help="CSV 'kolonne;spørgsmål': the file's column headings and the question ids they hold.")
@click.option("--no-cases", "no_cases", multiple=True,
              help="A kommunekode that took part with no cases (repeatable; case surveys' data.csv has no row for it).")
@pass_ctx
def import_cmd(ctx, survey, file, mapping, no_cases):
    """Load a previous round's consolidated data (not collected with sdexl) into the ledger.

    FILE is the data.csv layout harvest writes (kommunekode, then question
    ids as headings), or any CSV/Excel sheet with --mapping naming which
    column holds which question. Each value is checked like a harvested one;
    every problem is listed and nothing is imported until all are right. The
    source is archived and recorded, so development (Udvikling, reports)
    compares with this round. Round 1 and round 2 (same reference date) form
    one pooled baseline.

    \b
    Examples:
      sdexl import sde-2022 screening_2022/data.csv --no-cases 825 --no-cases 563
      sdexl import sde-2022 screening_2022.xlsx --mapping kolonner.csv
      sdexl build sde-2024
    """
    from sdexl.import_round import ImportError_, import_round

    ws = ctx.workspace()
    try:
        result = import_round(ws, survey, Path(file), Path(mapping) if mapping else None, _codes(no_cases) or [])
    except ImportError_ as exc:
        raise click.ClickException(f"{exc}\nNothing was imported.") from exc
    for line in result.lines():
        click.echo(line)
