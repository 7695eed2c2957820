"""``sdexl send SURVEY invitations|reminders|feedback|receipts``: who gets what, built, delivered, recorded.

    invitations  every participant: their issued workbook attached
    reminders    participants with no usable answers yet (nothing came, a rejected file, an unfilled
                 workbook): the workbook again, with the re-send deadline
    feedback     municipalities whose current file must be corrected (or was rejected): the feedback
                 workbook from output/SURVEY/tilbagemelding/
    receipts     municipalities whose current file is accepted: the receipt from output/SURVEY/kvitteringer/

Invitations and reminders go to the participants (``sdexl participants``);
feedback and receipts answer a file, whoever sent it. Everything that would stop
the run is checked before the first message (every recipient's address, the
deadlines, the sender, the attachments), and all such problems are reported at
once. A message already recorded in the ledger (same kind, municipality and key)
is skipped unless ``again``. A dry run builds every message and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sdexl import ledger, messages
from sdexl.contacts import Contact, load_contacts
from sdexl.harvest.current import current_submissions
from sdexl.harvest.feedback import feedback_path
from sdexl.harvest.receipt import receipt_for, receipt_path, receipt_workbook, summary_lines, write_receipt
from sdexl.harvest.status import StatusRow, status_from
from sdexl.mail import record
from sdexl.mail.compose import Party, as_sent, compose, recipients
from sdexl.mail.deliver import DeliveryError, SmtpSender, SmtpSettings, write_draft
from sdexl.mail.templates import Template, copy_builtin, load_template
from sdexl.participants import codes as parse_codes
from sdexl.participants import participation
from sdexl.reference import Municipality, by_code
from sdexl.survey.model import Survey
from sdexl.when import danish_date, danish_time, now_iso
from sdexl.workspace import Workspace

log = logging.getLogger(__name__)

KINDS = {"invitations": "invitation", "reminders": "reminder", "feedback": "feedback", "receipts": "receipt"}
MAIL_FOLDER = "mail"
SENT_FOLDER = "sent"
REMIND = ("missing", "rejected")  # and needs_correction without answers (an unfilled workbook)
FEEDBACK = ("needs_correction", "rejected")
RECEIPT = ("accepted", "accepted_with_warnings")


class SendError(Exception):
    """Nothing was sent: ``problems`` lists every reason, each with what to do."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("nothing was sent or drafted:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class Planned:
    kind: str
    kommune: Municipality
    contact: Contact
    key: str
    attachment: Path
    attachment_bytes: bytes
    values: dict[str, str]
    before: sqlite3.Row | None = None  # the same message recorded earlier (sent again with --again)


@dataclass
class Outcome:
    kommunekode: str
    kommune: str
    action: str  # drafted | sent | would draft | would send | skipped | failed
    detail: str = ""
    path: Path | None = None


@dataclass
class SendResult:
    survey_id: str
    kind: str
    mode: str  # draft | smtp
    dry_run: bool
    folder: Path
    outcomes: list[Outcome] = field(default_factory=list)
    sample: str | None = None  # dry run: the first message as text (headers and body)
    notes: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(o.action == action for o in self.outcomes)


def send(
    ws: Workspace,
    survey_id: str,
    what: str,
    kommuner: list[str] | None = None,
    *,
    dry_run: bool = False,
    smtp: SmtpSettings | None = None,
    again: bool = False,
    secure_mail: bool = False,
    today: dt.date | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    survey = ws.survey(survey_id)
    if what not in KINDS:
        raise SendError([f"'{what}' is not one of {', '.join(KINDS)}"])
    kind = KINDS[what]
    today = today or dt.date.today()
    result = SendResult(survey_id, what, "smtp" if smtp else "draft", dry_run, _folder(ws, survey_id, what, smtp))
    if not dry_run:
        copied = copy_builtin(ws)
        if copied:
            result.notes.append(f"The Danish mail texts were copied to {copied[0].parent.relative_to(ws.root)}/; "
                                "edit them there to change the wording.")
    template = load_template(ws, kind)
    contacts = load_contacts(ws.reference)
    chosen = parse_codes(list(kommuner)) if kommuner else None
    conn = ledger.connect(ws.ledger_path)
    try:
        planned = _plan(ws, conn, survey, kind, chosen, contacts, result, today, smtp, secure_mail)
        for item in list(planned):
            item.before = record.earlier(conn, survey_id, kind, item.kommune.code, item.key)
            if item.before is not None and not again:
                how = "drafted" if item.before["mode"] == "draft" else "sent"
                result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, "skipped",
                                               f"already {how} {item.before['created_at'][:10]} (--again sends it again)"))
                planned.remove(item)
        messages_ = [(item, _message(ws, survey, template, item, draft=smtp is None)) for item in planned]
        if dry_run:
            verb = "would send" if smtp else "would draft"
            for item, msg in messages_:
                result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, verb, _describe(item, msg)))
            if messages_:
                result.sample = _as_text(messages_[0][1])
        elif smtp is None:
            _draft_all(ws, conn, survey_id, kind, what, messages_, result)
        else:
            _send_all(ws, conn, survey_id, kind, what, messages_, result, smtp, sleep)
    finally:
        conn.close()
    result.outcomes.sort(key=lambda o: int(o.kommunekode))
    return result


# --- who gets what ----------------------------------------------------------------------------------


def _plan(ws, conn, survey: Survey, kind: str, chosen: list[str] | None, contacts: dict[str, Contact],
          result: SendResult, today: dt.date, smtp, secure_mail: bool) -> list[Planned]:
    settings = ws.config.round(survey.id)
    rows = {r.kommunekode: r for r in status_from(conn, survey.id, contacts)}
    members = participation(conn, survey.id)
    problems: list[str] = []
    sender = ws.config.sender
    if not sender.email:
        problems.append("sdexl.yaml has no sender email (sender: email:); mail needs a From address")
    if kind in ("invitation", "reminder") and settings.deadline is None:
        problems.append(f"no deadline for {survey.id}: set rounds: {survey.id}: deadline: YYYY-MM-DD in sdexl.yaml")
    if kind == "reminder" and getattr(settings, "resend_deadline", None) is None:
        problems.append(f"no re-send deadline for {survey.id}: set rounds: {survey.id}: resend_deadline: YYYY-MM-DD "
                        "in sdexl.yaml (reminders give it)")
    if kind == "feedback" and smtp is not None and survey.kind == "cases" and not secure_mail:
        problems.append("feedback workbooks of a case survey hold the municipality's own notes on citizens (names, "
                        "birth dates): draft them (leave out --smtp) and send them with your secure mail, or confirm "
                        "with --secure-mail that this SMTP server delivers as secure mail")
    if kind in ("invitation", "reminder") and chosen:
        outside = [c for c in chosen if not members.takes_part(c)]
        if outside:
            problems.append(f"{', '.join(f'{c} {by_code()[c].name}' for c in outside)} do(es) not take part in "
                            f"{survey.id} (sdexl participants {survey.id} add {' '.join(outside)})")
    wanted = chosen or sorted(rows, key=int)
    selected: list[tuple[StatusRow, Path | None, str | None]] = []
    select = {"invitation": _invitation, "reminder": _reminder, "feedback": _feedback, "receipt": _receipt}[kind]
    for code in wanted:
        row = rows[code]
        if kind in ("invitation", "reminder") and not row.participant:
            continue
        found = select(ws, conn, survey, row, problems, result)
        if found is not None:
            selected.append((row, *found))
    missing = [r for r, _, _ in selected if r.kommunekode not in contacts]
    if missing:
        names = ", ".join(f"{r.kommunekode} {r.kommune}" for r in missing[:15])
        more = f" and {len(missing) - 15} more" if len(missing) > 15 else ""
        problems.append(f"{len(missing)} recipient(s) have no address in reference/kontakter.csv: {names}{more} "
                        "(sdexl reference contacts FILE)")
    if problems:
        raise SendError(problems)
    planned = []
    for row, path, key in selected:
        data = path.read_bytes() if path.exists() else _receipt_bytes(ws, conn, survey, row)
        values = _values(ws, conn, survey, kind, row, contacts[row.kommunekode], path, today)
        planned.append(Planned(kind, by_code()[row.kommunekode], contacts[row.kommunekode], key, path, data, values))
    return planned


def _latest_issued(conn, survey_id: str, code: str) -> ledger.Issued | None:
    mine = [i for i in ledger.issued_for(conn, survey_id) if i.kommunekode == code]
    return mine[-1] if mine else None


def _issued_workbook(ws, conn, survey, row: StatusRow, problems: list[str]) -> tuple[Path, str] | None:
    issued = _latest_issued(conn, survey.id, row.kommunekode)
    if issued is None:
        problems.append(f"no workbook was generated for {row.kommunekode} {row.kommune}: "
                        f"sdexl generate {survey.id} -k {row.kommunekode}")
        return None
    path = ws.root / issued.file
    if not path.exists() or _sha256(path.read_bytes()) != issued.sha256:
        problems.append(f"{issued.file} is not the workbook issued to {row.kommune} (changed or removed since it was "
                        f"generated): sdexl generate {survey.id} -k {row.kommunekode}")
        return None
    return path, issued.sha256


def _invitation(ws, conn, survey, row: StatusRow, problems, result):
    return _issued_workbook(ws, conn, survey, row, problems)


def _reminder(ws, conn, survey, row: StatusRow, problems, result):
    if row.status == "not_issued":
        result.outcomes.append(Outcome(row.kommunekode, row.kommune, "skipped", "no workbook generated yet"))
        return None
    unfilled = row.status == "needs_correction" and not row.answered
    if row.status not in REMIND and not unfilled:
        result.outcomes.append(Outcome(row.kommunekode, row.kommune, "skipped", f"has answered ({row.status})"))
        return None
    found = _issued_workbook(ws, conn, survey, row, problems)
    if found is None:
        return None
    deadline = ws.config.round(survey.id).resend_deadline
    return found[0], f"resend:{deadline.isoformat() if deadline else ''}"


def _feedback(ws, conn, survey, row: StatusRow, problems, result):
    if row.status not in FEEDBACK:
        return None
    path = feedback_path(ws, survey, by_code()[row.kommunekode])
    if not path.exists():
        result.outcomes.append(Outcome(row.kommunekode, row.kommune, "skipped",
                                       f"status {row.status}, but no feedback workbook in {path.parent.name}/"))
        return None
    return path, _sha256(path.read_bytes())


def _receipt(ws, conn, survey, row: StatusRow, problems, result):
    if row.status not in RECEIPT:
        return None
    current = {r["kommunekode"]: r["sha256"] for r in current_submissions(conn, survey.id)}
    sha = current.get(row.kommunekode)
    if sha is None:
        return None
    path = receipt_path(ws, survey.id, by_code()[row.kommunekode])
    if not path.exists() and not result.dry_run:
        write_receipt(ws, receipt_for(conn, survey, sha))  # harvested before receipts existed, or moved away
    return path, sha


def _receipt_bytes(ws, conn, survey, row: StatusRow) -> bytes:
    """A dry run does not write a missing receipt: build it in memory to count its size."""
    sha = {r["kommunekode"]: r["sha256"] for r in current_submissions(conn, survey.id)}[row.kommunekode]
    return receipt_workbook(receipt_for(conn, survey, sha), ws.config)


# --- the text -------------------------------------------------------------------------------------------


def _values(ws, conn, survey: Survey, kind: str, row: StatusRow, contact: Contact, attachment: Path,
            today: dt.date) -> dict[str, str]:
    text = messages.ROUND_TEXTS
    config = ws.config
    settings = config.round(survey.id)
    deadline, resend = settings.deadline, getattr(settings, "resend_deadline", None)
    ahead = next((d for d in (deadline, resend) if d and d >= today), None)
    c = config.contact
    reach = [text["mail-contact-email"].format(email=c.email)] if c.email else []
    reach += [text["mail-contact-phone"].format(phone=c.phone)] if c.phone else []
    protection = "mail-data-protection-" + ("feedback-cases" if kind == "feedback" and survey.kind == "cases"
                                            else survey.kind)
    values = {
        "kommune": row.kommune,
        "kommunekode": row.kommunekode,
        "modtager": contact.name,
        "undersoegelse": survey.title,
        "runde": survey.round,
        "referencedato": survey.reference_text,
        "frist": danish_date(deadline) if deadline else "",
        "genfrist": danish_date(resend) if resend else "",
        "seneste_frist": text["mail-by-date"].format(date=danish_date(ahead)) if ahead else
        text["mail-as-soon-as-possible"],
        "fil": attachment.name,
        "databeskyttelse": text[protection],
        "kontaktperson": c.name,
        "kontakt_organisation": c.organisation,
        "kontakt_detaljer": text["mail-contact-or"].join(reach),
        "afsender": config.sender.name,
        "afsender_organisation": config.sender.organisation,
        "modtaget_tid": "",
        "modtaget_tekst": "",
        "tilbagemelding_tekst": "",
        "kvittering": "",
    }
    sub = _submission(conn, row.file) if row.file else None
    if sub is not None:
        values["modtaget_tid"] = danish_time(sub["received_at"])
    unfilled = row.status == "needs_correction" and not row.answered
    if kind == "reminder":
        if row.status == "rejected":
            values["modtaget_tekst"] = text["mail-received-rejected"].format(reason=row.reason or "")
        elif unfilled:
            values["modtaget_tekst"] = text["mail-received-unfilled"]
    if kind == "feedback":
        if row.status == "rejected":
            feedback = text["mail-feedback-rejected"].format(reason=row.reason or "", fil=attachment.name)
        elif unfilled:
            feedback = text["mail-feedback-unfilled"].format(fil=attachment.name)
        else:
            feedback = text["mail-feedback-errors-one" if row.errors == 1 else "mail-feedback-errors"].format(
                n=row.errors, fil=attachment.name)
        values["tilbagemelding_tekst"] = feedback
    if kind == "receipt" and sub is not None:
        receipt = receipt_for(conn, survey, sub["sha256"])
        values["kvittering"] = "\n".join(summary_lines(receipt, with_file=False)) if receipt else ""
    return {k: messages.single_stops(v) for k, v in values.items()}


def _submission(conn, file: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM submissions WHERE file = ? ORDER BY received_at DESC", (file,)).fetchone()


def _message(ws, survey: Survey, template: Template, item: Planned, draft: bool) -> EmailMessage:
    subject, body = template.render(item.values)
    config = ws.config
    return compose(
        sender=Party(config.sender.name, config.sender.email),
        to=Party(item.contact.name, item.contact.email),
        cc=list(item.contact.cc),
        subject=subject,
        body=body,
        attachment=item.attachment,
        attachment_bytes=item.attachment_bytes,
        reply_to=Party(config.contact.name, config.contact.email) if config.contact.email else None,
        draft=draft,
    )


def _describe(item: Planned, msg: EmailMessage) -> str:
    size = len(item.attachment_bytes) / 1024
    again = " (again)" if item.before is not None else ""
    return f"to {', '.join(recipients(msg))}: {msg['Subject']}; {item.attachment.name} ({size:.0f} KB){again}"


def _as_text(msg: EmailMessage) -> str:
    """Headers and body of a message, as a person reads them (the attachment named, not shown)."""
    lines = [f"{h}: {msg[h]}" for h in ("From", "To", "Cc", "Reply-To", "Subject") if msg[h]]
    body = msg.get_body(("plain",))
    lines += ["", body.get_content() if body else ""]
    for part in msg.iter_attachments():
        lines.append(f"[attachment: {part.get_filename()}, {len(part.get_content())} bytes]")
    return "\n".join(lines)


# --- delivery ---------------------------------------------------------------------------------------------


def _folder(ws: Workspace, survey_id: str, what: str, smtp) -> Path:
    base = ws.outgoing_dir(survey_id) / MAIL_FOLDER
    return (base / SENT_FOLDER / what) if smtp else (base / what)


def _draft_all(ws, conn, survey_id, kind, what, items, result: SendResult) -> None:
    for item, msg in items:
        path = result.folder / f"{item.kommune.file_stem}.eml"
        write_draft(path, msg)
        _record(ws, conn, survey_id, kind, item, msg, "draft", path)
        result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, "drafted", _describe(item, msg), path))


def _send_all(ws, conn, survey_id, kind, what, items, result: SendResult, smtp: SmtpSettings, sleep) -> None:
    if not items:
        return
    with SmtpSender(smtp, sleep=sleep) as sender:
        for n, (item, msg) in enumerate(items):
            msg = as_sent(msg)
            try:
                sender.send(msg, recipients(msg))
            except smtplib.SMTPServerDisconnected as exc:
                result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, "failed", f"disconnected: {exc}"))
                for rest, _ in items[n + 1:]:
                    result.outcomes.append(Outcome(rest.kommune.code, rest.kommune.name, "failed", "not sent: the "
                                                   "server closed the connection; run the same command again"))
                return
            except smtplib.SMTPException as exc:
                log.warning("mail to %s refused (%s)", item.kommune.code, type(exc).__name__)
                result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, "failed", f"refused: {exc}"))
                continue
            path = result.folder / f"{item.kommune.file_stem}.eml"
            write_draft(path, msg)  # the copy of what was sent
            _record(ws, conn, survey_id, kind, item, msg, "smtp", path)
            result.outcomes.append(Outcome(item.kommune.code, item.kommune.name, "sent", _describe(item, msg), path))


def _record(ws, conn, survey_id, kind, item: Planned, msg: EmailMessage, mode: str, path: Path) -> None:
    with conn:  # one commit per message: what was sent stays recorded if the run stops
        record.record(conn, record.MailRecord(
            survey_id=survey_id, kind=kind, kommunekode=item.kommune.code, key=item.key, mode=mode,
            recipients=", ".join(recipients(msg)), subject=str(msg["Subject"]),
            attachment=_relative(ws, item.attachment), attachment_sha256=_sha256(item.attachment_bytes),
            eml=_relative(ws, path), message_id=str(msg["Message-ID"]), created_at=now_iso(),
        ))


def _relative(ws: Workspace, path: Path) -> str:
    try:
        return path.resolve().relative_to(ws.root).as_posix()
    except ValueError:
        return str(path)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = ["DeliveryError", "KINDS", "SendError", "SendResult", "SmtpSettings", "send"]
