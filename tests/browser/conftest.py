"""Browser tests need Chromium: run with OPENLINES_BROWSER_TESTS=1 (.ci/run installs it and sets it)."""
import os

import pytest

from tests.browser.cdp import Browser, chromium_path
from tests.support.runtime import Running

collect_ignore_glob = []
if os.environ.get("OPENLINES_BROWSER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]
elif chromium_path() is None:
    raise RuntimeError("OPENLINES_BROWSER_TESTS=1 but no Chromium: apt-get install chromium")


@pytest.fixture
def runtime(tmp_path):
    """The real runtime, its limits out of the way, its team chat recorded."""
    running = Running(tmp_path / "data")
    yield running
    running.stop()


@pytest.fixture
async def browser():
    b = Browser()
    await b.open()
    yield b
    await b.close()

