"""One message, built with the standard library's ``email`` package.

Plain text in UTF-8 (quoted-printable, so any mail server carries it), the
attachment as an Excel workbook with its Danish file name (RFC 2231), the
project's contact person as Reply-To, and our own Message-ID (recorded in the
ledger). A draft carries ``X-Unsent: 1``: Outlook then opens the .eml as a new
message to check and send, and Thunderbird opens it with "Edit as new".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

# Headers are written without folding (up to RFC 5322's 998 characters): Python 3.11's folding of a long
# non-ASCII Subject drops the space between two encoded words ("opfølgningpå"). The parts are encoded
# before this policy applies, so base64 and quoted-printable lines keep their 76 characters.
UNFOLDED = SMTP.clone(max_line_length=998)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Party:
    name: str
    email: str

    def address(self) -> Address:
        local, _, domain = self.email.partition("@")
        return Address(display_name=self.name, username=local, domain=domain)


def compose(
    sender: Party,
    to: Party,
    cc: list[str],
    subject: str,
    body: str,
    attachment: Path | None = None,
    reply_to: Party | None = None,
    draft: bool = True,
    attachment_bytes: bytes | None = None,
) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender.address()
    msg["To"] = to.address()
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to and reply_to.email and reply_to.email.lower() != sender.email.lower():
        msg["Reply-To"] = reply_to.address()
    msg["Subject"] = subject
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.email.partition("@")[2] or None)
    if draft:
        msg["X-Unsent"] = "1"
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if attachment is not None:
        data = attachment_bytes if attachment_bytes is not None else attachment.read_bytes()
        msg.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=attachment.name)
    msg.policy = UNFOLDED
    return msg


def recipients(msg: EmailMessage) -> list[str]:
    """Every address the message goes to (To and Cc)."""
    out = []
    for header in ("To", "Cc"):
        for address in getattr(msg[header], "addresses", ()) if msg[header] else ():
            out.append(address.addr_spec)
    return out


def as_sent(msg: EmailMessage) -> EmailMessage:
    """The same message without the draft mark, to send."""
    del msg["X-Unsent"]
    return msg
