"""CRM store benchmark: the cost of each call must not grow with the number of contacts.

Fills a TinyDbCrm to each size (contact, lead and one 2 KB transcript per
customer, written by the store's own ``import_contact`` with fsync off, then
one ``os.sync``), and
times the public API with fsync on: ``find_contact`` of a known identity,
``get_contact``, ``link_customer`` for a new customer (contact + lead) and
``add_activity`` with a 2 KB transcript, plus opening the store. Prints
p50/p99 in milliseconds, one column per size.

    .venv/bin/python bench/crm_bench.py [--sizes 1000 10000 100000] [--probes 1000]
    .venv/bin/python bench/crm_bench.py --url postgresql://postgres@127.0.0.1:5432/

With ``--url`` the same calls run on PostgreSQL (PgCrm): the bench makes a
scratch database on that server, fills it in batches, and drops it after.

Figures are with a warm page cache (the files were just written); a cold
lookup adds the disk reads of two small files.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stats import percentile  # noqa: E402
from bridge.ports import CustomerProfile  # noqa: E402
from crm_store import Activity, Contact, CrmStore, Lead, TinyDbCrm  # noqa: E402
from crm_store.pg_store import PgCrm  # noqa: E402

BODY = ("customer: hello, my order has not arrived\n" * 50)[:2048]
OPS = ["open", "find_contact", "get_contact", "link_customer (new)", "add_activity (2 KB)"]
Row = dict[str, tuple[float, float]]  # operation -> (p50, p99) in ms


def contact_id(n: int) -> str:
    # Spread like real (random) ids, so the fill populates every shard directory.
    return hashlib.blake2b(n.to_bytes(8, "big"), digest_size=8).hexdigest()


def customer(n: int) -> tuple[Contact, list[Lead], list[Activity]]:
    contact = Contact(contact_id(n), f"Customer {n}", None, (("webchat", f"v{n}"),), 0.0)
    lead = Lead(contact.id[::-1], contact.id, f"Website chat: Customer {n}", "Website chat", "new", 0.0)
    chat = Activity(f"{contact.id[8:]}{contact.id[:8]}", contact.id, "transcript", "Chat",
                    BODY, f"conversation:fill-{n}", 0.0)
    return contact, [lead], [chat]


def fill(store: CrmStore, start: int, stop: int) -> float:
    """Write customers [start, stop) straight to the store; returns the seconds taken."""
    began = time.perf_counter()
    if isinstance(store, PgCrm):
        for first in range(start, stop, 1000):
            store.import_contacts(customer(n) for n in range(first, min(first + 1000, stop)))
    else:
        assert isinstance(store, TinyDbCrm)
        for n in range(start, stop):
            store.import_contact(*customer(n), fsync=False)
        os.sync()  # no dirty pages left to slow down the timed fsyncs
    return time.perf_counter() - began


def timed(count: int, call: Callable[[int], object]) -> tuple[float, float]:
    """(p50, p99) in ms of ``call(i)`` for i in range(count)."""
    latencies = []
    for i in range(count):
        began = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - began)
    return percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000


def measure(open_store: Callable[[], CrmStore], size: int, probes: int, rng: random.Random) -> Row:
    row: Row = {"open": timed(50, lambda _i: open_store().close())}
    store = open_store()
    known = [rng.randrange(size) for _ in range(probes)]
    row["find_contact"] = timed(
        probes, lambda i: _must(store.find_contact("webchat", f"v{known[i]}"))
    )
    row["get_contact"] = timed(probes, lambda i: _must(store.get_contact(contact_id(known[i]))))
    row["link_customer (new)"] = timed(
        probes, lambda i: store.link_customer(CustomerProfile("webchat", f"new-{size}-{i}"), "Web")
    )
    targets = rng.sample(range(size), min(probes, size))
    row["add_activity (2 KB)"] = timed(
        len(targets),
        lambda i: store.add_activity(contact_id(targets[i]), "transcript", "Chat", BODY,
                                     f"conversation:{size}-{i}"),
    )
    store.close()
    return row


def _must(found: object) -> object:
    if found is None:
        raise AssertionError("a filled contact was not found")
    return found


def report(rows: dict[int, Row]) -> None:
    sizes = sorted(rows)
    print(f"\n{'ms, p50 / p99':<22}" + "".join(f"{f'{s:,} contacts':>22}" for s in sizes))
    for op in OPS:
        cells = "".join(f"{rows[s][op][0]:>10.3f} /{rows[s][op][1]:>8.3f}  " for s in sizes)
        print(f"{op:<22}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--probes", type=int, default=1000, help="timed calls per operation")
    parser.add_argument("--dir", help="where to build the store (default: a temp dir, removed)")
    parser.add_argument("--url", help="a PostgreSQL server (postgresql://…): bench PgCrm in a scratch database")
    args = parser.parse_args()
    if args.url:
        with scratch_database(args.url) as url:
            print(f"PostgreSQL CRM, {os.cpu_count()} cores", flush=True)
            run(lambda: PgCrm(url, pool_size=1), args.sizes, args.probes)
        return
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="openlines-crm-"))
    try:
        print(f"TinyDB CRM (files), {os.cpu_count()} cores", flush=True)
        run(lambda: TinyDbCrm(base / "crm"), args.sizes, args.probes)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


def run(open_store: Callable[[], CrmStore], sizes: list[int], probes: int) -> None:
    rng, rows, filled = random.Random(7), {}, 0
    store = open_store()
    for size in sorted(sizes):
        seconds = fill(store, filled, size)
        print(f"filled {size:,} contacts (+{size - filled:,} in {seconds:.1f} s)", flush=True)
        filled = size
        rows[size] = measure(open_store, size, probes, rng)
    store.close()
    report(rows)


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new database on ``server`` for the bench, dropped after."""
    import psycopg
    name = f"openlines_crm_bench_{secrets.token_hex(4)}"
    root = server.rstrip("/").rsplit("/", 1)[0] if server.rstrip("/").count("/") > 2 else server.rstrip("/")
    with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield f"{root}/{name}"
    finally:
        with psycopg.connect(f"{root}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


if __name__ == "__main__":
    main()
