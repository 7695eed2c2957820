"""The ``sdexl`` command line: parses arguments, calls the library, prints.

Heavy modules (pandas, xlsxwriter, openpyxl) are imported inside the commands
so that ``sdexl --help`` starts fast. Library exceptions become one clear
sentence here; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import sys
import threading
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


def writes_workspace(command: str):
    """For a command that changes the workspace: it holds the workspace lock (sdexl.lock) while it runs,
    and adds --no-wait. Once the lock is held, what a killed run left is cleared (sdexl.outputs)."""

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, no_wait: bool = False, **kwargs):
            from sdexl.lock import WorkspaceBusy, workspace_lock
            from sdexl.outputs import remove_leftovers

            ws = click.get_current_context().find_object(Context).workspace()
            say = lambda text: click.echo(text, err=True)  # noqa: E731
            try:
                with workspace_lock(ws.state, command, wait=not no_wait, say=say) as held:
                    removed = remove_leftovers(ws)
                    if held.stale or removed:
                        who = f" ({held.stale.describe()})" if held.stale else ""
                        say(f"An earlier sdexl run{who} was interrupted; {removed} temporary files it left were "
                            "removed, and what it did not finish is done now.")
                    return f(*args, **kwargs)
            except WorkspaceBusy as exc:
                raise click.ClickException(str(exc)) from exc

        help_text = "If another sdexl command is changing the workspace, stop (exit status 1) instead of waiting."
        return click.option("--no-wait", is_flag=True, help=help_text)(wrapper)

    return decorate


class FriendlyGroup(click.Group):
    """Turns expected failures into one sentence and exit status 1 (2 for broken settings or definitions)."""

    def parse_args(self, ctx, args):
        # `sdexl status sde-2024 --debug` as well as `sdexl --debug status sde-2024`:
        # the flag belongs to the main group wherever it is typed (not after "--").
        if ctx.parent is None:
            cut = args.index("--") if "--" in args else len(args)
            if "--debug" in args[1:cut]:
                args = ["--debug", *(a for i, a in enumerate(args) if not (a == "--debug" and i < cut))]
        return super().parse_args(ctx, args)

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
            if _broken_files(exc):
                # Every problem is listed with its file and line: a traceback would add nothing.
                sys.exit(2)
            click.echo("Run again with --debug for the full traceback.", err=True)
            sys.exit(1)


def _broken_files(exc: Exception) -> bool:
    """A survey definition or sdexl.yaml that cannot be used: the same clear message and status 2 in every command."""
    from sdexl.survey.load import DefinitionError
    from sdexl.workspace import SettingsError

    return isinstance(exc, (DefinitionError, SettingsError))


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests capture stdout)
        pass


# A run allocates millions of small objects (cells, answers, ledger rows) and frees nearly all of them by
# reference counting; with the cycle collector's default (a young collection every 700 allocations more
# than frees) about 5 % of a harvest went into walking them (measured on the bench: 2.59 s -> 2.45 s end to
# end). Collections stay, only rarer: memory stays bounded (bench/results.md has the peaks).
GC_THRESHOLDS = (50_000, 20, 20)


def run() -> None:
    """The console script and ``python -m sdexl``: the command line, with the collector tuned for one run
    (the process's own setting; importing sdexl as a library changes nothing)."""
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        main()
    except SystemExit as stop:
        exit_now(stop.code)
    exit_now(0)


def exit_now(code) -> None:
    """End the process as ``sys.exit(code)`` would, without tearing down every object first.

    After a harvest and a build the interpreter spent 0.12 s freeing what it held (measured on the
    bench), for nothing: the process ends anyway. The exit handlers still run (logging, the
    multiprocessing helpers) and the output is flushed; every file sdexl writes is closed and synced
    before this. With another thread still running, the usual exit waits for it as always.
    """
    if threading.active_count() > 1:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`sdexl status | head`): nothing more to say
            pass
    os._exit(status & 0xFF)


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
      sdexl -w runde-2024 reference contacts kontakter.csv
      sdexl -w runde-2024 generate sde-2024
      sdexl -w runde-2024 send sde-2024 invitations
      (save the replies in incoming/)
      sdexl -w runde-2024 harvest
      sdexl -w runde-2024 status sde-2024
      sdexl -w runde-2024 send sde-2024 feedback     # then receipts, reminders
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
        failed |= any(p.severity == "error" for p in problems)
        if not problems:
            click.echo(f"{name}: OK")
        for problem in problems:
            click.echo(str(problem))
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
        from sdexl import atomic

        atomic.write_text(Path(output), text)
        click.echo(f"Wrote {output}")
    else:
        click.echo(text)


@main.command()
@writes_workspace("generate")
@click.argument("survey")
@click.option("-k", "--kommune", "kommuner", multiple=True, help="Kommunekode to generate for (repeatable; default all 98).")
@click.option("--force", is_flag=True, help="Also write new workbooks for municipalities that already have one (new tokens).")
@pass_ctx
def generate(ctx, survey, kommuner, force):
    """Write one workbook per municipality to outgoing/SURVEY/ (the participants: all 98 by default).

    Before writing, warns when the round's deadline is missing or past, or when
    sdexl.yaml still holds the example contact. A municipality that already has
    a workbook gets a new one only with --force; a return on its old workbook
    is still identified, with a warning.

    \b
    Example:
      sdexl generate sde-2024
      sdexl generate sde-2022 -k 101 -k 147
      sdexl generate sde-2022 -k 101 --force
    """
    from sdexl.generate.preflight import force_needed, preflight, replaced_note
    from sdexl.generate.run import generate_all, select_municipalities

    ws = ctx.workspace()
    ws.survey(survey)  # an unknown or broken definition stops here, before any warning
    chosen = list(kommuner) or _participant_codes(ws, survey)
    check = preflight(ws, survey, select_municipalities(chosen))
    for warning in check.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if check.already_issued and not force:
        raise click.ClickException(force_needed(survey, check.already_issued))
    result = generate_all(ws, survey, chosen, progress=True)
    click.echo(f"Wrote {len(result.files)} workbooks to {ws.outgoing_dir(survey)}")
    if check.already_issued:
        click.echo(replaced_note(len(check.already_issued)))


def _participant_codes(ws, survey: str) -> list[str] | None:
    """The round's sign-up list, or None (all 98) when there is none (sdexl participants)."""
    from sdexl import ledger
    from sdexl.participants import participation

    ws.survey(survey)
    conn = ledger.connect(ws.ledger_path)
    try:
        found = participation(conn, survey)
    finally:
        conn.close()
    if not found.explicit:
        return None
    if not found.members:
        raise click.ClickException(f"Nobody takes part in {survey}: add participants first (sdexl participants {survey} add KODE...).")
    click.echo(f"Generating for the {len(found.members)} participants of {survey} (sdexl participants {survey}).")
    return found.ordered()


@main.command()
@writes_workspace("harvest")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file instead of text.")
@click.option("--strict", is_flag=True, help="Exit with status 2 when any file is rejected or needs correction.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the files harvested before, one by one.")
@pass_ctx
def harvest(ctx, as_json, strict, verbose):
    """Read every returned file in incoming/ and record the answers.

    Files are found in any sub-folder and told apart by content, not name.
    Each file gets a verdict: accepted, accepted_with_warnings,
    needs_correction (feedback workbook written to output/), rejected (the
    message says why and what the municipality should do), duplicate,
    superseded (a later file from the same municipality replaced it) or
    ignored (Excel lock and temp files). Files already harvested are not read
    again, and incoming/ is never changed: originals are archived in .sdexl/.
    Afterwards every output that is not current is rebuilt (also when
    nothing is new: after an interrupted run or a deleted master), and a
    summary per survey says who is accepted, must correct, is missing, and
    what to do next. Only one command changes a workspace at a time: a
    second one waits (or, with --no-wait, stops with exit status 1).

    Exit status 0 when the harvest ran, whatever the verdicts; 1 when it could
    not run; with --strict, 2 when a file was rejected or needs correction.

    \b
    Examples:
      sdexl harvest
      sdexl harvest --json > harvest.json
      sdexl harvest --strict
      sdexl harvest --verbose --no-wait
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
        from sdexl.harvest.summary import file_lines, group_files, round_lines

        groups = group_files(result.files)
        shown = {id(e) for e in groups.new + (groups.seen if verbose else [])}
        for entry in result.files:
            if id(entry) in shown:
                _echo_harvested(entry)
        for line in file_lines(groups, verbose) + round_lines(ws):
            click.echo(line)
    for note in notes:
        click.echo(note, err=True)
    if result.broken_definitions:
        # The other surveys were harvested; exit 2 as every command does on a broken definition,
        # so a script or a scheduled run notices that returns for these surveys wait.
        click.echo(
            f"Returns for {', '.join(result.broken_definitions)} were not harvested: fix the definition "
            "(sdexl template check FILE lists every problem) and run sdexl harvest again.",
            err=True,
        )
        sys.exit(2)
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
                click.echo(f'    "{issue.message}"')  # the municipality's Danish message, quoted
    if entry.feedback:
        click.echo(f"    feedback: {entry.feedback}")


@main.command()
@click.argument("survey")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the round and one entry per municipality.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False), help="Also write the overview as a Danish workbook to share.")
@click.option("--all", "show_all", is_flag=True, help="Also list municipalities that do not take part (with a sign-up list).")
@pass_ctx
def status(ctx, survey, as_json, xlsx, show_all):
    """Show where each of the 98 municipalities stands in SURVEY, and the response rate.

    Status is the verdict of the municipality's current file (the latest
    with answers): accepted, accepted_with_warnings, needs_correction; or
    rejected (files came, none usable: the reason is quoted), missing (a
    workbook was issued, nothing came back), not_issued (no workbook
    generated yet) or not_participating. An unfilled workbook or a rejected
    file arriving after the current file is noted, never used. The dates
    show when the municipality was invited and reminded, when its latest
    file came, and when feedback and the receipt were sent ('sdexl send').

    \b
    Examples:
      sdexl status sde-2024
      sdexl status sde-2024 --xlsx status-sde-2024.xlsx
      sdexl status sde-2022 --json | jq '.municipalities[] | select(.status == "missing") | .kommune'
    """
    import json

    from sdexl.harvest.status import round_status, summary

    ws = ctx.workspace()
    result = round_status(ws, survey)
    if xlsx:
        from sdexl.harvest.status_workbook import write_status_workbook

        written = write_status_workbook(Path(xlsx), result, ws.survey(survey).kind == "cases", ws.config.synthetic)
        if not as_json:
            click.echo(f"Wrote {written}")
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    if not result.generated and not any(r.returned for r in result.rows):
        click.echo(f"No workbook of {survey} has been generated in this workspace, and no file for it has come back,")
        click.echo(f"so there is no status to show. Generate the workbooks with: sdexl generate {survey}")
        _echo_participation(result, survey)
        return
    click.echo(f"{'Code':>4}  {'Kommune':<18} {'Status':<23} {'Cases':>5} {'E':>3} {'W':>3}  "
               f"{'Invited':<10} {'Reminded':<10} {'Received':<10} {'Feedback':<10} Receipt")
    hidden = [r for r in result.rows if r.status == "not_participating" and not show_all]
    for r in result.rows:
        if r in hidden:
            continue
        click.echo(
            f"{r.kommunekode:>4}  {r.kommune:<18} {r.status:<23} {r.cases:>5} {r.errors:>3} {r.warnings:>3}  "
            f"{_day(r.invited_at):<10} {_day(r.reminded_at, r.reminders):<10} {_day(r.received_at):<10} "
            f"{_day(r.feedback_sent_at):<10} {_day(r.receipt_sent_at):<10}".rstrip()
        )
        if r.reason:
            click.echo(f"      why: \"{r.reason}\" ({r.file})")
        if r.note:
            click.echo(f"      note: {r.note}")
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(summary(result.rows).items())))
    if hidden:
        click.echo(f"({len(hidden)} municipalities that do not take part are not listed; --all lists them.)")
    click.echo(_response_line(result))
    for entry in result.unattributed:
        click.echo(f"Not tied to any municipality: {entry['file']} ({entry['verdict']}: \"{entry['reason']}\")")
    _echo_participation(result, survey)
    for note in result.notes:
        click.echo(note, err=True)
    from sdexl.outputs import out_of_date

    if out_of_date(ws, survey):
        click.echo(f"The outputs in {ws.output_dir(survey)} are not current (missing, changed, or built before the "
                   f"latest files or settings); 'sdexl build {survey}' or the next harvest rebuilds them.", err=True)


def _day(iso: str | None, count: int = 1) -> str:
    if not iso:
        return ""
    from sdexl.when import local_date

    return local_date(iso).isoformat() + (f" ×{count}" if count > 1 else "")


def _response_line(result) -> str:
    r = result.response()
    if not r["participants"]:
        return "Response: nobody takes part in this round."
    share = f"{100 * r['answered_share']:.1f} %"
    line = f"Response: {r['answered']} of {r['participants']} participants answered ({share})"
    if r["deadline"]:
        line += f", {r['by_deadline']} of them by the deadline {r['deadline']}"
    line += f"; {r['accepted']} accepted."
    days = r["days_to_deadline"]
    if days is None:
        line += " No deadline is set (rounds.SURVEY.deadline in sdexl.yaml)."
    elif days >= 0:
        line += f" {days} days to the deadline."
    else:
        line += f" The deadline passed {-days} days ago."
    if r["resend_deadline"]:
        line += f" Re-send deadline {r['resend_deadline']}."
    return line


def _echo_participation(result, survey: str) -> None:
    if result.explicit_participants:
        click.echo(f"Participants: {len(result.participants)} of 98 (sdexl participants {survey} list).")


@main.command()
@click.argument("survey")
@click.argument("action", type=click.Choice(["list", "add", "remove", "agreement"]), default="list")
@click.argument("kommuner", nargs=-1)
@pass_ctx
def participants(ctx, survey, action, kommuner):
    """Record which municipalities take part in SURVEY (default: all 98).

    'add' signs municipalities up: the first add turns the round into a
    sign-up list of the municipalities added. 'remove' takes them out (from
    all 98 too). 'agreement' records that their data transfer agreement has
    been received. 'list' (the default) shows the participants. generate,
    send and reminders use the participants; status shows them.

    \b
    Examples:
      sdexl participants sde-2023 add 101 147 151
      sdexl participants sde-2023 agreement 101
      sdexl participants sde-2024 remove 860
      sdexl participants sde-2023
    """
    from sdexl import ledger
    from sdexl import participants as part
    from sdexl.reference import by_code

    ws = ctx.workspace()
    ws.survey(survey)  # an unknown survey is one clear sentence
    if action != "list" and not kommuner:
        raise click.UsageError(f"'{action}' needs one or more kommunekoder, e.g. sdexl participants {survey} {action} 101")
    conn = ledger.connect(ws.ledger_path)
    try:
        was = part.participation(conn, survey)
        change = {"add": part.add, "remove": part.remove, "agreement": part.record_agreement}.get(action)
        now = change(conn, survey, list(kommuner)) if change else was
    except part.ParticipantsError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        conn.close()
    if action == "add" and not was.explicit:
        click.echo(f"{survey} now has a sign-up list; before, all 98 municipalities took part by default.")
    if action == "remove" and not was.explicit:
        click.echo(f"{survey}: all 98 municipalities took part by default; the others stay in.")
    if not now.explicit:
        click.echo(f"All 98 municipalities take part in {survey} (no sign-up list).")
    else:
        click.echo(f"{len(now.members)} of 98 municipalities take part in {survey}:")
        for code in now.ordered():
            agreed = now.agreements.get(code)
            click.echo(f"  {code:>4} {by_code()[code].name}" + (f"  (agreement received {agreed[:10]})" if agreed else ""))
    if ws.survey(survey).kind == "cases" and (now.explicit or now.agreements):
        click.echo(f"Data transfer agreements received: {sum(c in now.members for c in now.agreements)} "
                   f"of {len(now.members)} participants.")


@main.command()
@writes_workspace("send")
@click.argument("survey")
@click.argument("what", type=click.Choice(["invitations", "reminders", "feedback", "receipts"]))
@click.option("-k", "--kommune", "kommuner", multiple=True, help="Kommunekode to send to (repeatable; default: all who should get it).")
@click.option("--dry-run", is_flag=True, help="Build every message and show what would go where; write and record nothing.")
@click.option("--smtp", "smtp_target", envvar="SDEXL_SMTP", metavar="HOST[:PORT]",
              help="Send through this SMTP server (STARTTLS on 587, or TLS on 465) instead of writing drafts.")
@click.option("--smtp-user", envvar="SDEXL_SMTP_USER", help="Log in as this user (the password comes from --password-env).")
@click.option("--password-env", default="SDEXL_SMTP_PASSWORD", show_default=True,
              help="The environment variable holding the SMTP password (it is never stored).")
@click.option("--per-minute", type=click.FloatRange(min=0.1), default=20, show_default=True,
              help="At most this many messages a minute through SMTP.")
@click.option("--again", is_flag=True, help="Also send messages already drafted or sent before.")
@click.option("--secure-mail", is_flag=True,
              help="Confirm the SMTP server delivers as secure mail (needed to send feedback of a case survey).")
@pass_ctx
def send(ctx, survey, what, kommuner, dry_run, smtp_target, smtp_user, password_env, per_minute, again, secure_mail):
    """Draft or send the round's mail: invitations, reminders, feedback or receipts.

    \b
    invitations  each participant's workbook, with the deadline
    reminders    participants with no usable answers yet, with the re-send deadline
    feedback     the feedback workbook to each municipality whose file must be corrected
    receipts     a receipt to each municipality whose file was accepted

    The Danish texts are templates/mail/*.txt (copied into the workspace the
    first time; edit them there). Every recipient needs an address in
    reference/kontakter.csv ('sdexl reference contacts'); all problems are
    reported before anything is written. By default each message is an .eml
    draft in outgoing/SURVEY/mail/WHAT/ (Outlook opens it as a new message to
    check and send). With --smtp sdexl sends them itself. Every message is
    recorded in the ledger, and one already drafted or sent is skipped
    unless --again.

    \b
    Examples:
      sdexl send sde-2024 invitations --dry-run
      sdexl send sde-2024 invitations
      sdexl send sde-2024 reminders -k 101 -k 147
      SDEXL_SMTP_PASSWORD=... sdexl send sde-2024 receipts --smtp smtp.kommune.dk:587 --smtp-user kl-sde
    """
    from sdexl.mail.send import SmtpSettings
    from sdexl.mail.send import send as send_mail

    ws = ctx.workspace()
    smtp = None
    if smtp_target:
        password = os.environ.get(password_env) if smtp_user else None
        if smtp_user and not password:
            raise click.ClickException(f"--smtp-user {smtp_user} needs the password in the environment variable "
                                       f"{password_env} (sdexl never stores it).")
        smtp = SmtpSettings.parse(smtp_target, user=smtp_user, password=password, per_minute=per_minute)
    try:
        result = send_mail(ws, survey, what, list(kommuner) or None, dry_run=dry_run, smtp=smtp, again=again,
                           secure_mail=secure_mail)
    except EXPECTED_MAIL_ERRORS() as exc:
        raise click.ClickException(str(exc)) from exc
    for note in result.notes:
        click.echo(note)
    _echo_outcomes(result, show_skipped=bool(kommuner))
    if result.sample:
        click.echo("\nThe first message, as it would be written:\n")
        click.echo(result.sample)
    if result.count("failed"):
        sys.exit(1)


def _messages(n: int, kind: str) -> str:
    """'1 invitation', '3 reminders', '2 feedback mails'."""
    one = {"invitations": "invitation", "reminders": "reminder", "feedback": "feedback mail", "receipts": "receipt"}[kind]
    return f"{n} {one}" if n == 1 else f"{n} {one}s" if kind != "feedback" else f"{n} feedback mails"


def EXPECTED_MAIL_ERRORS() -> tuple[type[Exception], ...]:  # noqa: N802 - reads as the tuple it returns
    """Problems with the round's data or settings: one clear message, no traceback hint."""
    from sdexl.contacts import ContactsError
    from sdexl.mail.deliver import DeliveryError
    from sdexl.mail.send import SendError
    from sdexl.mail.templates import TemplateError
    from sdexl.participants import ParticipantsError

    return ContactsError, DeliveryError, SendError, TemplateError, ParticipantsError


def _echo_outcomes(result, show_skipped: bool) -> None:
    skipped: dict[str, int] = {}
    for o in result.outcomes:
        if o.action == "skipped" and not show_skipped:
            reason = o.detail.split(" (")[0] if o.detail.startswith("already") else o.detail
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        click.echo(f"{o.action:<12} {o.kommunekode:>4} {o.kommune:<18} {o.detail}")
    for reason, n in sorted(skipped.items()):
        click.echo(f"skipped      {n} {'municipality' if n == 1 else 'municipalities'}: {reason}")
    done = result.count("drafted") + result.count("sent")
    where = result.folder
    if result.dry_run:
        planned = result.count("would draft") + result.count("would send")
        verb = "sent" if result.mode == "smtp" else "drafted"
        click.echo(f"Dry run: {_messages(planned, result.kind)} would be {verb}; nothing was written or recorded.")
    elif result.mode == "draft":
        click.echo(f"Drafted {_messages(done, result.kind)} in {where}/.")
        if done:
            click.echo("Open each .eml in Outlook (it opens as a new message) or Thunderbird (Edit as new), "
                       "check it, and send it from there.")
    else:
        click.echo(f"Sent {_messages(done, result.kind)}; a copy of each is in {where}/.")
    if any(o.action == "skipped" for o in result.outcomes) and any("already" in o.detail for o in result.outcomes):
        click.echo("Messages drafted or sent before were skipped; --again sends them again.")


@main.command()
@writes_workspace("build")
@click.argument("survey")
@click.option("--force", is_flag=True, help="Rebuild even when the outputs are current.")
@pass_ctx
def build(ctx, survey, force):
    """Rebuild output/SURVEY/ (master.xlsx, data.csv, data.parquet) from the ledger.

    Reads no returned files. Outputs that are current (built from the same
    ledger state, survey definitions, reference data and settings, and not
    changed or deleted since) are left as they are; --force rebuilds them
    anyway. 'sdexl harvest' rebuilds whatever is not current, too.

    \b
    Example:
      sdexl build sde-2024
    """
    from sdexl.outputs import refresh

    ws = ctx.workspace()
    ws.survey(survey)  # an unknown survey id fails here with the list of known ones
    result = refresh(ws, only={survey}, force={survey} if force else set())
    if survey in result.failed:
        raise click.ClickException(f"Outputs for {survey} could not be built: {result.failed[survey]}")
    if survey in result.current:
        click.echo(f"The outputs in {ws.output_dir(survey)} are current (nothing changed since they were built); "
                   "--force rebuilds them.")
    elif survey not in result.built:  # no submission in the ledger: build_from_ledger says so
        from sdexl.publish.master import build_from_ledger

        result.built[survey] = build_from_ledger(ws, survey)
    for path in result.built.get(survey, []):
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
    """Import reference data: population aged 18-66, a socio-economic index, the municipalities' contacts."""


@reference.command("population")
@writes_workspace("reference population")
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


@reference.command("contacts")
@writes_workspace("reference contacts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_ctx
def reference_contacts(ctx, file):
    """Import who receives each municipality's mail from a CSV file.

    Columns (a header line names them): kommunekode, name, email and
    optionally cc (more addresses, separated by spaces); separated by
    semicolons or commas, UTF-8 or Windows-1252 as Excel saves it. Every
    line is checked and every problem is listed with its line number;
    nothing is imported unless all lines are right. Writes
    reference/kontakter.csv (replacing the earlier list).

    \b
    Example:
      sdexl reference contacts kontakter.csv
    """
    from sdexl.contacts import ContactsError, import_contacts

    ws = ctx.workspace()
    try:
        report = import_contacts(Path(file), ws.reference)
    except ContactsError as exc:
        raise click.ClickException(f"{exc}\nNothing was imported; correct the lines above and import the file again.") from exc
    for line in report.lines():
        click.echo(line)


@reference.command("socio")
@writes_workspace("reference socio")
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


from sdexl import cli_report  # noqa: E402,F401 - registers report, import and reference comparable

if __name__ == "__main__":  # pragma: no cover
    main()

