"""The embedded default: a Support line with a website chat, on first start."""
from __future__ import annotations

from backends.registry import label_of
from bridge.journal import LineDirectory
from bridge.model import ChannelBinding, Line

DEFAULT_LINE = Line(
    id="support",
    name="Support",
    welcome_text="Hello! Thanks for your message: an operator will answer you shortly.",
    closing_text="Thank you for contacting us. This conversation is now closed.",
)


async def seed_defaults(lines: LineDirectory, operators: tuple[str, ...]) -> None:
    """Only when there is no line at all: an admin's later choices are never overwritten."""
    if await lines.lines():
        return
    await lines.save_line(Line(**{**DEFAULT_LINE.__dict__, "operators": tuple(operators)}))
    await lines.save_binding(ChannelBinding(line_id=DEFAULT_LINE.id, kind="webchat", key="support",
                                            label=label_of("webchat")))
