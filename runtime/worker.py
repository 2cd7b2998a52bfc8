"""An intake worker: the channels' HTTP side and polling, without Errbot, on a database others share.

    OPENLINES_DATABASE_URL=postgresql://… OPENLINES_SECRET_KEY=… .venv/bin/python -m runtime.worker

It serves what customers and platforms reach (the website chat's pages,
sockets and uploads, every webhook, /healthz) on ``OPENLINES_HTTP_PORT`` and
runs the channels' polling, storing into the shared PostgreSQL database. Any
number run at once, behind any load balancer, beside one team side
(``errbot -c config.py`` on the same database), which alone speaks to the team
chat: the ``Work.TEAM_*`` kinds of ``bridge/work_kinds.py`` (room posts, announcements,
notes to a line's room, DMs, invitations, opening rooms) are never leased
here, and a worker's unit announces them to the team side (NOTIFY). A worker
runs every other kind whose lane it leases: customer sends, the CRM, timers,
queue offers (and missed-reply emails when SMTP is set). Its data dir holds
nothing durable (its log, at most): everything is in the database.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from backends import registry
from bridge.channel_settings import secret_names
from bridge.errors import SendError
from bridge.work_kinds import Work, of_families
from journal_store import is_postgres
from runtime import redact
from runtime.host import Host, cannot_start
from runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
TEAM_KINDS = of_families(Work.TEAM_POST.family)  # the team chat's work: the team side's alone
USAGE = 2  # the exit code of a worker started without what it needs

log = logging.getLogger("runtime.worker")


class NoTeamChat:
    """The team chat as a worker sees it: not here. Its work is never leased here, so a call
    that reaches this is a bug that must fail loudly (retried, then dead-lettered), never vanish."""

    elsewhere = True  # /readyz says "team_chat": "elsewhere": the team side holds it, not this process

    async def open_room(self, name: str, topic: str) -> str:
        raise SendError("the team chat is on the team side, not in an intake worker", retryable=True)

    async def post(self, room_key: str, posts: list[Any]) -> None:
        raise SendError("the team chat is on the team side, not in an intake worker", retryable=True)

    async def direct(self, person: str, posts: list[Any]) -> None:
        raise SendError("the team chat is on the team side, not in an intake worker", retryable=True)

    async def invite(self, room_key: str, person: str) -> None:
        raise SendError("the team chat is on the team side, not in an intake worker", retryable=True)

    async def signal(self, room_key: str, kind: str, data: Mapping[str, Any]) -> None:
        return None  # the customer typing: shown only by a process that holds the room (not kept)

    def display_name(self, person: str) -> str:
        return person.removeprefix("@")


def refusal(environ: Mapping[str, str]) -> str | None:
    """Why a worker cannot start with this environment, in one line; None when it can."""
    if not is_postgres(environ.get("OPENLINES_DATABASE_URL", "").strip()):
        return ("Open Lines worker: set OPENLINES_DATABASE_URL to the PostgreSQL database the team side uses "
                "(postgresql://…): workers keep nothing of their own")
    if not environ.get("OPENLINES_SECRET_KEY", "").strip():
        return ("Open Lines worker: set OPENLINES_SECRET_KEY, the same on every process of the install: "
                "it unseals the channels' credentials the team side stored")
    return None


def load_config() -> ModuleType:
    """config.py, the one place the environment becomes settings (the team side reads it too)."""
    spec = importlib.util.spec_from_file_location("openlines_config", ROOT / "config.py")
    assert spec is not None and spec.loader is not None
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    return config


def worker_settings(config: ModuleType, environ: Mapping[str, str]) -> Settings:
    given = dict(config.OPENLINES)
    if not environ.get("OPENLINES_NODE", "").strip():
        # Its name in the outbox's leases: one per process. Stable across restarts on one machine
        # and port, so a restarted worker frees at once what it held when it died.
        port = given.get("http_port", 8080)
        given["node"] = f"worker-{socket.gethostname()}-{port or os.getpid()}"  # port 0: any free one
    return Settings.from_config(type("Config", (), {"OPENLINES": given, "BOT_ADMINS": config.BOT_ADMINS}))


def run(settings: Settings, stop: threading.Event) -> int:
    from runtime.app import Runtime

    redact.install(name for kind in registry.KINDS.values() for name in secret_names(kind.settings_schema))
    # Missed-reply emails need SMTP: without it here, the team side sends them.
    leave = TEAM_KINDS if settings.smtp_url else (*TEAM_KINDS, *of_families(Work.MAIL_MISSED.family))
    host = Host(settings)
    runtime: Runtime | None = None
    try:
        host.start()
        runtime = Runtime(settings, host, NoTeamChat(), leave=leave)
        runtime.start()
    except BaseException as exc:
        host.stop()
        print(cannot_start(exc, settings.data_dir), file=sys.stderr, flush=True)
        return 1
    ready = " · ".join([f"Open Lines worker {settings.node} is ready on {host.base_url}", *runtime.urls()])
    log.info("%s", ready)
    print(ready, flush=True)
    stop.wait()
    log.info("stopping")
    runtime.stop()
    host.stop()
    return 0


def main() -> int:
    os.umask(0o077)
    said = refusal(os.environ)
    if said:
        print(said, file=sys.stderr, flush=True)
        return USAGE
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    config = load_config()  # its log file in the data dir, as the team side's
    logging.getLogger().setLevel(config.BOT_LOG_LEVEL)
    terminal = logging.StreamHandler(sys.stderr)  # the terminal: warnings and errors, as the run command's
    terminal.setLevel(logging.WARNING)
    logging.getLogger().addHandler(terminal)
    return run(worker_settings(config, os.environ), stop)


if __name__ == "__main__":
    sys.exit(main())
