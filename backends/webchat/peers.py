"""A visitor's tabs across processes: what one process pushes, the others push to theirs.

With several processes on one database (intake workers behind a proxy, the
team side), a visitor's tabs may sit in any of them, and the process that
sends a reply (whichever leased the conversation's lane) or hears a tab speak
holds few of them, maybe none. It pushes the frame to its own tabs and tells
its peers, which push it to theirs: each tab gets it once, from the process
that holds it. A frame a peer never hears of (its link to the database was
down) is not lost: the journal keeps every message, and a tab that reconnects
asks for what it missed.
"""
from __future__ import annotations

from typing import Any, Protocol


class Peers(Protocol):
    async def tell(self, binding_id: str, customer_ref: str, frame: dict[str, Any]) -> None:
        """Have every other process push ``frame`` to this visitor's tabs it holds; never raises."""

