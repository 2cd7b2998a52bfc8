"""OPENLINES_DATABASE_URL puts the journal in PostgreSQL: the real runtime, a visitor over a real WebSocket."""
from __future__ import annotations

import asyncio

import psycopg

from journal_store.pg_schema import VERSION
from tests.support.postgres import emptied, pg_database  # noqa: F401  (a fixture)


async def test_with_a_database_url_the_journal_lives_in_postgresql(make_runtime, connect, tmp_path, pg_database):
    url = emptied(pg_database)
    data = tmp_path / "on-postgres"  # not "data": the connect fixture starts a runtime of its own there
    first = make_runtime(data, database_url=url)
    tab = await connect(port=first.http_port)
    await tab.hello(name="Ann")
    acks = [await tab.say(f"stored in PostgreSQL {i}", client_id=f"p{i}") for i in range(3)]
    await tab.close()
    await asyncio.to_thread(first.stop)

    assert not (data / "journal.sqlite3").exists()  # nothing of the journal in the data dir
    with psycopg.connect(url) as db:
        texts = [r[0] for r in db.execute("SELECT text FROM messages WHERE kind = 'inbound' ORDER BY seq")]
        schema = db.execute("SELECT version FROM schema_versions WHERE name = 'journal'").fetchone()
    assert texts == [f"stored in PostgreSQL {i}" for i in range(3)] and schema == (VERSION,)

    second = make_runtime(data, database_url=url)  # a restart: the same history, the same dedupe
    back = await connect(port=second.http_port)
    _, history = await back.hello(tab.token)
    assert [m["text"] for m in history["messages"] if m["from"] == "customer"] == texts
    assert await back.say("stored in PostgreSQL 0", client_id="p0") == acks[0]
    await back.close()
