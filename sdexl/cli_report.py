"""Commands of the municipality reports: ``reference comparable``, ``report`` and ``import``.

Kept in a module of their own (registered at the end of ``sdexl.cli``) so the
shared command-line file only gains one import line.
"""

from __future__ import annotations

from pathlib import Path

import click

from sdexl.cli import pass_ctx, reference


@reference.command("comparable")
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
