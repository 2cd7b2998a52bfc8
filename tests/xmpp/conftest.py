"""The XMPP tests need Prosody on 127.0.0.1:15222 (.ci/prosody installs, configures and starts it)."""
from __future__ import annotations

import pytest

from tests.support.xmpp import ensure_prosody


@pytest.fixture(scope="session")
def prosody() -> None:
    ensure_prosody()
