"""Which log lines reach the terminal: the run command's terminal is for people, the log file for the rest.

The terminal shows what Open Lines prints (ready, the URLs, the one-time password) and warnings and
errors; Errbot's INFO (38 lines at start) goes to the log file only. Errbot logs one ACL match per
command at INFO (about 37 each time someone opens the console): those are DEBUG here.
"""
from __future__ import annotations

import logging


class AclMatchesAtDebug(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("errbot.plugins.") and str(record.msg).startswith("Matching ACL "):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


class WhenErrbotLetGo(logging.Handler):
    """Errbot's Text backend, once serving (``TEXT_DEMO_MODE``: one rendering of each answer), takes its
    terminal handler off the root logger: warnings and errors then go to that handler through this one."""

    def __init__(self, terminal: logging.Handler) -> None:
        super().__init__(logging.WARNING)
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        if self.terminal not in logging.getLogger().handlers:  # else it has the record already
            self.terminal.handle(record)


def route(log_file: logging.Handler) -> None:
    """Errbot's terminal handler (added when Errbot sets up) shows warnings and errors only, also once
    the Text backend has taken it off."""
    from errbot.logs import console_hdlr  # Errbot's own: imported by the run command before the config

    console_hdlr.setLevel(logging.WARNING)
    for handler in (console_hdlr, log_file):
        if not any(isinstance(f, AclMatchesAtDebug) for f in handler.filters):
            handler.addFilter(AclMatchesAtDebug())
    root = logging.getLogger()
    if not any(isinstance(h, WhenErrbotLetGo) for h in root.handlers):
        root.addHandler(WhenErrbotLetGo(console_hdlr))
