"""OPENLINES_LOG_FORMAT=json: one JSON object per log record, per line, for a log shipper.

Fields: time (UTC, ISO 8601), level, logger, event (the message), and the
line, channel and conversation ids when the record carries them (``extra=``).
Messages are already redacted when made (runtime/redact.py); tracebacks are
masked here, as they may quote anything.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from runtime import redact

IDS = ("line", "channel", "conversation")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "event": record.getMessage()}
        for name in IDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["error"] = redact.mask(self.formatException(record.exc_info))
        # One physical line whatever the message holds: json.dumps escapes newlines.
        return json.dumps(entry, ensure_ascii=False)


def formatter(kind: str) -> logging.Formatter:
    """The log format named by OPENLINES_LOG_FORMAT: "json", else the plain text one."""
    if kind.strip().lower() == "json":
        return JsonLines()
    if kind.strip().lower() not in ("", "text"):
        raise ValueError(f"OPENLINES_LOG_FORMAT is {kind!r}: say json or text")
    return logging.Formatter("%(asctime)s %(levelname)-8s %(name)-25s %(message)s")
