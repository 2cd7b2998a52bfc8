"""The run command itself: a real `errbot -c config.py` process, killed and restarted."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.customer import Customer

ROOT = Path(__file__).resolve().parents[1]
ERRBOT = Path(sys.executable).with_name("errbot")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "OPENLINES_DATA_DIR": str(data_dir), "OPENLINES_HTTP_PORT": str(port),
           "OPENLINES_TEAM_BACKEND": "Text", "OPENLINES_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([str(ERRBOT), "-c", "config.py"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read().decode(errors="replace")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if json.load(r)["channels"] == ["webchat:support"]:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("errbot did not serve /healthz within 60 s")


def test_an_acknowledged_message_survives_a_kill(tmp_path):
    port = _free_port()
    first = _start(tmp_path, port)
    customer = Customer(port)
    try:
        customer.connect("Kim")
        ack = customer.say("please do not lose me")
        first.send_signal(signal.SIGKILL)  # no clean shutdown at all
        first.wait(10)
    finally:
        customer.close()

    second = _start(tmp_path, port)
    again = Customer(port)
    again.token = customer.token
    try:
        welcome, history = again.connect("Kim")
        assert welcome["conversation_id"] == ack["conversation_id"]
        stored = [m for m in history["messages"] if m["seq"] == ack["seq"]]
        assert stored and stored[0]["text"] == "please do not lose me"
        assert stored[0]["from"] == "customer"
    finally:
        again.close()
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(15)
        except subprocess.TimeoutExpired:
            second.kill()


def test_an_operator_answers_from_the_console(tmp_path):
    port = _free_port()
    bot = _start(tmp_path, port)
    console = _Console(bot)
    customer = Customer(port)
    try:
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]
        console.wait_for("Where is my parcel?")

        console.type("!answer 1")
        console.wait_for("You answer conversation 1")
        console.type("!inroom #support-1")
        console.wait_for("Joined Room #support-1")
        console.type("It left the warehouse this morning.")
        assert customer.next_message()["text"] == "It left the warehouse this morning."
        console.type("!close")
        assert "conversation is now closed" in customer.next_message()["text"]
        console.wait_for("Transcript attached")
    finally:
        customer.close()
        bot.kill()
        bot.wait(10)


class _Console:
    """The Text backend's console: type lines, read what it prints."""

    def __init__(self, process: subprocess.Popen) -> None:
        import threading

        self._process = process
        self._output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in iter(lambda: self._process.stdout.read1(4096), b""):
            self._output += raw.decode(errors="replace")

    def type(self, line: str) -> None:
        self._process.stdin.write(line.encode() + b"\n")
        self._process.stdin.flush()

    def wait_for(self, fragment: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while fragment not in self._output:
            assert time.monotonic() < deadline, f"the console never printed {fragment!r}:\n{self._output[-2000:]}"
            time.sleep(0.05)
