"""What the team chat itself shows after a ``run_bench`` run: each customer message once, intact.

The journal marks a post delivered when the backend accepted it; this reads what the team chat
holds — the web console's room store, or the Text backend's terminal — so a backend that loses,
doubles or swaps posts (a shared Markdown converter used from several threads did) is caught.
"""
from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"bench \w+ v\d+ m\d+(?!\d)")


@dataclass
class Posts:
    once: int
    doubled: int
    missing: int
    unexpected: int  # a marker the load never sent: another post's text mangled into this one


def _console_texts(data: Path) -> list[str]:
    db = sqlite3.connect(f"file:{data / 'console.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute("select body from messages where room like '#support-%'").fetchall()
    finally:
        db.close()
    return [str(json.loads(body).get("text", "")) for (body,) in rows]


def count_posts(backend: str, data: Path, output: str, texts: list[str]) -> Posts:
    """Each sent text counted in the team chat's own record of its rooms."""
    # On the terminal only the posts count: an announcement or an offer quotes a first message too.
    source = _console_texts(data) if backend == "Console" else [
        line for line in output.splitlines() if "(customer · " in line or line.startswith("bench ")]
    seen = Counter(m for chunk in source for m in MARKER.findall(chunk))
    expected = set(texts)
    return Posts(once=sum(1 for t in expected if seen[t] == 1),
                 doubled=sum(1 for t in expected if seen[t] > 1),
                 missing=sum(1 for t in expected if seen[t] == 0),
                 unexpected=sum(n for t, n in seen.items() if t not in expected))
