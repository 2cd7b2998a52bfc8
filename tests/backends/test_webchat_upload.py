"""Customers' files: one POST answered with the message's ack; refused uploads store nothing."""
from __future__ import annotations

import io
import zlib
from pathlib import Path

import aiohttp
import psycopg
import pytest

from tests.support.postgres import embedded_only

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDAT" + zlib.compress(b"\x00\x00\x00\x00\x00")[:13] + b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _form(token: str | None, client_id: str = "f1", data: bytes = PNG, name: str = "photo.png",
          content_type: str = "image/png", text: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if token is not None:
        form.add_field("visitor_token", token)
    form.add_field("client_id", client_id)
    if text is not None:
        form.add_field("text", text)
    form.add_field("file", io.BytesIO(data), filename=name, content_type=content_type)
    return form


async def _post(session, runtime, form) -> tuple[int, dict]:
    async with session.post(f"http://127.0.0.1:{runtime.http_port}/webchat/support/upload", data=form) as resp:
        return resp.status, await resp.json()


def _stored(runtime) -> list[str]:
    """The contents stored: files in the data dir, or rows in PostgreSQL."""
    if runtime.settings.database_url:
        with psycopg.connect(runtime.settings.database_url) as db:
            return [r[0] for r in db.execute("SELECT sha256 FROM file_blobs")]
    return [p.name for p in Path(runtime.settings.path("files")).glob("blobs/*/*")]


async def test_a_file_is_acked_shown_on_every_tab_in_history_and_to_the_operators(runtime, connect, session):
    tab = await connect()
    await tab.hello()
    other = await connect()
    await other.hello(tab.token)
    status, ack = await _post(session, runtime, _form(tab.token, text="my receipt"))
    assert status == 200 and ack["type"] == "ack" and ack["client_id"] == "f1"
    shown = await other.expect("message", seq=ack["seq"])
    [file] = shown["attachments"]
    assert file["name"] == "photo.png" and file["size"] == len(PNG) and file["content_type"] == "image/png"
    assert shown["text"] == "my receipt"
    async with session.get(file["url"]) as resp:
        assert await resp.read() == PNG and resp.headers["X-Content-Type-Options"] == "nosniff"
    _, history = await (await connect()).hello(tab.token, last_seq=0)
    assert history["messages"][0]["attachments"][0]["url"] == file["url"]
    runtime.team.wait_for(lambda team: any("photo.png" in r for r in team.rendered("support-1")))
    status, again = await _post(session, runtime, _form(tab.token))  # the same client_id: the same ack
    assert status == 200 and again["seq"] == ack["seq"]


async def test_a_pdf_downloads_as_an_attachment(runtime, connect, session):
    tab = await connect()
    await tab.hello()
    status, ack = await _post(session, runtime, _form(tab.token, data=b"%PDF-1.4 x", name="invoice.pdf",
                                                      content_type="application/pdf"))
    assert status == 200
    _, history = await (await connect()).hello(tab.token, last_seq=0)
    url = history["messages"][0]["attachments"][0]["url"]
    async with session.get(url) as resp:
        assert resp.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("token", [None, "", "forged.token", "abc.0123456789abcdef0123456789abcdef"])
async def test_a_missing_or_forged_token_is_refused_and_nothing_is_stored(runtime, session, token):
    status, error = await _post(session, runtime, _form(token))
    assert status == 403 and error["code"] == "bad_token"
    assert _stored(runtime) == []


async def test_a_type_outside_the_allow_list_is_refused(runtime, connect, session):
    tab = await connect()
    await tab.hello()
    status, error = await _post(session, runtime, _form(tab.token, data=b"<script>", name="x.html",
                                                        content_type="text/html"))
    assert status == 415 and error["code"] == "bad_type" and error["client_id"] == "f1"
    assert _stored(runtime) == []


async def test_a_file_over_the_size_limit_is_refused(make_runtime, session):
    runtime = make_runtime(max_upload_mb=1)
    async with aiohttp.ClientSession() as s:
        tab_ws = await s.ws_connect(f"http://127.0.0.1:{runtime.http_port}/webchat/support/ws")
        await tab_ws.send_json({"type": "hello", "visitor_token": None, "last_seq": 0})
        token = (await tab_ws.receive_json())["visitor_token"]
        status, error = await _post(s, runtime, _form(token, data=b"x" * (1024 * 1024 + 1), name="big.txt",
                                                      content_type="text/plain"))
        await tab_ws.close()
    assert status == 413 and error["code"] == "too_large"
    assert _stored(runtime) == []


async def test_a_form_without_a_file_or_not_a_form_is_a_clear_error(runtime, connect, session):
    tab = await connect()
    await tab.hello()
    form = aiohttp.FormData()
    form.add_field("visitor_token", tab.token)
    form.add_field("client_id", "nofile")
    assert (await _post(session, runtime, form))[0] == 400
    async with session.post(f"http://127.0.0.1:{runtime.http_port}/webchat/support/upload", data=b"junk",
                            headers={"Content-Type": "text/plain"}) as resp:
        assert resp.status == 400 and (await resp.json())["type"] == "error"


async def test_a_carriage_return_in_a_file_name_is_a_4xx_not_a_500(runtime, connect, session, caplog):
    tab = await connect()
    await tab.hello()
    body = (f'--b\r\nContent-Disposition: form-data; name="visitor_token"\r\n\r\n{tab.token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="client_id"\r\n\r\ncr1\r\n'
            '--b\r\nContent-Disposition: form-data; name="file"; filename="a\rb.png"\r\n'
            'Content-Type: image/png\r\n\r\n').encode() + PNG + b"\r\n--b--\r\n"
    async with session.post(f"http://127.0.0.1:{runtime.http_port}/webchat/support/upload", data=body,
                            headers={"Content-Type": "multipart/form-data; boundary=b"}) as resp:
        assert 400 <= resp.status < 500
    assert "Traceback" not in caplog.text and "Error handling request" not in caplog.text


async def _visitor(session, runtime) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await session.ws_connect(f"http://127.0.0.1:{runtime.http_port}/webchat/support/ws")
    await ws.send_json({"type": "hello", "visitor_token": None, "last_seq": 0})
    return ws, (await ws.receive_json())["visitor_token"]


async def test_a_visitor_and_an_address_have_a_daily_upload_quota_and_text_still_goes(make_runtime, session):
    runtime = make_runtime(webchat_upload_mb_per_visitor_day=1, webchat_upload_mb_per_ip_day=2)
    half = PNG + b"\0" * (600 * 1024)
    ws, token = await _visitor(session, runtime)
    assert (await _post(session, runtime, _form(token, "q1", data=half)))[0] == 200
    async with session.post(f"http://127.0.0.1:{runtime.http_port}/webchat/support/upload",
                            data=_form(token, "q2", data=half + b"1")) as resp:
        error = await resp.json()
        assert resp.status == 429 and error["code"] == "quota" and int(resp.headers["Retry-After"]) > 3600
    await ws.send_json({"type": "message", "client_id": "t1", "text": "then I describe it"})
    while (await ws.receive_json())["type"] != "ack":
        pass
    # Other visitors from the same address share the address's quota (2 MB here)
    others = [await _visitor(session, runtime) for _ in range(3)]
    statuses = [(await _post(session, runtime, _form(t, f"o{n}", data=half + bytes([n]))))[0]
                for n, (_, t) in enumerate(others)]
    assert statuses == [200, 200, 429]
    assert len(_stored(runtime)) == 3
    for other, _ in [(ws, token), *others]:
        await other.close()


async def test_an_upload_sent_again_is_counted_once_against_the_daily_quotas(make_runtime, session):
    """A page that heard no ack (its socket dropped) sends the upload again, with the same client id."""
    runtime = make_runtime(webchat_upload_mb_per_visitor_day=1, webchat_upload_mb_per_ip_day=1)
    half, third = PNG + b"\0" * (600 * 1024), PNG + b"\1" * (300 * 1024)
    ws, token = await _visitor(session, runtime)
    status, ack = await _post(session, runtime, _form(token, "r1", data=half))
    assert status == 200
    status, again = await _post(session, runtime, _form(token, "r1", data=half))  # not 1.2 MB of the 1 MB
    assert status == 200 and again["seq"] == ack["seq"]
    assert (await _post(session, runtime, _form(token, "r2", data=third)))[0] == 200  # 0.9 MB counted
    status, error = await _post(session, runtime, _form(token, "r1", data=third))  # other bytes: another upload
    assert status == 429 and error["code"] == "quota"
    await ws.close()


@embedded_only  # files in PostgreSQL are bounded by OPENLINES_MAX_UPLOAD_MB, not by this machine's disk
async def test_below_the_free_disk_floor_files_are_refused_and_text_still_goes(make_runtime, session):
    runtime = make_runtime(min_free_disk_mb=1024 ** 3)  # more than any disk: the floor is always reached
    ws, token = await _visitor(session, runtime)
    status, error = await _post(session, runtime, _form(token, "f1"))
    assert status == 507 and error["code"] == "storage_full" and "as text" in error["message"]
    assert _stored(runtime) == []
    await ws.send_json({"type": "message", "client_id": "t1", "text": "my order number is 12"})
    while (frame := await ws.receive_json())["type"] != "ack":
        pass
    assert frame["client_id"] == "t1"
    await ws.close()
