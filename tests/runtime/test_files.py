"""The file store: one copy per content, an unguessable URL per upload, safe to serve."""
from __future__ import annotations

import json

import aiohttp

from runtime.files import DiskFiles
from tests.support.runtime import Running

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


async def test_a_file_comes_back_by_its_url_and_only_by_it(tmp_path):
    files = DiskFiles(tmp_path, "http://chat.example")
    first = await files.put(b"%PDF-1.4 invoice", "../../etc/invoice.pdf", "application/pdf")
    second = await files.put(b"%PDF-1.4 invoice", "copy.pdf", "application/pdf")

    assert first.name == "invoice.pdf" and first.size == 16 and first.kind == "file"
    assert first.url.startswith("http://chat.example/files/") and first.url != second.url
    data, found = await files.get(first.url)
    assert data == b"%PDF-1.4 invoice" and found == first
    assert len(list((tmp_path / "blobs").rglob("*"))) == 2  # one folder, one blob for both uploads
    assert await files.get("http://chat.example/files/notatoken/x.pdf") is None
    assert await files.get("../../secret.key") is None


async def test_files_are_served_with_safe_headers(tmp_path):
    running = Running(tmp_path)
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


async def test_files_are_typed_by_their_content_and_named_without_controls(tmp_path):
    running = Running(tmp_path)
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


async def test_a_content_type_with_parameters_is_stored_and_served(tmp_path):
    running = Running(tmp_path)
    try:
        files = running.host.files
        assert files is not None
        image = await running.run(files.put(PNG, "cat.png", "image/png; charset=utf-8"))
        note = await running.run(files.put(b"hello", "note.txt", "Text/Plain; charset=utf-8"))
        assert (image.content_type, note.content_type) == ("image/png", "text/plain")
        # and one stored so before: served too
        index = next((tmp_path / "files" / "index").rglob(f"{note.ref}.json"))
        index.write_text(json.dumps({**json.loads(index.read_text()), "content_type": "text/plain; charset=utf-8"}))
        async with aiohttp.ClientSession() as session:
            for url in (image.url, note.url):
                async with session.get(url) as response:
                    assert response.status == 200
    finally:
        running.stop()
