"""Which PostgreSQL driver the journal uses: accept throughput of each, on this machine.

An accept is what the core stores for a customer's first message: one
transaction inserting a conversation, the message and two work items (the
journal's own tables and SQL). Measured with 1 and 64 accepts in flight:

  asyncpg        a pool of connections, one transaction per accept
  psycopg-async  psycopg 3's AsyncConnection, the same
  psycopg-thread psycopg 3 in the journal's writer thread: group commit (the
                 accepts in flight share one transaction, a savepoint each)
  core (pg)      the real accept path (InboundService) over PgJournal
  core (sqlite)  the same over the embedded journal, for scale

    .venv/bin/python bench/pg_driver_bench.py [--count 2000] [--server postgresql://postgres@127.0.0.1:5432/]

Measured 2026-12-07 on the 2-core build machine (shared, load ~7), accepts/s at 1 / 64 in flight:
asyncpg 343 / 1239, psycopg-async 396 / 731, psycopg-thread 345 / 581, core (pg) 167 / 207,
core (sqlite) 433 / 2423. asyncpg is the faster driver with many in flight (1.7x psycopg's async
API); equal one at a time. The journal uses psycopg 3 all the same: its blocking API runs the
journal's one set of SQL functions (shared with SQLite, one contract) in the writer thread with
group commit; asyncpg would need a second, async copy of every statement. The core's accept on
PostgreSQL was then bound by sequential round trips on its one writer connection; since cut (five a
message, four writers), it is bound by CPU, the driver's included: docs/benchmarks.md. (asyncpg is
not in requirements.txt: install it in a scratch environment to run this.)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg  # noqa: E402
import psycopg  # noqa: E402

from bench.journal_bench import BINDING, LINE, NullTeam  # noqa: E402
from bridge.channels import InboundMessage  # noqa: E402
from bridge.ports import SystemClock  # noqa: E402
from bridge.services import Services  # noqa: E402
from bridge.work_kinds import Work, conversation_lane  # noqa: E402
from crm_store import MemoryCrm  # noqa: E402
from crm_store.port import AsyncCrm  # noqa: E402
from journal_store import open_journal  # noqa: E402
from journal_store.pg_connect import connect, migrate  # noqa: E402
from journal_store.pg_schema import STEPS, VERSION  # noqa: E402

CONVERSATION = ("INSERT INTO conversations (line_id, binding_id, customer_ref, status, created_at, open_key, version,"
                " doc) VALUES ('support', 'webchat:support', {0}, 'queued', {1}, {2}, 1, '{{}}') RETURNING id")
MESSAGE = ("INSERT INTO messages (conversation_id, kind, author, text, ts, dedupe_key, delivery, doc)"
           " VALUES ({0}, 'inbound', 'Alice', 'hello', {1}, {2}, 'none', '{{}}') RETURNING seq")
WORK = ("INSERT INTO work (kind, lane, conversation_id, payload, not_before, state, created_at)"
        " VALUES ({0}, {1}, {2}, {3}, {4}, 'pending', {5})")


def sql(template: str, mark: Callable[[int], str], n: int) -> str:
    return template.format(*(mark(i) for i in range(1, n + 1)))


async def timed(count: int, concurrency: int, accept: Callable[[int], Awaitable[None]]) -> float:
    started = time.perf_counter()
    for first in range(0, count, concurrency):
        await asyncio.gather(*(accept(i) for i in range(first, min(count, first + concurrency))))
    return count / (time.perf_counter() - started)


async def with_asyncpg(url: str, count: int, concurrency: int, tag: str) -> float:
    pool = await asyncpg.create_pool(url, min_size=min(concurrency, 10), max_size=min(concurrency, 10))
    d = lambda i: f"${i}"  # noqa: E731

    async def accept(i: int) -> None:
        ref, now = f"{tag}-{i}", time.time()
        async with pool.acquire() as conn, conn.transaction():
            cid = await conn.fetchval(sql(CONVERSATION, d, 3), ref, now, ref)
            seq = await conn.fetchval(sql(MESSAGE, d, 3), cid, now, ref)
            for kind in (Work.TEAM_ROOM, Work.TEAM_POST):
                await conn.execute(sql(WORK, d, 6), kind.value, conversation_lane(kind, str(cid)), cid,
                                   json.dumps({"seq": seq}), now, now)
    try:
        return await timed(count, concurrency, accept)
    finally:
        await pool.close()


async def with_psycopg_async(url: str, count: int, concurrency: int, tag: str) -> float:
    conns: asyncio.Queue[Any] = asyncio.Queue()
    for _ in range(min(concurrency, 10)):
        conns.put_nowait(await psycopg.AsyncConnection.connect(url))
    p = lambda i: "%s"  # noqa: E731

    async def accept(i: int) -> None:
        ref, now = f"{tag}-{i}", time.time()
        conn = await conns.get()
        try:
            async with conn.transaction():
                cid = (await (await conn.execute(sql(CONVERSATION, p, 3), (ref, now, ref))).fetchone())[0]
                seq = (await (await conn.execute(sql(MESSAGE, p, 3), (cid, now, ref))).fetchone())[0]
                for kind in (Work.TEAM_ROOM, Work.TEAM_POST):
                    await conn.execute(sql(WORK, p, 6), (kind.value, conversation_lane(kind, str(cid)), cid,
                                                         json.dumps({"seq": seq}), now, now))
        finally:
            conns.put_nowait(conn)
    try:
        return await timed(count, concurrency, accept)
    finally:
        while not conns.empty():
            await conns.get_nowait().close()


async def with_core(url: str, count: int, concurrency: int, tag: str) -> float:
    journal = await asyncio.to_thread(open_journal, url)
    try:
        await journal.config.save_line(LINE)
        await journal.config.save_binding(BINDING)
        services = await Services.build(journal=journal, team=NullTeam(), crm=AsyncCrm(MemoryCrm()),
                                        clock=SystemClock(), channels=lambda _: None,
                                        kinds=None, admins=frozenset(), owner="bench")  # type: ignore[arg-type]

        async def accept(i: int) -> None:
            await services.inbound.accept(BINDING, InboundMessage(f"{tag}-{i}", f"{tag}-m{i}", "hello"))
        return await timed(count, concurrency, accept)
    finally:
        await asyncio.to_thread(journal.close)


async def with_psycopg_thread(url: str, count: int, concurrency: int, tag: str) -> float:
    journal = await asyncio.to_thread(open_journal, url)
    from bridge.model import Conversation, ConversationStatus, MessageKind
    from bridge.store import NewMessage, NewWork, UnitOfWork

    async def accept(i: int) -> None:
        c = Conversation("", "support", BINDING.id, f"{tag}-{i}", "Alice", ConversationStatus.QUEUED, time.time())
        hello = NewMessage(MessageKind.INBOUND, "Alice", "hello", time.time(), dedupe_key=f"{tag}-{i}")
        work = [NewWork(Work.TEAM_ROOM), NewWork(Work.TEAM_POST, message=hello)]
        await journal.conversations.commit(UnitOfWork(conversation=c, messages=[hello], work=work))
    try:
        return await timed(count, concurrency, accept)
    finally:
        await asyncio.to_thread(journal.close)


async def run(server: str, count: int) -> None:
    name = f"openlines_bench_{uuid.uuid4().hex[:8]}"
    root = server.rstrip("/").rsplit("/", 1)[0] if server.rstrip("/").count("/") > 2 else server.rstrip("/")
    with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{root}/{name}"
    await asyncio.to_thread(lambda: migrate(connect(url), "journal", VERSION, STEPS))
    folder = Path(tempfile.mkdtemp(prefix="openlines-pg-bench-"))
    print(f"{os.cpu_count()} cores; {count} accepts per figure; database {name}")
    try:
        for concurrency in (1, 64):
            for label, how in (("asyncpg", with_asyncpg), ("psycopg-async", with_psycopg_async),
                               ("psycopg-thread", with_psycopg_thread), ("core (pg)", with_core)):
                rate = await how(url, count, concurrency, f"{label}-{concurrency}")
                print(f"{label:>15} {concurrency:>3} in flight: {rate:>7.0f} accepts/s", flush=True)
            sqlite = f"sqlite://{folder / f'journal-{concurrency}.sqlite3'}"
            rate = await with_core(sqlite, count, concurrency, f"sqlite-{concurrency}")
            print(f"{'core (sqlite)':>15} {concurrency:>3} in flight: {rate:>7.0f} accepts/s", flush=True)
    finally:
        with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--server", default=os.environ.get("OPENLINES_TEST_POSTGRES",
                                                           "postgresql://postgres@127.0.0.1:5432/"))
    args = parser.parse_args()
    asyncio.run(run(args.server, args.count))


if __name__ == "__main__":
    main()
