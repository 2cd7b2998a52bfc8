"""Backup while the product serves, restore into an empty data dir, and start on it: nothing acknowledged
before the backup began is missing (a real `errbot -c config.py`, a customer writing all along)."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.customer import Customer
from tests.support.process import ROOT, OpenLinesProcess

# An embedded install whatever the machine's environment says; a customer who may write fast.
EMBEDDED = {"OPENLINES_DATABASE_URL": "", "OPENLINES_JOURNAL_URL": ""}
FAST = {**EMBEDDED, "OPENLINES_WEBCHAT_BURST": "100000", "OPENLINES_WEBCHAT_MESSAGES_PER_MINUTE": "100000"}


def backup(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.backup", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **EMBEDDED, **env})


class Writer(threading.Thread):
    """A customer who keeps writing; each acknowledgement is noted with when it came."""

    def __init__(self, customer: Customer) -> None:
        super().__init__(daemon=True)
        self.customer, self.acks = customer, []  # (monotonic time, seq, text)
        self.done = threading.Event()
        self.conversation = ""

    def run(self) -> None:
        n = 0
        while not self.done.is_set():
            n += 1
            ack = self.customer.say(f"message number {n}")
            self.acks.append((time.monotonic(), ack["seq"], f"message number {n}"))
            self.conversation = ack["conversation_id"]


def test_a_backup_taken_under_load_restores_every_acknowledged_message(tmp_path: Path):
    data, copy, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    serving = OpenLinesProcess(data, **FAST)
    customer = Customer(serving.port)
    writer = Writer(customer)
    try:
        customer.connect("Kim")
        writer.start()
        while len(writer.acks) < 20:
            time.sleep(0.05)
        began = time.monotonic()
        before = list(writer.acks)
        made = backup("create", str(copy), "--data-dir", str(data))
        ended = time.monotonic()
        assert made.returncode == 0, made.stderr
        assert "Backup written to" in made.stdout
        time.sleep(0.3)
    finally:
        writer.done.set()
        writer.join(10)
        customer.close()
        serving.stop()
    assert any(began < t < ended for t, _, _ in writer.acks), "the writer did not write during the backup"
    assert (copy / "openlines-backup.json").is_file() and (copy / "journal.sqlite3").is_file()
    assert (copy / "console.sqlite3").exists() or not (data / "console.sqlite3").exists()

    refused = backup("restore", str(copy), "--data-dir", str(data))  # never over a data dir in use
    assert refused.returncode == 2 and "is not empty: refused" in refused.stderr
    done = backup("restore", str(copy), "--data-dir", str(restored))
    assert done.returncode == 0, done.stderr

    again = OpenLinesProcess(restored, **FAST)
    back = Customer(again.port)
    back.token = customer.token
    try:
        assert again.health()["status"] == "ok"
        welcome_again, _ = back.connect("Kim")
        assert welcome_again["conversation_id"] == writer.conversation
        db = sqlite3.connect(restored / "journal.sqlite3")
        kept = dict(db.execute("SELECT seq, text FROM messages").fetchall())
        db.close()
        assert all(kept.get(seq) == text for _, seq, text in before), "an acknowledged message is missing"
        assert back.say("and after the restore")["seq"] > max(seq for _, seq, _ in before)  # it takes more
    finally:
        back.close()
        again.stop()


def test_with_postgresql_it_refuses_and_names_pg_dump(tmp_path: Path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "journal.sqlite3").write_bytes(b"")
    said = backup("create", str(tmp_path / "b"), "--data-dir", str(tmp_path / "data"),
                  OPENLINES_DATABASE_URL="postgresql://openlines@db/openlines")
    assert said.returncode == 2 and "pg_dump" in said.stderr and "pg_restore" in said.stderr
    assert not (tmp_path / "b").exists()


def test_a_backup_dir_in_use_or_an_incomplete_backup_is_refused(tmp_path: Path):
    data, target = tmp_path / "data", tmp_path / "b"
    data.mkdir()
    sqlite3.connect(data / "journal.sqlite3").execute("CREATE TABLE t (x)").connection.close()
    target.mkdir()
    (target / "something").write_text("mine")
    assert "is not empty: refused" in backup("create", str(target), "--data-dir", str(data)).stderr
    assert (target / "something").read_text() == "mine"
    said = backup("restore", str(tmp_path), "--data-dir", str(tmp_path / "new"))
    assert said.returncode == 2 and "not a complete Open Lines backup" in said.stderr


def test_every_store_of_the_data_dir_comes_back_private_and_logs_stay_out(tmp_path: Path):
    data, target, restored = tmp_path / "data", tmp_path / "b", tmp_path / "r"
    data.mkdir()
    for name in ("journal.sqlite3", "console.sqlite3"):
        db = sqlite3.connect(data / name)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE t (x)")
        db.execute("INSERT INTO t VALUES (?)", (name,))
        db.commit()  # left open: its last commit is in the WAL only, as under a running product
    trees = {"crm/identities/ab/abc.json": b'{"id": 1}', "crm/contacts/c1/c1x.json": b"{}",
             "crm/transcripts/t1/t1.txt": b"hello", "files/index/to/token.json": b"{}",
             "files/blobs/00/00ff": b"\x89PNG", "secret.key": b"k" * 32, "errbot/core.db": b"x"}
    for name, content in trees.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    (data / "errbot.log").write_text("a log line")
    assert backup("create", str(target), "--data-dir", str(data)).returncode == 0
    assert backup("restore", str(target), "--data-dir", str(restored)).returncode == 0
    for name in ("journal.sqlite3", "console.sqlite3"):
        assert sqlite3.connect(restored / name).execute("SELECT x FROM t").fetchall() == [(name,)]
    for name, content in trees.items():
        assert (restored / name).read_bytes() == content
        assert (restored / name).stat().st_mode & 0o077 == 0
    assert not (restored / "errbot.log").exists() and not list(restored.glob("*-wal"))
