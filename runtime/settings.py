"""Open Lines settings, read from Errbot's config (``OPENLINES = {...}`` in config.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Settings:
    data_dir: str = "./data"
    http_host: str = "127.0.0.1"  # where the one HTTP server (every channel and page) listens
    http_port: int = 8080  # the HTTP server's port (0 picks a free one: the tests)
    room_format: str = "#{name}"  # how a room name (`support-17`) becomes a team-chat room (`{name}@conf.example`)
    journal_url: str = ""  # where the journal lives; unset: `sqlite://<data dir>/journal.sqlite3`
    # `postgresql://user:password@host/db`: the journal, the CRM, the console's store and the files in PostgreSQL
    database_url: str = field(default="", repr=False)
    journal_sync: str = "FULL"  # SQLite synchronous mode: FULL survives power loss
    crm_url: str = ""  # the CRM store; unset: TinyDB in `<data dir>/crm` (`memory:` for throwaway runs)
    operators: tuple[str, ...] = ()  # operators of the default line (the bot admins)
    admins: tuple[str, ...] = ()  # global admins (Errbot's BOT_ADMINS)
    public_url: str = ""  # the HTTPS address platforms and browsers reach this server at (webhooks, emails)
    node: str = "main"  # this process's name in the outbox's leases: one per process sharing a database
    secret_key: str = ""  # seals channel credentials at rest; unset: a key file in the data dir (set it in production)
    max_lines: int | None = None  # the most lines this install may have; unset: unlimited
    crm_session_quota: int | None = None  # the most conversations recorded in the CRM; unset: unlimited
    # The HTTP server's own guards (docs/security.md).
    header_timeout: float = 10.0  # seconds for a request's headers, and for an idle keep-alive (slowloris)
    connections_per_ip: int = 256  # open TCP connections from one address; more are closed before any parsing
    trusted_proxies: tuple[str, ...] = ()  # your reverse proxies, comma-separated: their X-Forwarded-For names clients
    # The website chat's limits.
    webchat_burst: int = 20  # messages (and files) a visitor may send at once…
    webchat_messages_per_minute: int = 30  # …then per minute, across their tabs
    webchat_new_visitors_per_minute: int = 20  # new visitor tokens, and new conversations, per address per minute
    webchat_hellos_per_minute: int = 60  # `hello` and older-history requests per address per minute
    webchat_sockets_per_visitor: int = 12  # open chat sockets of one visitor token
    webchat_sockets_per_ip: int = 128  # open chat sockets per address (an IPv6 /64 counts as one)
    webchat_idle_seconds: int = 1800  # a socket silent this long is closed (one that never says hello: 30 s)
    visitor_token_days: int = 90  # a visitor token unused this long is void
    max_upload_mb: int = 10  # one file, in MB; an upload must also arrive within 120 s
    webchat_upload_mb_per_visitor_day: int = 100  # MB of files one visitor may send in any 24 hours (then 429 `quota`)
    webchat_upload_mb_per_ip_day: int = 300  # the same per address (an IPv6 /64), whatever visitors it makes up
    min_free_disk_mb: int = 512  # below this much free disk no file is stored (uploads get 507); texts still are
    smtp_url: str = field(default="", repr=False)  # missed replies by email: `smtp://[user:password@]host[:port]` or `smtps://…`
    mail_from: str = ""  # the sender of missed-reply emails: `Support <support@shop.example>`
    # a bearer token for /metrics and /readyz's details from other machines (unset: this machine only)
    metrics_token: str = field(default="", repr=False)

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
        return self.crm_url or self.database_url or self.path("crm")


def person_id(person: object) -> str:
    """Identities are the team backend's own, compared exactly: '@bob' on the console."""
    return str(person).strip()
