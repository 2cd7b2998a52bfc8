"""The core stays framework-free: no team chat, SDK, web server or storage engine in bridge/."""
from __future__ import annotations

import ast
from pathlib import Path

BRIDGE = Path(__file__).resolve().parents[2] / "bridge"
FORBIDDEN = {"errbot", "aiohttp", "telegram", "viberbot", "botbuilder", "tinydb", "sqlite3", "slixmpp",
             "journal_store", "crm_store", "runtime", "backends", "plugins", "config"}


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_bridge_imports_no_framework_sdk_or_storage_engine() -> None:
    offenders = {path.name: sorted(_imported(ast.parse(path.read_text())) & FORBIDDEN)
                 for path in sorted(BRIDGE.glob("*.py"))}
    assert len(offenders) > 20  # the walk really read the package
    assert {name: found for name, found in offenders.items() if found} == {}
