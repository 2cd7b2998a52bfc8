"""The embedded default: a Support line with a website chat, on first start."""
from __future__ import annotations

from backends.registry import label_of
from bridge.model import ChannelBinding, Line
from bridge.store import ConfigStore


async def seed_defaults(config: ConfigStore, operators: tuple[str, ...]) -> bool:
    """Only when there is no line at all: an admin's later choices are never overwritten."""
    if await config.lines():
        return False
    await config.save_line(Line(id="support", name="Support", operators=tuple(operators)))
    await config.save_binding(ChannelBinding(line_id="support", kind="webchat", key="support",
                                             label=label_of("webchat"), settings={"widget": "support"}))
    return True
