"""Customer texts that once froze the server or forged markup (the first hardening's list).

Python-Markdown's inline patterns are quadratic or cubic on some of them: 4,096 backticks
took 199 s to render. Each is at most 4,096 characters, the chat's limit.
"""
from __future__ import annotations

import re

N = 4096
HOSTILE = [
    "`" * N,
    "*" * N,
    "_" * N,
    "[" * N,
    "[](" * (N // 3),
    ">" * N,
    "\n".join("> " * depth + "quoted" for depth in range(1, 60)),
    "<" * N,
    "&" * N,
    "\\" * N,
    "#" * N,
    "|" * N,
    "| a | b |\n|---|---|\n" + "| `x` | *y* |\n" * 200,
    "Title\n=====\nSub\n-----\n" * 100,
    "\n".join(f"{i}. item *{i}*" for i in range(300)),
    " ".join(f"https://example.com/{i}?a=1&b=<2>" for i in range(100)),
    "**bold** _it_ `code` [click](javascript:alert(1)) <img src=x onerror=alert(1)> &lt; &amp;",
    "`a" * (N // 2),
    "*_" * (N // 2),
    "![" * (N // 2),
]
HOSTILE = [text[:N] for text in HOSTILE]
NAME = "`*_[<&\\#|>" * 9  # a customer's name, hostile too (names are kept to 100 characters)
SHOWN = 1000  # a transcript shows this much of each message
LIMITS = {"OPENLINES_WEBCHAT_BURST": "1000", "OPENLINES_WEBCHAT_MESSAGES_PER_MINUTE": "1000"}


def as_written(text: str) -> str:
    """How a customer's text reads in the team chat: continuation lines marked with "│ "."""
    return text.replace("\n", "\n│ ")


def unsplit(arrived: str) -> str:
    """What arrived, without the paragraph breaks a Markdown team chat adds to text dense with markup
    (as plain text "\n\n│ ", on a terminal "\n │ ")."""
    return re.sub(r"\n[\n ]│ ", "", arrived)


def missing(arrived: str, texts: list[str], shown: int = SHOWN) -> list[str]:
    """The texts (their first ``shown`` characters) that did not arrive as written."""
    whole = unsplit(arrived)
    return [t[:30] for t in texts if as_written(t[:shown]) not in whole]
