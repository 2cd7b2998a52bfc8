"""The install's own secrets: a signing key, and the key that seals channel credentials."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from durable.files import write_atomic
from journal_store import Sealer

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

log = logging.getLogger(__name__)
BAD_KEY = "Fernet key must be 32 url-safe base64-encoded bytes."  # Fernet's own words for it


def key_file(path: str, make: bytes) -> bytes:
    """The file's bytes, writing ``make`` first if it does not exist (mode 0600, never replaced).
    Written whole or not at all: a crash never leaves an empty key that later starts would trust."""
    if write_atomic(Path(path), make, exclusive=True):
        return make
    with open(path, "rb") as f:
        found = f.read().strip()
    if not found:  # left empty by a crash before keys were written whole: nothing can have used it
        write_atomic(Path(path), make)
        return make
    return found


def signing_secret(path: str) -> bytes:
    """Signs what channels hand out (visitor tokens); made once, kept in the data dir."""
    return bytes.fromhex(key_file(path, secrets.token_hex(32).encode()).decode())


def fernet_key() -> bytes:
    """A new Fernet key, as ``Fernet.generate_key()`` makes it (32 random bytes, url-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32))


class FernetSealer(Sealer):
    """Channel secrets encrypted at rest (AES-128-CBC + HMAC, cryptography's Fernet).

    cryptography is imported on the first seal or unseal of actual secrets, not at start: it is
    ≈ 6 MB of every idle process (its Rust extension and OpenSSL bindings), and an install whose
    channels carry no secrets (the website chat alone) never needs it. The key is checked now, as
    Fernet would: a broken key file is a clear error at start, not at the first channel connected."""

    def __init__(self, key: bytes) -> None:
        try:
            raw = base64.urlsafe_b64decode(key)
        except binascii.Error as exc:
            raise ValueError(BAD_KEY) from exc
        if len(raw) != 32:
            raise ValueError(BAD_KEY)
        self._key = key
        self._built: Fernet | None = None

    @property
    def _fernet(self) -> "Fernet":
        # Two threads racing here build two equal Fernets; one is kept: nothing to lock.
        if self._built is None:
            from cryptography.fernet import Fernet

            self._built = Fernet(self._key)
        return self._built

    @classmethod
    def from_settings(cls, secret_key: str, key_path: str) -> "FernetSealer":
        if secret_key:  # any passphrase: stretched to Fernet's 32-byte key
            digest = hashlib.sha256(secret_key.encode()).digest()
            return cls(base64.urlsafe_b64encode(digest))
        return cls(key_file(key_path, fernet_key()))

    def seal(self, secrets_: dict[str, str]) -> str:
        if not secrets_:
            return ""
        return self._fernet.encrypt(json.dumps(secrets_).encode()).decode()

    def unseal(self, sealed: str) -> dict[str, str]:
        if not sealed:
            return {}
        from cryptography.fernet import InvalidToken

        try:
            data: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            # A changed OPENLINES_SECRET_KEY: the channel will say it lacks its credentials.
            log.error("channel secrets cannot be read with this key (was OPENLINES_SECRET_KEY changed?)")
            return {}
        return data


def shared_signing_secret(database_url: str, path: str) -> bytes:
    """The signing secret on a database several processes share: every process signs visitor tokens
    alike, so a tab may reconnect to any of them. Kept in the journal's ``meta``; the first process
    seeds it with its data dir's key file if it has one (tokens handed out before stay valid)."""
    from journal_store import connect_pg as connect

    seed = Path(path).read_bytes().strip().decode() if Path(path).exists() else secrets.token_hex(32)
    conn = connect(database_url)
    try:
        conn.execute("INSERT INTO meta (key, value) VALUES ('signing_secret', ?) ON CONFLICT (key) DO NOTHING",
                     (seed,))
        row = conn.execute("SELECT value FROM meta WHERE key = 'signing_secret'").fetchone()
    finally:
        conn.close()
    assert row is not None
    return bytes.fromhex(str(row["value"]))
