"""The XMPP tests need Prosody on 127.0.0.1:15222 (.ci/prosody installs, configures and starts it).

They run with OPENLINES_XMPP_TESTS=1, as .ci/run sets it.
"""
from __future__ import annotations

import pytest

from tests.support.xmpp import ENABLED, ensure_prosody

collect_ignore_glob = [] if ENABLED else ["test_*.py"]


@pytest.fixture(scope="session")
def prosody() -> None:
    ensure_prosody()
