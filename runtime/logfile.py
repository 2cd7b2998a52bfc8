"""Errbot's log file, rotated, that says once when it cannot be written instead of a traceback per record."""
from __future__ import annotations

import logging
import logging.handlers
import sys


class LogFile(logging.handlers.RotatingFileHandler):
    """A full disk makes every record fail: logging would print "--- Logging error ---" and a
    traceback for each on stderr. This one says so in one line, and again only after it recovered."""

    failing = False

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)
        if not self._failed_now:
            self.failing = False

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed_now = True
        if not self.failing:
            self.failing = True
            error = sys.exc_info()[1]
            sys.stderr.write(f"Open Lines cannot write its log {self.baseFilename} "
                             f"({type(error).__name__}: {error}): records are dropped until it can\n")
