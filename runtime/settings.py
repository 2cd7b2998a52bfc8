"""Open Lines settings, read from Errbot's config (``OPENLINES = {...}`` in config.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    data_dir: str = "./data"
    http_host: str = "127.0.0.1"
    http_port: int = 8080  # 0 picks a free port (tests)
    room_format: str = "#{name}"  # how a room name becomes a team-chat room identifier
    journal_url: str = ""  # default: sqlite in the data dir
    database_url: str = field(default="", repr=False)  # postgresql://…: the journal there; may hold a password
    journal_sync: str = "FULL"  # SQLite synchronous mode: FULL survives power loss
    crm_url: str = ""  # default: TinyDB in the data dir
    operators: tuple[str, ...] = ()  # operators of the default line (the bot admins)
    admins: tuple[str, ...] = ()  # global admins (Errbot's BOT_ADMINS)
    public_url: str = ""
    node: str = "main"  # who holds leased work; one name per process sharing a journal
    secret_key: str = ""  # OPENLINES_SECRET_KEY: seals channel secrets at rest
    max_lines: int | None = None  # OPENLINES_MAX_LINES: unset = unlimited
    crm_session_quota: int | None = None  # OPENLINES_CRM_SESSION_QUOTA: conversations recorded in the CRM
    # The HTTP server's own guards (README "Security").
    header_timeout: float = 10.0  # seconds for a request's headers (and an idle keep-alive)
    connections_per_ip: int = 256  # open TCP connections from one address (trusted proxies exempt)
    trusted_proxies: tuple[str, ...] = ()  # their X-Forwarded-For names the client
    # The website chat's limits.
    webchat_burst: int = 20  # messages a visitor may send at once...
    webchat_messages_per_minute: int = 30  # ...and then per minute
    webchat_new_visitors_per_minute: int = 20  # new visitors, and new conversations, per address
    webchat_hellos_per_minute: int = 60  # per address
    webchat_sockets_per_visitor: int = 12
    webchat_sockets_per_ip: int = 128
    webchat_idle_seconds: int = 1800  # a socket that sends nothing this long is closed
    visitor_token_days: int = 90  # a visitor token unused this long is void
    max_upload_mb: int = 10
    webchat_upload_mb_per_visitor_day: int = 100  # files one visitor may send in any 24 hours
    webchat_upload_mb_per_ip_day: int = 300  # and one address (an IPv6 /64)
    min_free_disk_mb: int = 512  # below this much free disk no file is stored (texts still are)
    smtp_url: str = field(default="", repr=False)  # missed replies by email; holds a password
    mail_from: str = ""
    metrics_token: str = field(default="", repr=False)  # OPENLINES_METRICS_TOKEN: /metrics and /readyz details

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
        for f in fields(cls):  # numbers may come as text from the environment
            if f.name in given and f.type in ("int", "float"):
                given[f.name] = (int if f.type == "int" else float)(given[f.name])
        if isinstance(given.get("trusted_proxies"), str):
            given["trusted_proxies"] = tuple(p.strip() for p in given["trusted_proxies"].split(",") if p.strip())
        return cls(**given)

    def path(self, name: str) -> str:
        """A file in the data dir, which holds customers' data: the owner's only, whatever the umask."""
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        if os.stat(self.data_dir).st_mode & 0o077:
            os.chmod(self.data_dir, 0o700)
        return os.path.join(self.data_dir, name)

    @property
    def journal(self) -> str:
        return self.journal_url or self.database_url or f"sqlite://{self.path('journal.sqlite3')}"

    @property
    def crm(self) -> str:
        return self.crm_url or self.path("crm")


def person_id(person: object) -> str:
    """Identities are the team backend's own, compared exactly: '@bob' on the console."""
    return str(person).strip()
