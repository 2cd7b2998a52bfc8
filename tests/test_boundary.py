"""Plugins, channels and stores go through one boundary: they never reach through the core or the
services (``api.services.core.journal…``, ``host.core.core.rights``) to what lies behind them.

bridge/ and runtime/ are the inside: they wire the core and may walk it.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = ("plugins", "backends", "crm_store", "journal_store", "config.py")
INNER = frozenset({"core", "services"})  # what only bridge/ and runtime/ walk through
HANDED_OUT = frozenset({"host", "core", "services", "team", "adapter", "runtime"})


def product_files() -> list[Path]:
    found: list[Path] = []
    for name in OUTSIDE:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def reaches_through(tree: ast.AST) -> list[tuple[int, str]]:
    """Each ``….core.x`` or ``….services.x``: an attribute read off the core or the services."""
    return [(node.lineno, f"{ast.unparse(node.value)}.{node.attr}") for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
            and node.value.attr in INNER]


def test_the_scan_finds_a_reach_through():
    tree = ast.parse("c = await api.services.core.journal.conversations.conversation(x)\nrights = core.core.rights\n")
    assert sorted(line for line, _ in reaches_through(tree)) == [1, 1, 2]


def test_nothing_outside_bridge_and_runtime_reaches_through_the_core_or_the_services():
    found = [f"{path.relative_to(ROOT)}:{line}: {chain}" for path in product_files()
             for line, chain in reaches_through(ast.parse(path.read_text(), str(path)))]
    assert product_files() and not found, "\n".join(found)


def test_the_facade_hands_out_no_host_core_services_team_or_adapter():
    tree = ast.parse((ROOT / "plugins" / "facade.py").read_text())
    api = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "OpenLinesApi")
    public = {n.name for n in api.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    public |= {t.attr for n in ast.walk(api) if isinstance(n, ast.Assign) for target in n.targets
               for t in ([*target.elts] if isinstance(target, ast.Tuple) else [target])
               if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
    assert not public & HANDED_OUT, sorted(public & HANDED_OUT)
