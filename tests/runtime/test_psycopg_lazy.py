"""An install on the embedded stores never loads psycopg: it held ~10 MB of every process's idle memory.

A fresh interpreter starts the real runtime on a data dir (the SQLite journal, the
TinyDB CRM, files on disk) and opens the console's account store, as the default run
does, then lists the modules it loaded. The same check on a PostgreSQL URL shows the
probe sees psycopg when it is there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import pg_database  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from pathlib import Path
from backends.team.console.accounts import Accounts
from durable.pg import is_postgres
from tests.support.runtime import Running

data, url = Path(sys.argv[1]), sys.argv[2]
running = Running(data / "data", database_url=url)
try:
    accounts = Accounts(url if is_postgres(url) else str(data / "console.sqlite3"))
    accounts.logins()
    accounts.close()
    answer = running.http_port > 0
finally:
    running.stop()
print(json.dumps({"served": answer, "loaded": sorted(m for m in sys.modules if m.startswith("psycopg"))}))
"""


def _loaded(tmp_path: Path, url: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_default_start_on_sqlite_does_not_import_psycopg(tmp_path: Path) -> None:
    assert _loaded(tmp_path, "") == {"served": True, "loaded": []}


def test_a_start_on_postgresql_does(tmp_path: Path, pg_database: str) -> None:
    found = _loaded(tmp_path, pg_database)
    assert found["served"] is True and "psycopg" in found["loaded"]  # type: ignore[operator]
