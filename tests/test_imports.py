"""Who may import whom: an allow-list for every package of ours, and bridge/ free of frameworks.

The layers, bottom up: ``bridge`` (the domain, imports nothing of ours) and ``durable`` (crash-safe
files, the PostgreSQL pool and migrations every store shares); the stores; the channels (``backends/<channel>/`` over the shared toolkit in ``backends/``);
``runtime`` (wires stores and channels to the core); the team chat (``backends/team/``) and the
Errbot plugins on top; ``config.py`` (Errbot's) last. A package may always import itself.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bridge", "durable", "journal_store", "crm_store", "backends", "runtime", "plugins")
CHANNELS = sorted(p.name for p in (ROOT / "backends").iterdir()
                  if (p / "__init__.py").is_file() and p.name != "team")
SHARED_TOOLKIT = {"backends", "backends.base", "backends.kind", "backends.pacing", "backends.platform_files"}

# "x.*" allows x and everything under it; a bare name allows that one module (a package's public face).
ALLOWED: dict[str, set[str]] = {
    "bridge": set(),
    "durable": set(),
    "journal_store": {"bridge.*", "durable.*"},
    "crm_store": {"bridge.*", "durable.*"},
    "backends": {"bridge.*"},  # the shared toolkit knows no channel (the registry aside, below)
    **{f"backends.{name}": {"bridge.*"} | SHARED_TOOLKIT for name in CHANNELS},  # never another channel
    "runtime": {"bridge.*", "durable.*", "journal_store", "crm_store", "crm_store.port",
                "crm_store.unavailable", "backends", "backends.base", "backends.registry"},
    "backends.team": {"bridge.*", "durable.*", "runtime.*"},  # the team chat sits above runtime
    "plugins": {"bridge.*", "runtime.*", "backends", "backends.registry", "backends.team.*"},
    "config": {"runtime.*", "plugins.*"},
}
# The registry is the one list of kinds: it names each channel's description (``kind.py``, which
# imports no SDK), and nothing else may; a backend module (and its SDK) is imported when a binding starts.
MODULE_ALLOWED = {"backends.registry": {f"backends.{name}.kind" for name in CHANNELS}}
# Known edges that break the rules, each with its reason; the test fails when one disappears,
# so the list only shrinks.
EXCEPTIONS = {
    # Moving in (one transaction for every store) creates the console's tables with the console's own
    # migration, and writes the CRM's rows with the CRM's own import: a move-in step per store would remove them.
    ("runtime.move_in", "backends.team.console.pg_store"),
    ("runtime.move_in_copy", "crm_store.pg_store"),
}
FRAMEWORKS = {"errbot", "aiohttp", "telegram", "viberbot", "botbuilder", "tinydb", "sqlite3", "slixmpp"}
OURS = set(PACKAGES) | {"config"}


def modules() -> Iterator[tuple[str, Path]]:
    yield "config", ROOT / "config.py"
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports(name: str, path: Path) -> set[str]:
    """Every module ``name`` imports, absolute; ``from pkg import mod`` counts as ``pkg.mod``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + [base]).strip(".")
            found |= {f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names}
    return found


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def unit(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "backends" and len(parts) > 1 and (ROOT / "backends" / parts[1]).is_dir():
        return f"backends.{parts[1]}"
    return parts[0]


def allowed(source: str, target: str) -> bool:
    if unit(source) == unit(target):
        return True
    rules = ALLOWED[unit(source)] | MODULE_ALLOWED.get(source, set())
    return any(target == rule or (rule.endswith(".*") and (target + ".").startswith(rule[:-1]))
               for rule in rules)


def edges() -> set[tuple[str, str]]:
    return {(name, target) for name, path in modules() for target in imports(name, path)
            if target.split(".")[0] in OURS}


def test_every_import_between_our_packages_is_allowed() -> None:
    found = edges()
    assert len({unit(source) for source, _ in found}) >= 10  # the walk really read every package
    assert sorted(edge for edge in found if not allowed(*edge) and edge not in EXCEPTIONS) == []


def test_every_listed_exception_still_exists() -> None:
    assert sorted(EXCEPTIONS - edges()) == []


def test_the_rules_reject_a_channel_importing_another_or_the_runtime() -> None:
    assert not allowed("backends.telegram.backend", "backends.meta.graph")
    assert not allowed("backends.viber.backend", "runtime.app")
    assert not allowed("runtime.files", "crm_store.storage")  # the CRM's insides stay the CRM's
    assert not allowed("runtime.pg_files", "crm_store.pg_store")  # the PostgreSQL pool is durable's, not the CRM's
    assert allowed("backends.telegram.send", "backends.telegram.parse")
    assert allowed("backends.registry", "backends.telegram.kind")
    assert not allowed("backends.registry", "backends.telegram.backend")  # its SDK, at start
    assert not allowed("runtime.app", "backends.webchat.kind")  # a channel's types reach runtime through the registry


def test_the_bridge_imports_no_framework_sdk_or_storage_engine() -> None:
    found = {name: sorted({t.split(".")[0] for t in imports(name, path)} & FRAMEWORKS)
             for name, path in modules() if unit(name) in ("bridge", "durable")}
    assert len(found) > 20
    assert {name: names for name, names in found.items() if names} == {}
