"""Where tests leave what a person looks at afterwards (screenshots)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def screenshots_dir() -> Path:
    """The browser tests' screenshots: a test artifact (build/screenshots), or the README's
    pictures with OPENLINES_SCREENSHOTS=docs/screenshots."""
    folder = ROOT / os.environ.get("OPENLINES_SCREENSHOTS", "build/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
