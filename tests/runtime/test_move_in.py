"""Moving in: an install run on its embedded stores, copied into PostgreSQL, then run there.

Real processes all the way: `errbot -c config.py` with the web console on SQLite, TinyDB and the data
dir; `python -m runtime.move_in`; the same install started with OPENLINES_DATABASE_URL, with the
embedded stores moved out of its data dir, shows the same history, CRM, file and sign-in.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import psycopg

from tests.support.console import TeamMember
from tests.support.customer import Customer
from tests.support.postgres import pg_database  # noqa: F401  (a fixture)
from tests.support.process import ROOT, OpenLinesProcess

PASSWORD = re.compile(r"as “operator” with the one-time password (\S+) ")
CHOSEN = "correct horse battery"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
EMBEDDED = ("journal.sqlite3", "console.sqlite3", "crm", "files")


def move_in(data_dir, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENLINES_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "runtime.move_in", "--data-dir", str(data_dir)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def transcripts(url: str, timeout: float = 15) -> int:
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as db:
        while True:
            count = db.execute("SELECT count(*) FROM crm_activities WHERE kind = 'transcript'").fetchone()[0]
            if count or time.monotonic() > deadline:
                time.sleep(0.5)  # and no second one comes
                return int(db.execute("SELECT count(*) FROM crm_activities").fetchone()[0])
            time.sleep(0.1)


def a_day_on_the_embedded_stores(data_dir) -> tuple[Customer, str]:
    """A customer, an answer, a file, a close (the transcript to the CRM); returns the customer and the file's path."""
    bot = OpenLinesProcess(data_dir, OPENLINES_TEAM_BACKEND="Console")
    admin, customer = TeamMember(bot.port), Customer(bot.port)
    try:
        assert admin.sign_in("operator", bot.wait_for(PASSWORD).group(1)) == 200
        assert admin.choose_password(CHOSEN) == 200
        admin.connect()
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        customer.next_message()  # the welcome
        admin.message("#support", "New conversation 1")
        admin.say("#support", "!answer 1")
        admin.message("#support", "You answer conversation 1")
        admin.say("#support-1", "It left the warehouse this morning.")
        assert customer.next_message()["text"] == "It left the warehouse this morning."
        status, uploaded = admin.upload("route.png", PNG, "image/png")
        assert status == 200
        admin.say("#support-1", "Here is the route.", files=[uploaded["token"]])
        shown = admin.message("#support-1", "Here is the route.")
        assert customer.next_message()["text"] == "Here is the route."
        admin.say("#support-1", "!close")
        admin.message("#support-1", "Conversation closed by @operator")
        customer.next_message()  # the closing message
        path = shown["files"][0]["url"].split(str(bot.port), 1)[1]
    finally:
        admin.close()
        customer.close()
        bot.stop()
    return customer, path


def test_an_embedded_install_moves_into_postgresql_and_goes_on_there(tmp_path, pg_database):
    data = tmp_path / "data"
    customer, file_path = a_day_on_the_embedded_stores(data)

    moved = move_in(data, pg_database)
    assert moved.returncode == 0, moved.stderr
    assert "journal: 1 meta, 1 lines, 1 bindings, 1 conversations" in moved.stdout
    assert "crm: 1 contacts, 1 leads" in moved.stdout  # the transcript, if still owed, is owed work moved in
    assert "files: 1 files" in moved.stdout and "console: 1 accounts" in moved.stdout
    again = move_in(data, pg_database)  # never over data
    assert again.returncode == 2 and "is not empty" in again.stderr and "createdb" in again.stderr
    with psycopg.connect(pg_database) as db:
        assert db.execute("SELECT count(*) FROM crm_leads").fetchone() == (1,)
        assert db.execute("SELECT name FROM crm_contacts").fetchone() == ("Lee",)

    aside = tmp_path / "moved-out"  # the embedded stores gone: whatever is served now comes from PostgreSQL
    aside.mkdir()
    for name in EMBEDDED:
        shutil.move(str(data / name), str(aside / name))
    bot = OpenLinesProcess(data, OPENLINES_TEAM_BACKEND="Console", OPENLINES_DATABASE_URL=pg_database)
    admin, returning = TeamMember(bot.port), Customer(bot.port)
    try:
        assert admin.sign_in("operator", CHOSEN) == 200  # the account and its password moved in
        admin.connect()
        admin.send({"type": "open", "room": "#support-1"})
        admin.message("#support-1", "Where is my parcel?")  # the room's history
        status, body = admin.get(file_path)
        assert status == 200  # the file, under its old address

        returning.token, returning.last_seq = customer.token, 0  # the customer's tab reloads: the same history
        _, history = returning.connect("Lee")
        texts = [m["text"] for m in history["messages"]]
        assert "Where is my parcel?" in texts and "It left the warehouse this morning." in texts
        returning.say("Me again")
        admin.message("#support", "New conversation 2")  # numbering goes on past the moved history
        assert transcripts(pg_database) == 1  # done before the move, or owed and done now: once
    finally:
        admin.close()
        returning.close()
        bot.stop()
    assert not any((data / name).exists() for name in EMBEDDED)  # nothing written back to the data dir


def test_moving_in_says_clearly_what_is_wrong(tmp_path, pg_database):
    refused = move_in(tmp_path / "nothing-here", pg_database)
    assert refused.returncode == 2 and "holds no Open Lines journal" in refused.stderr
    env = {k: v for k, v in os.environ.items() if k != "OPENLINES_DATABASE_URL"}
    unset = subprocess.run([sys.executable, "-m", "runtime.move_in", "--data-dir", str(tmp_path)], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert unset.returncode == 2 and "OPENLINES_DATABASE_URL" in unset.stderr
