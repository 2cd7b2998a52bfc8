"""The log file on a full disk: one line on stderr, not a traceback per record."""
from __future__ import annotations

import logging
from pathlib import Path

from runtime.logfile import LogFile


def test_a_log_on_a_full_disk_says_so_once_and_again_after_it_recovered(tmp_path: Path, capsys):
    handler = LogFile("/dev/full", maxBytes=10 * 1024 * 1024, backupCount=4)  # every write: ENOSPC
    log = logging.getLogger("test.logfile")
    log.addHandler(handler)
    log.propagate = False
    try:
        for n in range(100):
            log.warning("record %d", n)
        said = capsys.readouterr().err
        assert said.count("cannot write its log") == 1 and "Logging error" not in said and "Traceback" not in said
        full = handler.stream
        handler.stream = (tmp_path / "errbot.log").open("a")  # space again
        log.warning("back")
        handler.stream.close()
        handler.stream = full
        log.warning("full again")
        assert capsys.readouterr().err.count("cannot write its log") == 1
    finally:
        log.removeHandler(handler)
        try:
            handler.close()
        except OSError:
            pass
