"""Where a message goes: an .eml draft in the workspace, or an SMTP server.

Drafts: ``outgoing/<survey>/mail/<kind>/<kode>_<Kommune>.eml`` (written whole or
not at all), to open in Outlook or Thunderbird, check and send from there.

SMTP: STARTTLS on the submission port (587 by default), or TLS from the start on
port 465; never plain text. The server's certificate is checked against the
system's trusted certificates (``SSL_CERT_FILE`` adds an internal CA). The
password is read from an environment variable and never stored. Messages are
sent at most ``per_minute`` a minute, so a relay's rate limit is not hit, and a
copy of each sent message is kept in ``outgoing/<survey>/mail/sent/<kind>/``.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sdexl import atomic

DEFAULT_PORT = 587
IMPLICIT_TLS_PORT = 465
PASSWORD_ENV = "SDEXL_SMTP_PASSWORD"


class DeliveryError(Exception):
    """The SMTP server cannot be used; the message says what to do."""


def write_draft(path: Path, msg: EmailMessage) -> Path:
    return atomic.write_bytes(path, msg.as_bytes())


@dataclass
class SmtpSettings:
    host: str
    port: int = DEFAULT_PORT
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # from the environment, never written anywhere
    per_minute: float = 20.0
    timeout: float = 60.0

    @classmethod
    def parse(cls, target: str, **kwargs) -> SmtpSettings:
        """'smtp.example.dk' or 'smtp.example.dk:587'."""
        host, _, port = target.strip().rpartition(":") if ":" in target else (target.strip(), "", "")
        if port and not port.isdigit():
            raise DeliveryError(f"'{target}' is not HOST or HOST:PORT (e.g. smtp.kommune.dk:587).")
        if not host:
            raise DeliveryError("--smtp needs a host name, e.g. --smtp smtp.kommune.dk:587.")
        return cls(host=host, port=int(port) if port else DEFAULT_PORT, **kwargs)


def _login(server: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN with the credentials in UTF-8 when the server offers it (smtplib's own login encodes them as
    ASCII, so a Danish password with æ, ø or å would fail, and it falls back from one mechanism to the next
    after a refusal); otherwise smtplib's choice of mechanism."""
    if "plain" in server.esmtp_features.get("auth", "").lower().split():
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, reply = server.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)
        return
    if not (user + password).isascii():
        raise DeliveryError("the SMTP password has letters outside ASCII, and the server does not offer AUTH PLAIN, "
                            "the only way sdexl can send them")
    server.login(user, password)


class SmtpSender:
    """One connection for a batch of messages, encrypted, rate-limited."""

    def __init__(self, settings: SmtpSettings, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._last: float | None = None
        self._server: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        s = self.settings
        context = ssl.create_default_context()
        try:
            if s.port == IMPLICIT_TLS_PORT:
                server: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                server.ehlo()
                if not server.has_extn("starttls"):
                    server.quit()
                    raise DeliveryError(f"{s.host}:{s.port} does not offer STARTTLS; sdexl sends mail only over an "
                                        "encrypted connection. Use the server's submission port (587) or 465.")
                server.starttls(context=context)
                server.ehlo()
            if s.user:
                _login(server, s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"{s.host} refused the login of {s.user} ({exc.smtp_code}).") from exc
        except ssl.SSLError as exc:
            raise DeliveryError(f"The encrypted connection to {s.host}:{s.port} failed: {exc.reason or exc}. "
                                "If the server uses an internal certificate authority, point SSL_CERT_FILE at it.") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"Cannot connect to {s.host}:{s.port}: {exc}") from exc
        self._server = server
        return self

    def send(self, msg: EmailMessage, to: list[str]) -> None:
        """Send one message, waiting first if the last one left less than the rate allows."""
        assert self._server is not None, "use SmtpSender as a context manager"
        interval = 60.0 / self.settings.per_minute if self.settings.per_minute > 0 else 0.0
        if self._last is not None:
            wait = interval - (self._clock() - self._last)
            if wait > 0:
                self._sleep(wait)
        self._server.send_message(msg, to_addrs=to)
        self._last = self._clock()

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            try:
                self._server.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._server = None
