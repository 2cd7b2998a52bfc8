"""The XMPP tests need Prosody on 127.0.0.1:15222 (.ci/prosody installs, configures and starts it).

They run with OPENLINES_XMPP_TESTS=1, as .ci/run sets it.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support.process import OpenLinesProcess
from tests.support.xmpp import BOT, ENABLED, MUC, SERVER, ensure_prosody

collect_ignore_glob = [] if ENABLED else ["test_*.py"]


@pytest.fixture(scope="session")
def prosody() -> None:
    ensure_prosody()


@pytest.fixture
def tag() -> str:
    return secrets.token_hex(3)  # rooms persist on the server: each run has its own


@pytest.fixture
def start_bot(prosody: None, tag: str) -> Iterator[Callable[..., OpenLinesProcess]]:
    """Starts `errbot -c config.py` with the OpenLinesXMPP backend (alice and bob are admins)."""
    started: list[OpenLinesProcess] = []

    def start(data_dir: Path, **env: str) -> OpenLinesProcess:
        identity = {"username": BOT, "password": "openlines-secret", "server": list(SERVER)}
        started.append(OpenLinesProcess(data_dir, OPENLINES_TEAM_BACKEND="OpenLinesXMPP",
                                        OPENLINES_TEAM_IDENTITY=json.dumps(identity),
                                        OPENLINES_XMPP_MECHANISMS='{"unencrypted_plain": true}',
                                        OPENLINES_ADMINS="alice@localhost,bob@localhost",
                                        OPENLINES_ROOM_FORMAT=f"{{name}}-{tag}@{MUC}", **env))
        return started[-1]
    yield start
    for process in started:
        if process.process.poll() is None:
            process.stop()


@pytest.fixture
def bot(start_bot: Callable[..., OpenLinesProcess], tmp_path: Path) -> OpenLinesProcess:
    return start_bot(tmp_path)
