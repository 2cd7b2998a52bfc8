"""The environment variables Open Lines reads, found in the code that reads them.

A variable is a string literal ``"OPENLINES_…"`` in config.py or a product package. Its meaning is
the comment on the line that names it, else the comment of the ``Settings`` field
(runtime/settings.py) that config.py maps it to, else the comment lines right above it (or above
its statement). Its default is the literal given with it (``_env(NAME, "8080")``), else that
field's default. A variable with no meaning is an error: the reference must not guess.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from runtime.settings import Settings

NAME = re.compile(r"OPENLINES_[A-Z0-9_]+")
NOT_PRODUCT = ("tests", "tools", "bench")


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    description: str


def comments(source: str) -> dict[int, str]:
    """Line number → the comment at its end."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found


def comment_above(source: str, line: int) -> str:
    """The comment-only lines right above ``line``, joined."""
    lines, found = source.splitlines(), list[str]()
    while line >= 2 and lines[line - 2].strip().startswith("#"):
        line -= 1
        found.insert(0, lines[line - 1].strip().lstrip("#").strip())
    return " ".join(found)


def settings_fields(path: Path) -> dict[str, tuple[str, str]]:
    """Each ``Settings`` field's default (as shown) and comment."""
    source = path.read_text(encoding="utf-8")
    notes = comments(source)
    lines = {node.target.id: node.lineno for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)}
    found = {}
    for f in fields(Settings):
        value = f.default if f.default is not MISSING else ""
        shown = ",".join(value) if isinstance(value, tuple) else "" if value is None else str(value)
        line = lines.get(f.name, -1)
        found[f.name] = (shown, notes.get(line) or (comment_above(source, line) if line > 0 else ""))
    return found


def _holds(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == name for n in ast.walk(node))


def mapped_fields(tree: ast.AST, name: str) -> str | None:
    """The Settings field config.py hands the variable to: ``"key": _env(NAME…)`` or ``("key", NAME)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and _holds(value, name):
                    return key.value
        two = isinstance(node, ast.Tuple) and len(node.elts) == 2
        pair = [e.value for e in node.elts if isinstance(e, ast.Constant)] if two else []  # type: ignore[attr-defined]
        if len(pair) == 2 and pair[1] == name and isinstance(pair[0], str):
            return pair[0]
    return None


def given_default(tree: ast.AST, name: str) -> str:
    """The literal a read gives with the name: ``_env(NAME, "8080")``, ``os.environ.get(NAME, "x")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and len(node.args) >= 2 and _holds(node.args[0], name) \
                and isinstance(node.args[0], ast.Constant):
            default = node.args[1]
            if isinstance(default, ast.Constant) and isinstance(default.value, (str, int)):
                return str(default.value)
    return ""


def sources(root: Path) -> list[Path]:
    """config.py, then every module of the product's packages (each top-level folder with an
    ``__init__.py``, but the tests, tools and benches)."""
    packages = sorted(d for d in root.iterdir() if (d / "__init__.py").exists() and d.name not in NOT_PRODUCT)
    return [root / "config.py", *(path for package in packages for path in sorted(package.rglob("*.py")))]


def variables(root: Path) -> list[Variable]:
    """Every variable, in the order config.py (then the packages) first names them."""
    known = settings_fields(root / "runtime" / "settings.py")
    found: dict[str, Variable] = {}
    missing: list[str] = []
    for path in sources(root):
        source = path.read_text(encoding="utf-8")
        tree, notes = ast.parse(source), comments(source)
        starts = {}  # a node's line → the line its innermost statement starts at
        for statement in (n for n in ast.walk(tree) if isinstance(n, ast.stmt)):
            for inner in ast.walk(statement):
                starts[getattr(inner, "lineno", 0)] = statement.lineno
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and NAME.fullmatch(node.value)) or node.value in found:
                continue
            field = mapped_fields(tree, node.value) if path.name == "config.py" else None
            default, note = known.get(field or "", ("", ""))
            description = (notes.get(node.lineno) or note or comment_above(source, node.lineno)
                           or comment_above(source, starts.get(node.lineno, node.lineno)))
            if not description:
                if f"{node.value} " not in " ".join(missing) + " ":
                        missing.append(f"{node.value} ({path.relative_to(root)}:{node.lineno})")
                continue
            found[node.value] = Variable(node.value, given_default(tree, node.value) or default, description)
    if missing:
        raise ValueError("environment variables without a description (a comment on the line that "
                         "reads them, or on their Settings field): " + ", ".join(missing))
    return sorted(found.values(), key=lambda v: _first_seen(root, v.name))


def _first_seen(root: Path, name: str) -> tuple[int, int]:
    for rank, path in enumerate(sources(root)):
        at = path.read_text(encoding="utf-8").find(f'"{name}"')
        if at >= 0:
            return rank, at
    return 1 << 30, 0
