"""The run command's terminal keeps showing warnings and errors, whichever team backend runs."""
from __future__ import annotations

import io
import logging

from runtime import terminal_log


def test_warnings_reach_the_terminal_once_the_text_backend_took_its_handler_off():
    """Errbot's Text backend (TEXT_DEMO_MODE) takes Errbot's terminal handler off the root logger once
    it serves: warnings and errors then went to data/errbot.log only."""
    from errbot.logs import console_hdlr

    root = logging.getLogger()
    kept, stream = list(root.handlers), io.StringIO()
    old_stream, old_level = console_hdlr.setStream(stream), console_hdlr.level
    try:
        root.addHandler(console_hdlr)  # as Errbot's setup does, before the config is read
        terminal_log.route(logging.NullHandler())
        said = logging.getLogger("openlines.test")
        said.warning("before serving")
        root.removeHandler(console_hdlr)  # what errbot/backends/text.py's serve_forever does in demo mode
        said.error("while serving")
        said.info("only for the log file")
        shown = stream.getvalue()
        assert shown.count("before serving") == 1 and shown.count("while serving") == 1
        assert "only for the log file" not in shown
    finally:
        root.handlers[:] = kept
        console_hdlr.setStream(old_stream)
        console_hdlr.setLevel(old_level)
