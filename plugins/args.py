"""Command arguments: names may be quoted ("Customer Care"), the last argument may keep its spaces."""
from __future__ import annotations

import io
import shlex


def split_args(args: str, count: int, *, rest: bool = False) -> list[str]:
    """``count`` arguments; with ``rest``, the last one is everything after the others, as typed.

    Raises ValueError when there are not enough (or, without ``rest``, too many).
    """
    text = args.strip()
    if rest:
        if count == 1:
            if not text:
                raise ValueError("missing")
            return [_unquote(text)]
        head, remainder = _take(text, count - 1)
        if not remainder.strip():
            raise ValueError("missing")
        return [*head, remainder.strip()]
    words = shlex.split(text) if text else []
    if len(words) != count:
        raise ValueError("count")
    return words


def _take(text: str, count: int) -> tuple[list[str], str]:
    stream = io.StringIO(text)
    lexer = shlex.shlex(stream, posix=True)
    lexer.whitespace_split = True
    words = []
    for _ in range(count):
        word = lexer.get_token()
        if word is None:
            raise ValueError("missing")
        words.append(word)
    return words, text[stream.tell():]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def usage_error(usage: str) -> str:
    return f"Usage: {usage}"
