"""Employees' console accounts, one-time sign-in links and sessions, in one small SQLite file
(or PostgreSQL: ``backends.team.console.store``).

Passwords are hashed with scrypt; links and session tokens are stored only as
SHA-256 hashes, so a copy of the file signs nobody in. Every call is short
and runs under one lock: call it from a thread (``asyncio.to_thread``).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable

from backends.team.console.store import open_store
from durable.pg import is_postgres

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}  # ~16 MiB and ~50 ms per check
MIN_PASSWORD = 10
LINK_TTL = 24 * 3600.0
FIRST_PASSWORD_TTL = 24 * 3600.0  # the printed one-time password: one sign-in, within this time
SESSION_IDLE = 12 * 3600.0  # a session unused this long is over
SESSION_MAX = 7 * 24 * 3600.0  # and none lasts longer than this
SCHEMA = """
create table if not exists accounts (login text primary key, name text not null, hash blob, salt blob,
    must_change integer not null default 1, created real not null);
create table if not exists links (token text primary key, login text not null, expires real not null);
create table if not exists sessions (token text primary key, login text not null, created real not null,
    seen real not null, must_change integer not null, revoked integer not null default 0);
"""


class AccountError(Exception):
    """A refusal whose message can be shown to the person."""


@dataclass(frozen=True)
class Session:
    login: str
    name: str
    must_change: bool  # signed in with a one-time password or link: choose a password first


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 1024 ** 2, **SCRYPT)


class Accounts:
    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        if not is_postgres(path):
            if not os.path.exists(path):  # created 0600 whatever the umask: it holds password hashes
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(path, 0o600)
        self._db = open_store(path)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- accounts --------------------------------------------------------------------------
    def logins(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._db.execute("select login, name from accounts order by login"))

    def exists(self, login: str) -> bool:
        with self._lock:
            return self._db.execute("select 1 from accounts where login=?", (login,)).fetchone() is not None

    def name_of(self, login: str) -> str:
        """The account's full name ("" when there is no such account)."""
        with self._lock:
            row = self._db.execute("select name from accounts where login=?", (login,)).fetchone()
        return str(row[0]) if row else ""

    def create_with_password(self, login: str, name: str) -> str:
        """A new account with a one-time password (to be replaced at first sign-in); returns it."""
        password = secrets.token_urlsafe(12)
        self._put(checked_login(login), name, password)
        return password

    def invite(self, login: str, name: str = "") -> str:
        """Create (or reset) an account and return a one-time sign-in token for it."""
        login = checked_login(login)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._db.execute("insert into accounts(login, name, created) values(?,?,?) on conflict(login) do "
                             "update set name=coalesce(nullif(excluded.name, ''), accounts.name)",
                             (login, name or login, self.clock()))
            self._db.execute("insert into links values(?,?,?)", (_digest(token), login, self.clock() + LINK_TTL))
        return token

    def _put(self, login: str, name: str, password: str) -> None:
        salt = os.urandom(16)
        digest = hash_password(password, salt)
        with self._lock:
            self._db.execute("insert into accounts values(?,?,?,?,1,?)", (login, name, digest, salt, self.clock()))

    def set_password(self, login: str, password: str, token: str = "") -> int:
        """The password chosen in the session ``token`` (none: a reset). That session alone is
        upgraded; every other session of the login ends and its pending links die (a stolen
        session or link does not outlive the change). Returns how many sessions ended."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"choose a password of at least {MIN_PASSWORD} characters")
        salt = os.urandom(16)
        digest = hash_password(password, salt)
        with self._lock, self._db:
            self._db.execute("begin")
            self._db.execute("update accounts set hash=?, salt=?, must_change=0 where login=?", (digest, salt, login))
            self._db.execute("update sessions set must_change=0 where token=? and login=?", (_digest(token), login))
            self._db.execute("delete from links where login=?", (login,))
            return self._db.execute("update sessions set revoked=1 where login=? and token<>? and revoked=0",
                                    (login, _digest(token))).rowcount

    # -- signing in ---------------------------------------------------------------------------
    def sign_in(self, login: str, password: str) -> str | None:
        """A new session token, or None for a wrong login or password.

        A one-time password (``must_change``) is spent by its first sign-in, and expires unused:
        whoever glimpsed it on the terminal cannot sign in beside the admin."""
        with self._lock:
            row = self._db.execute("select hash, salt, must_change, created from accounts where login=?",
                                   (login,)).fetchone()
        if row is None or row[0] is None:
            hash_password(password, b"\0" * 16)  # the same cost whether or not the account exists
            return None
        if not hmac.compare_digest(hash_password(password, row[1]), row[0]):
            return None
        if row[2]:
            if self.clock() - row[3] > FIRST_PASSWORD_TTL:
                return None
            with self._lock:  # spent once, by whoever gets here first
                spent = self._db.execute("update accounts set hash=null, salt=null where login=? and hash=?",
                                         (login, row[0])).rowcount
            if not spent:
                return None
        return self._new_session(login, bool(row[2]))

    def redeem(self, token: str) -> str | None:
        """Spend a one-time sign-in link: a session that must choose a password, or None."""
        with self._lock:
            row = self._db.execute("delete from links where token=? returning login, expires",
                                   (_digest(token),)).fetchone()
        if row is None or row[1] < self.clock():
            return None
        return self._new_session(row[0], True)

    def _new_session(self, login: str, must_change: bool) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self._lock:
            self._db.execute("insert into sessions values(?,?,?,?,?,0)", (_digest(token), login, now, now,
                                                                          int(must_change)))
        return token

    def session(self, token: str) -> Session | None:
        """The live session of this token (and it counts as used now), or None."""
        now = self.clock()
        with self._lock:
            row = self._db.execute(
                "select s.login, a.name, s.must_change, s.created, s.seen, s.revoked from sessions s "
                "join accounts a on a.login = s.login where s.token=?", (_digest(token),)).fetchone()
            if row is None or row[5] or now - row[3] > SESSION_MAX or now - row[4] > SESSION_IDLE:
                return None
            self._db.execute("update sessions set seen=? where token=?", (now, _digest(token)))
        return Session(row[0], row[1], bool(row[2]))

    def sign_out(self, token: str) -> None:
        with self._lock:
            self._db.execute("update sessions set revoked=1 where token=?", (_digest(token),))

    def revoke_all(self, login: str) -> int:
        """End every session of ``login`` (a lost laptop, someone who left); returns how many."""
        with self._lock:
            cursor = self._db.execute("update sessions set revoked=1 where login=? and revoked=0", (login,))
            self._db.execute("delete from links where login=?", (login,))
            return cursor.rowcount

    def remove(self, login: str) -> bool:
        self.revoke_all(login)
        with self._lock:
            return self._db.execute("delete from accounts where login=?", (login,)).rowcount > 0


def checked_login(login: str) -> str:
    login = login.strip().removeprefix("@")
    if not LOGIN.match(login):
        raise AccountError("a login is 1-32 lowercase letters, digits, '.', '_' or '-', starting with a letter "
                           "or digit")
    return login
