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
    journal_sync: str = "FULL"  # SQLite synchronous mode: FULL survives power loss
    operators: tuple[str, ...] = ()  # operators of the default line (the bot admins)
    public_url: str = ""

    @classmethod
    def from_config(cls, bot_config: Any) -> "Settings":
        given = dict(getattr(bot_config, "OPENLINES", {}) or {})
        known = {f.name for f in fields(cls)}
        unknown = set(given) - known
        if unknown:
            raise ValueError(f"unknown OPENLINES settings: {', '.join(sorted(unknown))}")
        if "operators" not in given:
            given["operators"] = tuple(getattr(bot_config, "BOT_ADMINS", ()) or ())
        given["operators"] = tuple(operator_id(o) for o in given["operators"])
        given["http_port"] = int(given.get("http_port", cls.http_port))
        return cls(**given)

    def path(self, name: str) -> str:
        os.makedirs(self.data_dir, exist_ok=True)
        return os.path.join(self.data_dir, name)


def operator_id(person: object) -> str:
    """One spelling per employee, whatever the backend: '@alice' and 'alice' are one."""
    return str(person).strip().lstrip("@")
