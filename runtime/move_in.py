"""Moving in: an embedded install's data dir copied into a new, empty PostgreSQL database, at once.

    OPENLINES_DATABASE_URL=postgresql://… .venv/bin/python -m runtime.move_in --data-dir DIR

Stop the product first (a journal of an older version is brought up to date first, as
at a start). Everything durable goes over in one transaction — the
journal (history, lines and channels with their secrets still sealed, owed work
and timers, rooms, customer state, audit), the CRM (contacts, leads,
transcripts), the uploaded files and the console (accounts, sessions, rooms) —
so a failure leaves the database as it was. A database that holds any row
already is refused: nothing is ever merged. The data dir is only read (but for that
update); keep its
keys (``sealing.key``, ``secret.key``) or the same ``OPENLINES_SECRET_KEY`` for
the install on PostgreSQL, which unseals the channels' secrets with them.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

import psycopg

from backends.team.console.pg_store import PgStore
from crm_store import TinyDbCrm, open_crm
from journal_store import PgJournal, open_journal
from runtime import move_in_copy as copy
from runtime.pg_files import PgFiles

Counts = dict[str, dict[str, int]]
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


class MoveInError(Exception):
    """Said to the user in one line; the database is left as it was."""


def move_in(data_dir: Path, url: str) -> Counts:
    if not url.startswith(("postgresql://", "postgres://")):
        raise MoveInError("set OPENLINES_DATABASE_URL (or --database-url) to the new database: postgresql://…")
    if not (data_dir / "journal.sqlite3").is_file():
        raise MoveInError(f"{data_dir} holds no Open Lines journal (journal.sqlite3): name the data dir to move in")
    _refuse_data(url)
    # An older journal is first brought to this version's tables, as the product's start would.
    open_journal(f"sqlite://{data_dir / 'journal.sqlite3'}").close()
    _create_tables(url)
    try:
        with psycopg.connect(url) as conn, conn.cursor() as cur:  # one transaction: committed on leaving
            return _copy_all(cur, data_dir)
    except psycopg.Error as exc:
        raise MoveInError(f"PostgreSQL refused the copy ({type(exc).__name__}); nothing was moved in") from None


def _copy_all(cur: Any, data_dir: Path) -> Counts:
    counts: Counts = {"journal": copy.journal(cur, data_dir / "journal.sqlite3")}
    if (data_dir / "crm").is_dir():
        store = open_crm(str(data_dir / "crm"))
        try:
            assert isinstance(store, TinyDbCrm)
            counts["crm"] = copy.crm(cur, store, data_dir / "crm")
        finally:
            store.close()
    if (data_dir / "files").is_dir():
        counts["files"] = copy.files(cur, data_dir / "files")
    if (data_dir / "console.sqlite3").is_file():
        counts["console"] = copy.console(cur, data_dir / "console.sqlite3")
    return counts


def _refuse_data(url: str) -> None:
    """Any row in any table of the database: refused (tables without rows, e.g. a copy that failed, are fine)."""
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            tables = conn.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname <> ALL(%s)"
                                  " ORDER BY 1, 2", (list(SYSTEM_SCHEMAS),)).fetchall()
            full = [f"{schema}.{table}" for schema, table in tables
                    if table != "schema_versions" and _has_rows(conn, schema, table)]
    except psycopg.Error as exc:
        raise MoveInError(f"PostgreSQL does not answer at {redacted(url)} ({type(exc).__name__})") from None
    if full:
        raise MoveInError(f"the database at {redacted(url)} is not empty ({', '.join(full[:5])} hold rows): "
                          "move in only into a new database (createdb openlines), never over another install")


def _has_rows(conn: Any, schema: str, table: str) -> bool:
    row = conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{schema}"."{table}")').fetchone()
    return bool(row and row[0])


def _create_tables(url: str) -> None:
    """Each store creates its own tables, as at the product's start."""
    PgJournal(url).open().close()
    open_crm(url).close()
    PgFiles(url, "", max_bytes=0).close()
    PgStore(url).close()


def redacted(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.move_in", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("OPENLINES_DATA_DIR", "./data"),
                        help="the embedded install's data dir (default: OPENLINES_DATA_DIR, else ./data)")
    parser.add_argument("--database-url", default=os.environ.get("OPENLINES_DATABASE_URL", ""),
                        help="the new, empty database (default: OPENLINES_DATABASE_URL)")
    args = parser.parse_args(argv)
    try:
        counts = move_in(Path(args.data_dir), args.database_url)
    except MoveInError as exc:
        print(f"Not moved in: {exc}", file=sys.stderr)
        return 2
    print(f"Moved {args.data_dir} into {redacted(args.database_url)}:")
    for kind, numbers in counts.items():
        print(f"  {kind}: " + ", ".join(f"{n} {name}" for name, n in numbers.items()))
    print("Start Open Lines with OPENLINES_DATABASE_URL set and the same OPENLINES_SECRET_KEY, or this data dir's"
          " sealing.key and secret.key: the channels' secrets are sealed with it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
