"""The file store: one copy per content, an unguessable URL per upload, safe to serve.

One contract, two stores: every test runs on the data dir's files and on PostgreSQL
(``OPENLINES_DATABASE_URL``; a fresh database per module, emptied per test).
"""
from __future__ import annotations

import json

import aiohttp
import psycopg
import pytest

from bridge.errors import StorageFull
from runtime.files import DiskFiles
from runtime.pg_files import PgFiles
from tests.support.postgres import pg_database  # noqa: F401  (a fixture)
from tests.support.runtime import Running

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


@pytest.fixture(params=("disk", "postgresql"))
def database_url(request, tmp_path) -> str:
    """"" for the data dir's files; else the module's database, emptied of files."""
    if request.param == "disk":
        return ""
    url = request.getfixturevalue("pg_database")
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('file_uploads')").fetchone() != (None,):
            conn.execute("TRUNCATE file_uploads, file_blobs")
    return url


@pytest.fixture
def files(database_url, tmp_path):
    store = (PgFiles(database_url, "http://chat.example", max_bytes=1024 * 1024) if database_url
             else DiskFiles(tmp_path, "http://chat.example"))
    yield store
    store.close()


def running_on(database_url: str, tmp_path) -> Running:
    """Open Lines with its files (and CRM) in the store under test; the journal stays in SQLite."""
    if not database_url:
        return Running(tmp_path)
    running = Running(tmp_path, database_url=database_url, journal_url=f"sqlite://{tmp_path / 'journal.sqlite3'}")
    assert isinstance(running.host.files, PgFiles) and not (tmp_path / "files").exists()
    return running


def blob_count(files, tmp_path) -> int:
    if isinstance(files, PgFiles):
        with psycopg.connect(files._pool.url) as conn:
            return conn.execute("SELECT count(*) FROM file_blobs").fetchone()[0]
    return len([p for p in (tmp_path / "blobs").rglob("*") if p.is_file()])


async def test_a_file_comes_back_by_its_url_and_only_by_it(files, tmp_path):
    first = await files.put(b"%PDF-1.4 invoice", "../../etc/invoice.pdf", "application/pdf")
    second = await files.put(b"%PDF-1.4 invoice", "copy.pdf", "application/pdf")

    assert first.name == "invoice.pdf" and first.size == 16 and first.kind == "file"
    assert first.url.startswith("http://chat.example/files/") and first.url != second.url
    data, found = await files.get(first.url)
    assert data == b"%PDF-1.4 invoice" and found == first
    assert blob_count(files, tmp_path) == 1  # one blob for both uploads
    assert await files.get("http://chat.example/files/notatoken/x.pdf") is None
    assert await files.get("../../secret.key") is None


async def test_files_are_served_with_safe_headers(database_url, tmp_path):
    running = running_on(database_url, tmp_path)
    try:
        files = running.host.files
        assert files is not None
        image = await running.run(files.put(PNG, "cat.png", "image/png"))
        page = await running.run(files.put(b"<script>alert(1)</script>", "x.html", "text/html"))
        async with aiohttp.ClientSession() as session:
            async with session.get(image.url) as response:
                assert response.status == 200 and response.headers["Content-Type"] == "image/png"
                assert response.headers["Content-Disposition"].startswith("inline")
                assert response.headers["X-Content-Type-Options"] == "nosniff"
            async with session.get(page.url) as response:
                assert response.headers["Content-Disposition"].startswith("attachment")
                assert "sandbox" in response.headers["Content-Security-Policy"]
            async with session.get(f"{running.base_url}/files/AAAAAAAAAAAAAAAAAAAA/cat.png") as response:
                assert response.status == 404
    finally:
        running.stop()


async def test_files_are_typed_by_their_content_and_named_without_controls(database_url, tmp_path):
    running = running_on(database_url, tmp_path)
    try:
        files = running.host.files
        assert files is not None
        disguised = await running.run(files.put(b"<svg onload=alert(1)>", "cat.png", "image/png"))
        real = await running.run(files.put(PNG, "photo", "application/octet-stream"))
        renamed = await running.run(files.put(b"%PDF-1.4", "invoice\u202egnp.exe\u2028\x07", "application/pdf"))
        docx = await running.run(files.put(b"PK\x03\x04rest", "a.docx", "application/vnd.openxmlformats-"
                                                                      "officedocument.wordprocessingml.document"))
        assert disguised.content_type == "application/octet-stream" and disguised.kind == "file"
        assert real.content_type == "image/png" and real.kind == "image"
        assert renamed.name == "invoicegnp.exe"
        assert docx.content_type.endswith("wordprocessingml.document")
        async with aiohttp.ClientSession() as session:
            async with session.get(disguised.url) as response:
                assert response.headers["Content-Type"] == "application/octet-stream"
                assert response.headers["Content-Disposition"].startswith("attachment")
    finally:
        running.stop()


async def test_a_content_type_with_parameters_is_stored_and_served(database_url, tmp_path):
    running = running_on(database_url, tmp_path)
    try:
        files = running.host.files
        assert files is not None
        image = await running.run(files.put(PNG, "cat.png", "image/png; charset=utf-8"))
        note = await running.run(files.put(b"hello", "note.txt", "Text/Plain; charset=utf-8"))
        assert (image.content_type, note.content_type) == ("image/png", "text/plain")
        # and one stored so before: served too
        if database_url:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("UPDATE file_uploads SET content_type = 'text/plain; charset=utf-8' WHERE token = %s",
                             (note.ref,))
        else:
            index = next((tmp_path / "files" / "index").rglob(f"{note.ref}.json"))
            index.write_text(json.dumps({**json.loads(index.read_text()), "content_type": "text/plain; charset=utf-8"}))
        async with aiohttp.ClientSession() as session:
            for url in (image.url, note.url):
                async with session.get(url) as response:
                    assert response.status == 200
    finally:
        running.stop()


async def test_a_file_over_the_upload_limit_is_refused_by_the_database_store(pg_database):
    files = PgFiles(pg_database, "http://chat.example", max_bytes=1024)
    try:
        with pytest.raises(StorageFull):
            await files.put(b"x" * 1025, "big.bin", "application/octet-stream")
        kept = await files.put(b"x" * 1024, "small.bin", "application/octet-stream")
        assert (await files.get(kept.url))[0] == b"x" * 1024
    finally:
        files.close()


async def test_a_lost_database_connection_refuses_one_file_cleanly_and_the_next_one_is_kept(pg_database):
    files = PgFiles(pg_database, "http://chat.example", max_bytes=1024 * 1024)
    try:
        kept = await files.put(PNG, "cat.png", "image/png")
        with psycopg.connect(pg_database, autocommit=True) as admin:  # the server drops the store's sessions
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        with pytest.raises(StorageFull):
            await files.put(b"%PDF-1.4 lost", "a.pdf", "application/pdf")
        again = await files.put(b"%PDF-1.4 kept", "b.pdf", "application/pdf")
        assert (await files.get(again.url))[0] == b"%PDF-1.4 kept"
        assert (await files.get(kept.url))[0] == PNG
    finally:
        files.close()
