"""The one place that decides what reaches a customer, and how each side reads a message.

Text a customer wrote is data: it is cleaned of control characters when it
arrives, and every team backend escapes it for its own markup when it
renders a ``TeamPost`` (``render_team_post`` with the backend's escape).
"""
from __future__ import annotations

import enum
import re
import time
from dataclasses import dataclass
from typing import Callable

from bridge.model import Attachment, ChannelBinding, Conversation, Line, Message, MessageKind

MAX_TEXT = 4096
MAX_NAME = 100
MAX_ID = 1000  # a platform's id is opaque text up to this long: never a narrower pattern
CUSTOMER_VISIBLE = frozenset({MessageKind.INBOUND, MessageKind.REPLY, MessageKind.AUTO})
TO_CUSTOMER = frozenset({MessageKind.REPLY, MessageKind.AUTO})
# The characters each check looks for, written once (as regex class contents): C0 and C1 controls but
# newline and tab; the bidi marks and overrides that reorder what operators read; lone surrogates (no
# store can encode one); the line breaks other than "\n".
_C0_C1 = "\x00-\x08\x0b-\x1f\x7f-\x9f"
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_SURROGATE = "\ud800-\udfff"
_CONTROLS = re.compile(f"[{_C0_C1}{_BIDI}]")
_SURROGATES = re.compile(f"[{_SURROGATE}]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029]")  # U+2028/9 break lines on screen as "\n" does
_NAME_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029]")
# What platform_id keeps as it is, in one match (an id is checked at every message): 1 to MAX_ID
# characters, none a C0/C1 control (tab and newline too) nor a surrogate.
PLATFORM_ID = re.compile(f"[^\x00-\x1f\x7f-\x9f{_SURROGATE}]{{1,{MAX_ID}}}")
# A character that mended or clean_text would change: a text without one is kept as it is.
UNCLEAN = re.compile(f"[{_SURROGATE}{_C0_C1}{_BIDI}\r\u2028\u2029]")


def visible_to_customer(message: Message) -> bool:
    """The one predicate: what a customer may ever see (history queries use the same set)."""
    return message.kind in CUSTOMER_VISIBLE


def reaches_customer(message: Message) -> bool:
    """The send gate: only replies and automatic answers with something in them leave."""
    return message.kind in TO_CUSTOMER and bool(message.text.strip() or message.attachments)


def clean_text(text: str) -> str:
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))


def mended(text: str) -> str:
    """Text with lone surrogates (no store can encode them) replaced by U+FFFD, the rest kept."""
    return text if well_formed(text) else _SURROGATES.sub("\ufffd", text)


def clean_name(name: str, limit: int = MAX_NAME) -> str:
    return " ".join(_NAME_CONTROLS.sub(" ", name).split())[:limit]


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """A text within ``limit``: an over-long one keeps its start and says how much was cut (a platform
    that got our 2xx will not send it again, so refusing it would lose it)."""
    if len(text) <= limit:
        return text
    mark = "\n✂ [cut: {} of its {} characters were over the limit]"
    keep = limit - len(mark.format(len(text), len(text)))  # the longest the mark can be
    return text[:keep] + mark.format(len(text) - keep, len(text))


def platform_id(value: object) -> str:
    """A platform's id as opaque text ("" when there is none): any printable text up to MAX_ID
    characters, or an integer. Ids are keys and SQL parameters, never patterns or file names."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and PLATFORM_ID.fullmatch(value) else ""


def well_formed(text: str) -> bool:
    """False for lone surrogates, which no store and no platform can encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TeamText(enum.StrEnum):
    """What a plain message an operator writes in a conversation room is."""

    REPLY = "reply"  # goes to the customer
    WHISPER = "whisper"  # stays among operators
    COMMAND = "command"  # for the bot; never reaches the customer
    IGNORED = "ignored"  # empty


WHISPER_PREFIX = "~"


def classify_team_text(text: str, command_prefixes: tuple[str, ...], whisper_mode: bool = False) -> TeamText:
    stripped = text.strip()
    if not stripped:
        return TeamText.IGNORED
    if any(stripped.startswith(p) for p in command_prefixes if p):
        return TeamText.COMMAND
    if stripped.startswith(WHISPER_PREFIX) or whisper_mode:
        return TeamText.WHISPER
    return TeamText.REPLY


def public_author(line: Line, message: Message, conversation: Conversation) -> str:
    """The name the customer sees: their own, the operator's (when the line says so), or the line's."""
    if message.kind is MessageKind.INBOUND:
        return conversation.customer_name
    if message.kind is MessageKind.REPLY and line.settings.yes.operator_names:
        return str(message.meta.get("name") or message.author) or line.name
    return line.name


def customer_label(binding: ChannelBinding) -> str:
    return binding.label or binding.kind


@dataclass(frozen=True)
class TeamPost:
    """A message as the team side shows it; ``text`` and ``author`` may come from a customer."""

    kind: str  # "customer" | "edit" | "operator" | "auto" | "whisper" | "notice" | "announce"
    text: str
    author: str = ""
    label: str = ""  # the channel, for customer posts
    attachments: tuple[Attachment, ...] = ()
    repeated: bool = False  # it may have been posted already, before a crash
    seq: int | None = None
    context: str = ""  # what a comment answers (the post), as the channel gave it

    @property
    def internal(self) -> bool:
        return self.kind in ("whisper", "notice", "announce")


_POST_KINDS = {MessageKind.REPLY: "operator", MessageKind.AUTO: "auto", MessageKind.WHISPER: "whisper",
               MessageKind.NOTICE: "notice"}


def team_post(message: Message, conversation: Conversation, binding: ChannelBinding,
              repeated: bool = False) -> TeamPost:
    """On the loop for every post: one branch per side."""
    if message.kind is MessageKind.INBOUND:
        kind, author = ("edit" if message.edit_of else "customer"), conversation.customer_name
        context = str(message.meta["context"] or "") if "context" in message.meta else ""
    else:
        kind, author, context = _POST_KINDS[message.kind], message.author, ""
    return TeamPost(kind, message.text, author, customer_label(binding), message.attachments, repeated,
                    message.seq, context)


def render_team_post(post: TeamPost, escape: Callable[[str], str]) -> str:
    """One plain line per post; every part a customer wrote goes through ``escape``."""
    if post.kind in ("customer", "edit"):
        # Continuation lines stay visibly inside the customer's message: no forged lines. (Marked
        # before escaping: an escape may add its own paragraph breaks, which must stay blank.)
        body = escape(_LINE_BREAKS.sub("\n", post.text).replace("\n", "\n│ "))
        verb = "edited" if post.kind == "edit" else ""
        head = f"👤 {escape(post.author)} (customer · {escape(post.label)}){' ' + verb if verb else ''}: "
    else:
        body = escape(post.text)
        head = {"operator": f"💬 {escape(post.author)}: ", "auto": "🤖 auto-reply sent: ",
                "whisper": f"🤫 {escape(post.author)} (internal): ", "notice": "ℹ️ ",
                "announce": ""}[post.kind]
    files = "".join(f"\n📎 {escape(a.describe())} {escape(a.url)}".rstrip() for a in post.attachments)
    if post.context:
        files += f"\n🧵 on: {escape(post.context)}"
    mark = "↻ repeated after a restart: " if post.repeated else ""
    return f"{mark}{head}{body}{files}"


def announcement(conversation: Conversation, line: Line, binding: ChannelBinding, preview: str) -> str:
    return (f"🆕 New conversation {conversation.id} on {line.name} from {conversation.customer_name} "
            f"({customer_label(binding)}): “{preview}” — answer it with: !answer {conversation.id}")


def preview(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def room_topic(conversation: Conversation, line: Line, binding: ChannelBinding) -> str:
    return (f"{line.name} · conversation {conversation.id} · {conversation.customer_name} "
            f"({customer_label(binding)})")


def transcript_text(messages: list[Message], conversation: Conversation, line: Line) -> str:
    """What the CRM keeps: everything the customer and the operators said to each other."""
    lines = [f"Conversation {conversation.id} on {line.name} with {conversation.customer_name}"]
    for m in messages:
        if not visible_to_customer(m):
            continue
        who = conversation.customer_name if m.kind is MessageKind.INBOUND else (m.author or f"{line.name} (auto)")
        files = "".join(f" [file: {a.describe()}]" for a in m.attachments)
        lines.append(f"[{_clock(m.ts)}] {who}: {m.text}{files}")
    return "\n".join(lines)


def _clock(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))
