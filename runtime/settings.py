"""Open Lines settings, read from Errbot's config (``OPENLINES = {...}`` in config.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    data_dir: str = "./data"
    http_host: str = "127.0.0.1"
    http_port: int = 8080  # 0 picks a free port (tests)
    room_format: str = "#{name}"  # how a room name becomes a team-chat room identifier
    journal_url: str = ""  # default: sqlite in the data dir
    journal_sync: str = "FULL"  # SQLite synchronous mode: FULL survives power loss
    crm_url: str = ""  # default: TinyDB in the data dir
    operators: tuple[str, ...] = ()  # operators of the default line (the bot admins)
    admins: tuple[str, ...] = ()  # global admins (Errbot's BOT_ADMINS)
    public_url: str = ""
    node: str = "main"  # who holds leased work; one name per process sharing a journal
    secret_key: str = ""  # OPENLINES_SECRET_KEY: seals channel secrets at rest
    max_lines: int | None = None  # OPENLINES_MAX_LINES: unset = unlimited
    crm_session_quota: int | None = None  # OPENLINES_CRM_SESSION_QUOTA: conversations recorded in the CRM

    @classmethod
    def from_config(cls, bot_config: Any) -> "Settings":
        given = dict(getattr(bot_config, "OPENLINES", {}) or {})
        known = {f.name for f in fields(cls)}
        unknown = set(given) - known
        if unknown:
            raise ValueError(f"unknown OPENLINES settings: {', '.join(sorted(unknown))}")
        admins = tuple(getattr(bot_config, "BOT_ADMINS", ()) or ())
        given.setdefault("operators", admins)
        given.setdefault("admins", admins)
        for people in ("operators", "admins"):
            given[people] = tuple(person_id(p) for p in given[people])
        given["http_port"] = int(given.get("http_port", cls.http_port))
        return cls(**given)

    def path(self, name: str) -> str:
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        return os.path.join(self.data_dir, name)

    @property
    def journal(self) -> str:
        return self.journal_url or f"sqlite://{self.path('journal.sqlite3')}"

    @property
    def crm(self) -> str:
        return self.crm_url or self.path("crm")


def person_id(person: object) -> str:
    """Identities are the team backend's own, compared exactly: '@bob' on the console."""
    return str(person).strip()
