"""Named conventions hold: work kinds and lanes are spelled once, in ``bridge/work_kinds.py``.

Outside bridge/ no module spells a work kind ("timer.offer", or 'customer.send' inside SQL): it
uses ``bridge.work_kinds.Work``. Nowhere but there is a lane built from its prefix ("dm:…",
"line:…", "team:…"): ``dm_lane``, ``line_lane`` and ``conversation_lane`` name them. A direct
message is ``TeamChat.direct``, never a room key starting "dm:".
"""
from __future__ import annotations

import ast
from pathlib import Path

from bridge.work_kinds import Work

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bridge", "plugins", "backends", "crm_store", "journal_store", "runtime", "durable", "tools", "bench",
           "config.py")
LANE_PREFIXES = tuple(f"{family}:" for family in ("dm", "line", *sorted({kind.family for kind in Work})))
NAMED_HERE = ROOT / "bridge" / "work_kinds.py"


def product_files(*names: str) -> list[Path]:
    found: list[Path] = []
    for name in names:
        path = ROOT / name
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [path for path in found if "node_modules" not in path.parts]


def spelled_kinds(tree: ast.AST) -> list[tuple[int, str]]:
    """Each string that is a work kind, or holds one quoted (SQL)."""
    values = {kind.value for kind in Work}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value in values or any(f"'{value}'" in node.value for value in values))]


def built_lanes(tree: ast.AST) -> list[tuple[int, str]]:
    """Each f-string that starts like a lane ("dm:{person}"), and each bare lane prefix ("dm:")."""
    found = []
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and str(head.value).startswith(LANE_PREFIXES):
                found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Constant) and node.value in LANE_PREFIXES and id(node) not in parts:
            found.append((node.lineno, node.value))
    return found


def test_the_scans_find_a_spelled_kind_and_a_built_lane():
    tree = ast.parse('a = "timer.offer"\nb = "... AND kind = \'customer.send\'"\nc = "timer.offers"\n'
                     'd = f"dm:{p}"\ne = key.startswith("dm:")\nf = f"line {x}"\n')
    assert [line for line, _ in spelled_kinds(tree)] == [1, 2]
    assert sorted(line for line, _ in built_lanes(tree)) == [4, 5]


def test_no_module_outside_bridge_spells_a_work_kind():
    outside = [name for name in PRODUCT if name != "bridge"]
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in product_files(*outside)
             for line, text in spelled_kinds(ast.parse(path.read_text(), str(path)))]
    assert product_files(*outside) and not found, "\n".join(found)


def test_inside_bridge_work_kinds_are_spelled_only_where_they_are_named():
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}" for path in product_files("bridge") if path != NAMED_HERE
             for line, text in spelled_kinds(ast.parse(path.read_text(), str(path)))]
    assert not found, "\n".join(found)


def test_lanes_are_built_only_where_they_are_named():
    found = [f"{path.relative_to(ROOT)}:{line}: {text}" for path in product_files(*PRODUCT) if path != NAMED_HERE
             for line, text in built_lanes(ast.parse(path.read_text(), str(path)))]
    assert not found, "\n".join(found)
