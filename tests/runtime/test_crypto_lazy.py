"""cryptography (≈ 6 MB of every idle process) and smtplib are loaded on first use, not at start.

Each program runs in a fresh interpreter: the test process itself may have imported either already.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runtime.secrets import FernetSealer

ROOT = Path(__file__).resolve().parents[2]
SEALING = """
import sys
import runtime.app, runtime.host, runtime.ops  # what the OpenLines plugin starts with
from runtime.secrets import FernetSealer
sealer = FernetSealer.from_settings("", sys.argv[1])
print("at start", "cryptography" in sys.modules, "smtplib" in sys.modules)
assert sealer.seal({}) == "" and sealer.unseal("") == {}  # a channel without secrets needs no cipher
print("no secrets", "cryptography" in sys.modules)
sealed = sealer.seal({"token": "123:abc"})
print("sealed", "cryptography" in sys.modules, sealed.startswith("gAAAAA"))
again = FernetSealer.from_settings("", sys.argv[1])  # the next start reads the key file back
print("read back", again.unseal(sealed))
"""


def test_cryptography_is_imported_by_the_first_secret_sealed_only(tmp_path: Path) -> None:
    key = tmp_path / "sealing.key"
    out = subprocess.run([sys.executable, "-c", SEALING, str(key)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert "at start False False" in out
    assert "no secrets False" in out
    assert "sealed True True" in out  # a Fernet token
    assert "read back {'token': '123:abc'}" in out


@pytest.mark.parametrize("key", [b"", b"not base64!", b"c2hvcnQ="])
def test_a_broken_sealing_key_is_refused_at_start_not_at_the_first_channel(key: bytes) -> None:
    with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
        FernetSealer(key)


def test_a_passphrase_key_seals_and_unseals(tmp_path: Path) -> None:
    sealer = FernetSealer.from_settings("correct horse", str(tmp_path / "unused.key"))
    assert FernetSealer.from_settings("correct horse", "").unseal(sealer.seal({"a": "b"})) == {"a": "b"}
    assert FernetSealer.from_settings("another", "").unseal(sealer.seal({"a": "b"})) == {}  # logged, not raised
