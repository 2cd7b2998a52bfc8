"""Meta's reply windows, as pure functions the backends and the operators' commands share.

Messenger and Instagram: a reply within 24 hours of the customer's last
message is a ``RESPONSE``; up to 7 days it needs the ``HUMAN_AGENT`` tag;
past that Meta refuses it. A page comment may be answered privately once,
within 7 days. The backends refuse what Meta would refuse before calling
it, and answer ``preflight`` with the same rules to tell the operator first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Mapping

from bridge.errors import PermanentSendError, Refused

HOUR = 3600.0
STANDARD_WINDOW = 24 * HOUR
HUMAN_AGENT_WINDOW = 7 * 24 * HOUR
PRIVATE_REPLY_WINDOW = 7 * 24 * HOUR
ALREADY_PRIVATE = "a private reply was already sent to this comment"
VISIBILITIES = ("public", "private")


@dataclass(frozen=True)
class Window:
    messaging_type: str  # "RESPONSE" | "MESSAGE_TAG"
    tag: str | None = None

    def fields(self) -> dict[str, str]:
        return {"messaging_type": self.messaging_type, **({"tag": self.tag} if self.tag else {})}


def window_refusal(last_inbound: float | None, now: float) -> str | None:
    """Why Meta will refuse a message now, or None (unknown: Meta decides)."""
    if last_inbound is None or now - last_inbound <= HUMAN_AGENT_WINDOW:
        return None
    days = int((now - last_inbound) // (24 * HOUR))
    return (f"the platform will refuse this: the customer's last message is older than 7 days "
            f"({days} days ago); it can only be answered once they write again")


def reply_window(last_inbound: float | None, now: float) -> Window:
    """How to send a message now; PermanentSendError when Meta would refuse it."""
    refusal = window_refusal(last_inbound, now)
    if refusal:
        raise PermanentSendError(refusal)
    if last_inbound is None or now - last_inbound <= STANDARD_WINDOW:
        return Window("RESPONSE")
    return Window("MESSAGE_TAG", "HUMAN_AGENT")


def private_reply_refusal(comment_id: str, commented_at: float | None, replied: Collection[str],
                          now: float) -> str | None:
    """Why a private reply to this comment cannot be sent, or None."""
    if comment_id in replied:
        return ALREADY_PRIVATE
    if commented_at is not None and now - commented_at > PRIVATE_REPLY_WINDOW:
        return "the platform will refuse this: a private reply is possible only within 7 days of the comment"
    return None


def visibility_of(options: Mapping[str, Any]) -> str:
    """A comment answer's visibility from the message options: public unless said otherwise."""
    value = options.get("visibility", "public")
    return value if value in VISIBILITIES else "public"


def reply_options(visibility: str) -> dict[str, str]:
    """The options for ``!reply public|private …`` on a comment conversation (OutboundMessage.options)."""
    if visibility not in VISIBILITIES:
        raise Refused("say !reply public <text> (a comment reply) or !reply private <text> (a Messenger message)")
    return {"visibility": visibility}


def last_comment(saved: Mapping[str, Any], thread: str) -> tuple[str, float | None]:
    """The customer's latest comment in the thread and when (the thread itself when unknown)."""
    known = saved.get("threads", {}).get(thread) or {}
    return str(known.get("comment") or thread), _float(known.get("at"))


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
