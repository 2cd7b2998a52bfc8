"""Crashes: a store killed at any moment reopens with every acknowledged write."""
from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import crm_store.storage
import crm_store.tinydb_store
from bridge.ports import CustomerProfile
from crm_store import TinyDbCrm
from crm_store.layout import Layout
from durable.files import write_atomic

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 5


def run_and_kill(store_dir: Path, tag: str, acks_wanted: int) -> list[list[str]]:
    """Run the writer until it has acknowledged ``acks_wanted`` writes, then SIGKILL it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, str(WRITER), str(store_dir), tag]
    acks: list[list[str]] = []
    with subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while len(acks) < acks_wanted:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer died: {proc.stderr.read()[-2000:]}")
            acks.append(line.split())
        proc.send_signal(signal.SIGKILL)  # mid-way through the next write
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return acks


def check_acks(store: TinyDbCrm, acks: list[list[str]]) -> None:
    for kind, *fields in acks:
        if kind == "L":
            identity, contact_id, lead_id = fields
            found = store.find_contact("webchat", identity)
            assert found is not None and found.id == contact_id
            assert [lead.id for lead in store.leads_of(contact_id)] == [lead_id]
        elif kind == "A":
            contact_id, activity_id, key = fields
            [activity] = store.activities_of(contact_id)
            assert (activity.id, activity.external_key) == (activity_id, key)
            assert len(activity.body) == 2048
        else:
            contact_id, value = fields
            contact = store.get_contact(contact_id)
            assert contact is not None
            assert value in contact.tags if kind == "T" else contact.name == value


def test_sigkill_at_random_moments_loses_no_acknowledged_write(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    print(f"kill points drawn with seed {seed}")  # shown if the test fails
    store_dir = tmp_path / "crm"
    all_acks: list[list[str]] = []
    for run in range(KILLS):
        all_acks += run_and_kill(store_dir, f"r{run}", rng.randint(1, 40))
        store = TinyDbCrm(store_dir)  # opens every time...
        try:
            check_acks(store, all_acks)  # ...with everything acknowledged so far
            assert store.link_customer(CustomerProfile("webchat", f"after-{run}"), "Web").is_new
        finally:
            store.close()


class Crash(BaseException):
    """Stands in for a kill: raised instead of the Nth file write, so nothing later runs."""


def crash_at(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    calls = 0

    def failing(path: Path, data: bytes, **kwargs: bool) -> bool:
        nonlocal calls
        calls += 1
        if calls == nth:
            raise Crash
        return write_atomic(path, data, **kwargs)

    monkeypatch.setattr(crm_store.storage, "write_atomic", failing)
    monkeypatch.setattr(crm_store.tinydb_store, "write_atomic", failing)


def customer_story(store: TinyDbCrm) -> None:
    link = store.link_customer(CustomerProfile("webchat", "v1", "Alice"), "Web")
    store.add_activity(link.contact_id, "transcript", "Chat", "body", "conversation:c1")
    store.tag_contact(link.contact_id, "vip")


@pytest.mark.parametrize("nth", range(1, 6))
def test_a_crash_before_any_write_leaves_whole_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nth: int
) -> None:
    crash_at(monkeypatch, nth)
    with pytest.raises(Crash):
        customer_story(TinyDbCrm(tmp_path / "crm"))
    monkeypatch.undo()
    store = TinyDbCrm(tmp_path / "crm")
    contact = store.find_contact("webchat", "v1")
    if contact is not None:  # linked: always with its lead
        assert len(store.leads_of(contact.id)) == 1
        assert [a.body for a in store.activities_of(contact.id)] in ([], ["body"])
    customer_story(store)  # and the story can be told again, to the end
    contact = store.find_contact("webchat", "v1")
    assert contact is not None and contact.tags == ("vip",)
    assert len(store.activities_of(contact.id)) == 1


def test_a_failed_write_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TinyDbCrm(tmp_path / "crm")
    contact = store.create_contact("Alice", None, "webchat", "v1")
    path = Layout(tmp_path / "crm").contact(contact.id)
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.update_contact(contact.id, name="Bob")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert store.get_contact(contact.id) == contact
