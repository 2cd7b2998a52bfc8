"""The XMPP tests need Prosody on 127.0.0.1:15222 (.ci/prosody installs, configures and starts it)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.xmpp import prosody_running

SETUP = Path(__file__).resolve().parents[2] / ".ci" / "prosody"


@pytest.fixture(scope="session")
def prosody() -> None:
    if prosody_running():
        return
    if os.geteuid() == 0:  # what CI does; harmless where it ran already
        subprocess.run(["bash", str(SETUP)], check=True, timeout=600)
    if not prosody_running():
        if os.environ.get("CI"):
            raise RuntimeError("Prosody is not running: .ci/prosody must start it")
        pytest.skip("no Prosody here: run .ci/prosody as root")
