"""The install's keys on disk: made once, owner-only, never torn."""
from __future__ import annotations

import os
import stat

from runtime.secrets import key_file, signing_secret


def test_a_key_is_made_once_owner_only_and_then_read_back(tmp_path):
    path = str(tmp_path / "secret.key")
    first = signing_secret(path)
    assert len(first) == 32 and signing_secret(path) == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]  # no temp file left behind


def test_an_empty_key_left_by_an_old_crash_is_made_again(tmp_path):
    path = tmp_path / "secret.key"
    path.write_bytes(b"")
    assert key_file(str(path), b"fresh") == b"fresh"
    assert path.read_bytes() == b"fresh"
