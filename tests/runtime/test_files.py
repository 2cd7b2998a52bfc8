"""The file store: one copy per content, an unguessable URL per upload, safe to serve."""
from __future__ import annotations

import aiohttp

from runtime.files import DiskFiles
from tests.support.runtime import Running


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
        image = await running.run(files.put(b"\x89PNG...", "cat.png", "image/png"))
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
