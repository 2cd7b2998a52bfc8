"""Browser tests need Chromium: run with OPENLINES_BROWSER_TESTS=1 (.ci/run installs it and sets it)."""
import os

from tests.browser.cdp import chromium_path

collect_ignore_glob = []
if os.environ.get("OPENLINES_BROWSER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]
elif chromium_path() is None:
    raise RuntimeError("OPENLINES_BROWSER_TESTS=1 but no Chromium: apt-get install chromium")
