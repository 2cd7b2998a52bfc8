"""The run command as a user runs it: a real `errbot -c config.py` process, with its console."""
from __future__ import annotations

import codecs
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ERRBOT = Path(sys.executable).with_name("errbot")
READY = re.compile(r"website chat: http://127\.0\.0\.1:(\d+)/")


class OpenLinesProcess:
    """Started on port 0: the port is read from what the console prints once ready."""

    command: list[str] = [str(ERRBOT), "-c", "config.py"]
    ready = READY

    def __init__(self, data_dir: Path, open_files: int | None = None, **env: str) -> None:
        environment = {**os.environ, "OPENLINES_DATA_DIR": str(data_dir), "OPENLINES_HTTP_PORT": "0",
                       "OPENLINES_TEAM_BACKEND": "Text", "OPENLINES_LOG_LEVEL": "WARNING", **env}
        def limit_files() -> None:  # the machine's open-files limit, e.g. a service manager's 512
            import resource
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

        self.process = subprocess.Popen(self.command, cwd=ROOT, env=environment,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=limit_files if open_files else None)
        self.output = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(self.ready, timeout=90).group(1))

    def _read(self) -> None:
        assert self.process.stdout is not None
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")  # a character may straddle two reads
        for raw in iter(lambda: self.process.stdout.read1(4096), b""):  # type: ignore[union-attr]
            with self._changed:
                self.output += text.decode(raw)
                self._changed.notify_all()

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float = 20, start: int = 0) -> re.Match[str]:
        """The first match in what the console printed from character ``start`` on."""
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        with self._changed:
            while (match := regex.search(self.output, start)) is None:
                left = deadline - time.monotonic()
                assert left > 0 and self.process.poll() is None, \
                    f"the console never printed {regex.pattern!r}:\n{self.output[-3000:]}"
                self._changed.wait(min(left, 0.5))
            return match

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
            return dict(json.load(response))

    def kill(self) -> None:
        """SIGKILL: no clean shutdown at all."""
        self.process.send_signal(signal.SIGKILL)
        self.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.close()

    def close(self) -> None:
        self.process.wait(15)
        self._reader.join(5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class WorkerProcess(OpenLinesProcess):
    """An intake worker, ``python -m runtime.worker``, as an operator starts one."""

    command = [sys.executable, "-m", "runtime.worker"]
    ready = re.compile(r"Open Lines worker \S+ is ready on http://127\.0\.0\.1:(\d+)")
