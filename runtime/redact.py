"""Keeps credentials out of every log line, Errbot's own included.

Errbot logs each command with its parameters ("Processing command
"line_connect" with parameters "Sales telegram token=…""), before any plugin
sees it. Every log record is rewritten as it is made: ``key=value`` for credential
keys, Bot API URLs (``…/bot<token>/…``, which python-telegram-bot logs at DEBUG),
console sign-in links, and any credential value it has been told about, whatever
logged it. ``mask`` does the same for what a team backend stores or prints.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Iterable

MASK = "••••••"
_COMMAND = re.compile(r'^Processing command "([^"]*)" with parameters ".*" from (.*)$', re.S)
GENERIC = ("token", "password", "secret", "app_secret", "app_password", "page_token", "verify_token", "api_key",
           "access_token", "client_secret")
# Secrets in URLs, whatever their key: a Telegram Bot API path and a console sign-in link.
_BOT_URL = re.compile(r"(/bot)\d+:[\w-]+")
_SIGN_IN = re.compile(r"(#welcome=)[\w-]+")


class SecretRedactor(logging.Filter):
    def __init__(self, keys: Iterable[str] = ()) -> None:
        super().__init__()
        self._values: set[str] = set()
        self.set_keys(keys)

    def set_keys(self, keys: Iterable[str]) -> None:
        names = sorted({*GENERIC, *keys}, key=len, reverse=True)
        self._pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")=(\S+)")

    def know(self, values: Iterable[str]) -> None:
        """Values to hide wherever they appear (channel credentials as they are loaded)."""
        self._values |= {v for v in values if len(v) >= 6}

    def redact(self, text: str, *, links: bool = True) -> str:
        """``text`` with its secrets masked; ``links=False`` keeps sign-in links (shown once, live)."""
        text = self._pattern.sub(lambda m: f"{m.group(1)}={MASK}", text)
        text = _BOT_URL.sub(rf"\1{MASK}", text)
        if links:
            text = _SIGN_IN.sub(rf"\1{MASK}", text)
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        clean = self.redact(message)
        if record.levelno > logging.DEBUG and not logging.getLogger().isEnabledFor(logging.DEBUG):
            # Errbot logs every command's parameters at INFO: a reply's text is a customer's business.
            clean = _COMMAND.sub(r'Processing command "\1" from \2', clean)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_installed: SecretRedactor | None = None


def know(values: Iterable[str]) -> None:
    """Hide these credential values from every log line from now on."""
    _redactor().know(values)


def mask(text: str, *, links: bool = True) -> str:
    """``text`` as it may be stored, printed or logged: credentials (and sign-in links) masked."""
    return _redactor().redact(text, links=links)


def _redactor() -> SecretRedactor:
    """The process's redactor as installed (``install()`` again would forget the channels' keys)."""
    return _installed or install()


def install(keys: Iterable[str] = ()) -> SecretRedactor:
    """One redactor for the whole process, applied as each log record is made.

    A record factory, not a handler filter: handlers come and go (Errbot's,
    a test's), and every record passes through the factory first.
    """
    global _installed
    if _installed is not None:
        _installed.set_keys(keys)
        return _installed
    redactor = _installed = SecretRedactor(keys)
    make = logging.getLogRecordFactory()

    def redacting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            redactor.filter(record)
        except BaseException:  # never let logging fail (at interpreter shutdown imports are gone)
            pass
        return record

    logging.setLogRecordFactory(redacting)
    return redactor
