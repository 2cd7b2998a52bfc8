"""Team-chat markup: customer text escaped for Markdown team chats, and the bot's Markdown
made plain for plain-text ones (XMPP, IRC)."""
from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()>#+\-.!|])")
# Python-Markdown rescans a paragraph for each escaped character: quadratic in the
# escapes of one paragraph. Text dense with them is cut into paragraphs of at most
# this many, so rendering any customer text stays linear in its length.
ESCAPES_PER_PARAGRAPH = 128


def escape_markdown(text: str) -> str:
    """Customer text as Markdown that renders as itself, in linear time (no markup, no HTML)."""
    pieces, count, start = [], 0, 0
    for match in _MD_SPECIAL.finditer(text):
        count += 1
        if count > ESCAPES_PER_PARAGRAPH:
            pieces.append(text[start:match.start()])
            start, count = match.start(), 1
    pieces.append(text[start:])
    return "\n\n│ ".join(_escape(piece) for piece in pieces)


def _escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))


# Plain-text team chats (XMPP) get the bot's Markdown replies through ``plain_text``: it knows
# only bold and code fences, and costs one pass over the text whatever the text holds.
_PLAIN_SPECIAL = re.compile(r"([\\`*])")
_FENCE = re.compile(r"^```[\w-]*[ \t]*(?:\n|$)", re.M)
_STRONG = re.compile(r"(?<![\\*])\*\*([^*\n]+?)(?<!\\)\*\*")
_ESCAPED = re.compile(r"\\([\\`*])")


def escape_plain(text: str) -> str:
    """Customer text that ``plain_text`` gives back exactly as written."""
    return _PLAIN_SPECIAL.sub(r"\\\1", text)


def plain_text(markdown: str) -> str:
    """A reply as plain text: fences and bold markers dropped, escapes undone; linear in its length."""
    return _ESCAPED.sub(r"\1", _STRONG.sub(r"\1", _FENCE.sub("", markdown)))
