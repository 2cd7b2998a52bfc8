"""/healthz tells the truth: failing when nothing can be stored or work is being given up."""
from __future__ import annotations

import aiohttp

from bridge.store import NewWork, UnitOfWork
from tests.support.mounts import read_only
from tests.support.runtime import Running
from tests.support.webchat import wait_until


async def _health(running: Running, **headers: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{running.base_url}/healthz", headers=headers) as response:
            return response.status, await response.json()


async def test_healthy_and_then_a_journal_that_cannot_write(tmp_path):
    running = Running(tmp_path)
    try:
        status, body = await _health(running)
        assert status == 200 and body["status"] == "ok" and body["journal"] == "ok"
        running.app.journal._writer.close()  # type: ignore[union-attr]  # the writer thread is gone
        status, body = await _health(running)
        assert status == 503 and body["status"] == "failing" and body["journal"] == "cannot write"
    finally:
        running.stop()


async def test_work_given_up_makes_it_fail_and_details_stay_on_this_machine(tmp_path):
    running = Running(tmp_path)
    try:
        await running.run(running.app.services.core.commit(UnitOfWork(work=[NewWork("no.such.work", lane="x")])))
        await wait_until(lambda: running.app.services.core.outbox.recently_dead(0) > 0, what="the dead letter")
        status, body = await _health(running)
        assert status == 503 and body["recent_dead_letters"] == 1 and body["dead_letters"] == 1
        assert body["failed_channels"] == {}
        _, proxied = await _health(running, **{"X-Forwarded-For": "203.0.113.9"})
        assert proxied["failed_channels"] == 0  # a count, not the error types
    finally:
        running.stop()


async def test_the_data_dir_is_the_owners_only_whatever_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        running = Running(tmp_path / "data")
    finally:
        os.umask(old)
    try:
        files = running.host.files
        assert files is not None
        await running.run(files.put(b"hello", "a.txt", "text/plain"))
        assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
        for path in (tmp_path / "data").rglob("*"):
            if path.is_file() and path.suffix not in (".sqlite3-wal", ".sqlite3-shm"):
                assert path.stat().st_mode & 0o077 == 0, path
    finally:
        running.stop()


async def test_files_or_a_crm_that_cannot_be_written_make_it_fail(tmp_path):
    running = Running(tmp_path)
    try:
        files = running.host.files
        assert files is not None
        await running.run(files.put(b"hello", "a.txt", "text/plain"))
        status, body = await _health(running)
        assert status == 200 and (body["files"], body["crm"]) == ("ok", "ok")
        with read_only(tmp_path / "files"):
            status, body = await _health(running)
            assert status == 503 and body["files"] == "cannot write" and body["crm"] == "ok"
        with read_only(tmp_path / "crm"):
            status, body = await _health(running)
            assert status == 503 and body["files"] == "ok" and body["crm"] == "cannot write"
        assert (await _health(running))[0] == 200
    finally:
        running.stop()
