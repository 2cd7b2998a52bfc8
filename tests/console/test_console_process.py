"""The run command on its defaults: the web team console, as a newcomer meets it, in a real process."""
from __future__ import annotations

import os
import re
import subprocess

import aiohttp
import pytest

from tests.support.console import FIRST_PASSWORD as PASSWORD, TeamMember, first_admin
from tests.support.customer import Customer
from tests.support.mounts import read_only
from tests.support.process import ERRBOT, ROOT, OpenLinesProcess

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
LINK = re.compile(r"(http://\S+/team/#welcome=\S+)")


@pytest.fixture
def bot(tmp_path):
    process = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console")
    yield process
    process.stop()


@pytest.fixture(params=("data dir", "postgresql"))
def bot_on(request, tmp_path):
    """The console on either store: with OPENLINES_DATABASE_URL its accounts, rooms, files and the CRM
    live in PostgreSQL (the journal is kept in the data dir here: its own suite covers it there)."""
    env = {"OPENLINES_TEAM_BACKEND": "Console"}
    if request.param == "postgresql":
        env |= {"OPENLINES_DATABASE_URL": request.getfixturevalue("pg_database"),
                "OPENLINES_JOURNAL_URL": f"sqlite://{tmp_path / 'journal.sqlite3'}"}
    process = OpenLinesProcess(tmp_path, **env)
    yield process
    process.stop()
    if request.param == "postgresql":
        assert {p.name for p in tmp_path.iterdir()}.isdisjoint({"console.sqlite3", "files", "crm"})


def test_the_first_start_prints_a_one_time_password_that_no_log_holds(bot, tmp_path):
    first = bot.wait_for(PASSWORD).group(1)
    log = (tmp_path / "errbot.log").read_text()
    assert first not in log
    member = TeamMember(bot.port)
    try:
        assert member.sign_in("operator", "not it") == 401
        assert member.sign_in("operator", first) == 200
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # choose a password first
            member.connect()
        assert refused.value.status == 403
        assert member.choose_password("short") == 400
        assert member.choose_password("a long enough password") == 200
        hello = member.connect()
        assert hello["me"] == {"login": "operator", "name": "operator", "admin": True}
        assert any(c["command"] == "!answer" for c in hello["commands"])
    finally:
        member.close()
    again = TeamMember(bot.port)
    try:
        assert again.sign_in("operator", first) == 401  # one-time: the chosen password replaced it
    finally:
        again.close()
    assert (tmp_path / "console.sqlite3").stat().st_mode & 0o777 == 0o600


def test_an_operator_answers_a_customer_from_the_console(bot_on):
    bot = bot_on
    admin = first_admin(bot)
    customer = Customer(bot.port)
    try:
        admin.connect()
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]
        announced = admin.message("#support", "New conversation 1")
        assert announced["format"] == "post" and announced["post"]["kind"] == "announce"
        admin.wait(lambda f: f["type"] == "glance" and any(c["id"] == "1" and c["waiting"] for c in f["conversations"]))

        admin.say("#support", "!answer 1")
        admin.message("#support", "You answer conversation 1")
        room = admin.wait(lambda f: f["type"] == "room" and f["room"] == "#support-1")
        assert room["kind"] == "conversation" and room["conversation"] == "1"
        admin.send({"type": "open", "room": "#support-1"})
        history = admin.wait(lambda f: f["type"] == "history" and f["room"] == "#support-1")
        said = [m for m in history["messages"] if m.get("post", {}).get("kind") == "customer"]
        assert said[0]["post"]["text"] == "Where is my parcel?" and said[0]["post"]["author"] == "Lee"

        customer.call_tab(lambda tab: tab.send(type="typing", on=True))  # the customer typing, on the console
        typing = admin.wait(lambda f: f["type"] == "typing")
        assert (typing["room"], typing["who"], typing["on"]) == ("#support-1", "customer", True)
        admin.send({"type": "typing", "room": "#support-1", "on": True})  # the operator typing, on the widget
        assert customer.call_tab(lambda tab: tab.expect("typing"))["on"] is True
        seq = said[0]["post"]["seq"]
        admin.send({"type": "read", "room": "#support-1", "id": said[0]["id"], "seq": seq})
        assert customer.call_tab(lambda tab: tab.expect("read"))["seq"] == seq

        admin.say("#support-1", "It left the warehouse this morning.")
        assert customer.next_message()["text"] == "It left the warehouse this morning."
        status, uploaded = admin.upload("route.png", PNG, "image/png")
        assert status == 200 and uploaded["kind"] == "image"
        admin.say("#support-1", "Here is the route.", files=[uploaded["token"]])
        shown = admin.message("#support-1", "Here is the route.")
        assert shown["files"][0]["content_type"] == "image/png"  # the page shows it in place
        assert customer.next_message()["text"] == "Here is the route."
        assert admin.get(shown["files"][0]["url"].split(str(bot.port), 1)[1])[0] == 200
        admin.say("#support-1", "~ check the courier's site first")
        admin.say("#support-1", "!close")
        assert "closed" in customer.next_message()["text"]  # the closing message, never the whisper
        admin.message("#support-1", "Conversation closed by @operator")
    finally:
        customer.close()
        admin.close()


def test_admins_add_employees_who_see_only_what_their_rights_allow(bot):
    admin = first_admin(bot)
    customer = Customer(bot.port)
    newcomer = TeamMember(bot.port)
    try:
        admin.connect()
        admin.say("@operator", "!console add kim Kim Lane")
        link = LINK.search(admin.message("@operator", "can sign in once")["text"]).group(1)
        assert newcomer.redeem(link) == 200
        assert newcomer.choose_password("kim's own password") == 200
        stranger = TeamMember(bot.port)
        assert stranger.redeem(link) == 401  # the link works once
        stranger.close()

        customer.connect("Ann")
        customer.say("Hello?")
        admin.message("#support", "New conversation 1")
        hello = newcomer.connect()
        assert hello["me"]["admin"] is False
        assert [r["room"] for r in hello["rooms"]] == ["@kim"]  # not an operator of Support
        newcomer.send({"type": "open", "room": "#support-1"})
        assert newcomer.wait(lambda f: f["type"] == "error")["code"] == "not_allowed"
        newcomer.say("#support", "sneaking in")
        assert newcomer.wait(lambda f: f["type"] == "error" and "#support" in f["message"])["code"] == "not_allowed"

        newcomer.say("@kim", "!room list")
        assert "not allowed" in newcomer.message("@kim", "allowed")["text"].lower()
        newcomer.say("@kim", "!help")
        listing = newcomer.message("@kim", "**")["text"]
        assert listing.index("!answer") < listing.index("!whoami")
        assert "!room" not in listing and "!console" not in listing

        admin.say("@operator", "!console revoke kim")
        admin.message("@operator", "Ended 1 session")
        newcomer.wait(lambda f: f["type"] == "closed")
        assert newcomer.get("/team/me")[0] == 401
    finally:
        newcomer.close()
        customer.close()
        admin.close()


def _restart(data_dir) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENLINES_DATA_DIR": str(data_dir), "OPENLINES_HTTP_PORT": "0",
           "OPENLINES_TEAM_BACKEND": "Console"}
    return subprocess.run([str(ERRBOT), "-c", "config.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=90)


def _exits_with_one_clear_line(done: subprocess.CompletedProcess[str]) -> None:
    said = done.stdout + done.stderr
    assert done.returncode != 0
    assert said.count("Open Lines cannot start: ") == 1, said[-2000:]
    assert "Team console: sign in" not in said and "Traceback" not in said


def test_a_restart_with_a_read_only_journal_exits_with_one_clear_line(bot, tmp_path):
    bot.stop()
    with read_only(tmp_path / "journal.sqlite3"):
        _exits_with_one_clear_line(_restart(tmp_path))


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small disk needs root")
def test_a_restart_with_the_disk_full_exits_with_one_clear_line(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)], check=True)
    try:
        OpenLinesProcess(disk / "data", OPENLINES_TEAM_BACKEND="Console").stop()
        subprocess.run(["dd", "if=/dev/zero", f"of={disk}/filler", "bs=1M", "count=64"], capture_output=True)
        _exits_with_one_clear_line(_restart(disk / "data"))
    finally:
        subprocess.run(["umount", str(disk)], check=True)
