"""The ``bridge.mail_work.Mailer`` over SMTP: smtplib in a worker thread, one connection per email.

``OPENLINES_SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (STARTTLS when the
server offers it) or ``smtps://…`` (TLS from the start). Errors name their type
only: the URL holds a password.
"""
from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from bridge.errors import PermanentSendError, SendError

if TYPE_CHECKING:
    import smtplib

TIMEOUT = 30.0


class SmtpMailer:
    def __init__(self, url: str, sender: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("OPENLINES_SMTP_URL must look like smtp://host:port or smtps://user:pass@host")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username or "")
        self._password = unquote(parts.password or "")
        self.sender = sender or f"Open Lines <noreply@{self._host}>"

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self._host}:{self._port})"

    async def send(self, to: str, subject: str, body: str) -> None:
        import smtplib  # on the first email: most installs send none, and every process would load it

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._host)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        try:
            await asyncio.to_thread(self._deliver, message)
        except smtplib.SMTPRecipientsRefused:
            raise PermanentSendError("the mail server refused the customer's address") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentSendError(f"the mail server refused the email ({exc.smtp_code})") from None
            raise SendError(f"the mail server answered {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"the mail server could not be reached: {type(exc).__name__}") from None

    def _deliver(self, message: EmailMessage) -> None:
        import smtplib  # already loaded by send(): a dict look-up

        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._tls:
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=TIMEOUT)
        with smtp:
            smtp.ehlo()
            if not self._tls and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if self._user:
                smtp.login(self._user, self._password)
            smtp.send_message(message)
