"""Backup and restore of an embedded install (SQLite journal, files in the data dir), while it serves.

    .venv/bin/python -m runtime.backup create DIR [--data-dir PATH]
    .venv/bin/python -m runtime.backup restore DIR [--data-dir PATH]   # into an empty data dir only

What makes the snapshot consistent without stopping the product:

- The journal and the console's store are copied with SQLite's online backup
  API, in one step: a read transaction, so the copy is the database as of one
  commit, and the product (WAL mode) keeps writing meanwhile.
- The journal goes first: the CRM and the files are copied after it, so
  everything a copied message or finished CRM work refers to is there too.
  (Work still pending in the copy is done again after a restore; it is
  idempotent, as after a crash.)
- The CRM and the files take no lock from here: the running product's locks
  are threads' locks inside its process, which another process cannot take.
  None is needed: each of their files is only ever replaced whole (write to a
  temp file, fsync, rename), and each change writes the file that is pointed
  to before the one that points to it (a contact before its identity, a
  transcript before its activity, a blob before its index). Copying in the
  opposite order (identities, then contacts, then transcripts; indexes, then
  blobs) therefore yields a state a crash could have left, which the stores
  already read correctly (at worst a file nothing points to).

With PostgreSQL the database is not here to copy: the command refuses and
names pg_dump/pg_restore.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "openlines-backup.json"  # written last: a backup without it is incomplete
DATABASES = ("journal.sqlite3", "console.sqlite3")
# Within a tree, what points first, what is pointed to after (see above); anything else last.
ORDER = {"crm": ("identities", "contacts", "transcripts"), "files": ("index", "blobs")}
SKIPPED = ("errbot.log",)  # logs are not data (and rotate while copied)
POSTGRES = ("This install keeps its data in PostgreSQL (OPENLINES_DATABASE_URL): this command copies an "
            "embedded install only. "
            "Back the database up with pg_dump (pg_dump --format=custom --file=openlines.dump "
            "\"$OPENLINES_DATABASE_URL\") and restore it with pg_restore (pg_restore --clean --if-exists "
            "--dbname=\"$OPENLINES_DATABASE_URL\" openlines.dump) — it holds the journal, the CRM, the console "
            "and the files; keep the data dir's keys (sealing.key, secret.key) with it (docs/operations.md).")


class BackupError(Exception):
    """Said to the user in one line; nothing half-done is left behind as if it were complete."""


def create(data_dir: Path, target: Path) -> dict[str, object]:
    """Write a snapshot of ``data_dir`` into the new or empty directory ``target``; returns its manifest."""
    refuse_postgres()
    if not (data_dir / "journal.sqlite3").is_file():
        raise BackupError(f"{data_dir} holds no Open Lines journal (journal.sqlite3)")
    _empty_or_new(target, "the backup directory")
    began = time.time()
    copied: list[str] = []
    for name in DATABASES:
        if (data_dir / name).is_file():
            _copy_database(data_dir / name, target / name)
            copied.append(name)
    for relative in _files(data_dir):
        if relative.parts[0] not in DATABASES and not _skipped(relative):
            if _copy_file(data_dir / relative, target / relative):
                copied.append(str(relative))
    manifest: dict[str, object] = {"format": 1, "began": began, "finished": time.time(), "files": copied}
    _write_private(target / MANIFEST, json.dumps(manifest, indent=1).encode())
    return manifest


def restore(source: Path, data_dir: Path) -> dict[str, object]:
    """Copy the backup ``source`` into ``data_dir``, which must be new or empty."""
    refuse_postgres()
    try:
        manifest = json.loads((source / MANIFEST).read_bytes())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not a complete Open Lines backup (no {MANIFEST})") from None
    _empty_or_new(data_dir, "the data dir to restore into")
    for name in manifest["files"]:
        if not (source / name).is_file():
            raise BackupError(f"the backup lacks {name}: not restored (remove {data_dir}'s contents and retry "
                              "with a complete backup)")
        _copy_file(source / name, data_dir / name)
    for name in DATABASES:
        if (data_dir / name).is_file():
            _checked(data_dir / name)
    return dict(manifest)


def refuse_postgres() -> None:
    journal = os.environ.get("OPENLINES_JOURNAL_URL", "").strip()
    if os.environ.get("OPENLINES_DATABASE_URL", "").strip() or journal.startswith("postgres"):
        raise BackupError(POSTGRES)


def _copy_database(source: Path, target: Path) -> None:
    """The database as of one commit, while its writers go on; checked before it counts as copied."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    src = sqlite3.connect(source)  # reads only; read-write so that it shares the WAL index with the writers
    dst = sqlite3.connect(target)
    try:
        src.execute("PRAGMA busy_timeout = 10000")
        src.backup(dst)  # all pages in one step: one read transaction, one consistent state
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file; the product sets its own mode
    finally:
        dst.close()
        src.close()
    os.chmod(target, 0o600)
    _checked(target)


def _checked(path: Path) -> None:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = db.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        db.close()
    if result != "ok":
        raise BackupError(f"{path.name} failed SQLite's check: {result}")


def _files(data_dir: Path) -> Iterator[Path]:
    """Every file under the data dir, relative, each tree in its safe order (pointing files first)."""
    for top in sorted(data_dir.iterdir(), key=lambda p: (p.is_dir(), p.name)):
        if top.is_dir():
            first = ORDER.get(top.name, ())
            parts = sorted(top.iterdir(), key=lambda p: (first.index(p.name) if p.name in first else len(first),
                                                         p.name))
            for part in parts:
                yield from (f.relative_to(data_dir) for f in _walk(part))
        elif top.is_file():
            yield top.relative_to(data_dir)


def _walk(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
    elif path.is_dir():
        for root, dirs, names in os.walk(path):
            dirs.sort()
            yield from (Path(root) / name for name in sorted(names))


def _skipped(relative: Path) -> bool:
    name = relative.name
    return (name.startswith(SKIPPED) or name.endswith(("-wal", "-shm", "-journal", ".tmp"))
            or relative.parts[0] in DATABASES)


def _copy_file(source: Path, target: Path) -> bool:
    """A file whole (each is replaced whole, never edited in place); False if it went away meanwhile."""
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return False
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(target, data)
    return True


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _empty_or_new(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{what} {path} is not empty: refused, nothing was written")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runtime.backup", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=("create", "restore"))
    parser.add_argument("directory", type=Path, help="the backup: written by create, read by restore")
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("OPENLINES_DATA_DIR", "").strip()
                                                              or ROOT / "data"))
    args = parser.parse_args(argv)
    os.umask(0o077)
    try:
        if args.action == "create":
            manifest = create(args.data_dir.resolve(), args.directory.resolve())
            print(f"Backup written to {args.directory}: {len(manifest['files'])} files "  # type: ignore[arg-type]
                  f"(restore it with: python -m runtime.backup restore {args.directory} --data-dir EMPTY_DIR).")
        else:
            manifest = restore(args.directory.resolve(), args.data_dir.resolve())
            print(f"Restored {len(manifest['files'])} files into {args.data_dir}; "  # type: ignore[arg-type]
                  f"start Open Lines on it as usual.")
    except BackupError as exc:
        print(f"Not done: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
