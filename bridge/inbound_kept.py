"""Platform events no channel could read: kept, shown to the line's team once per kind, counted.

A platform that got our 2xx never sends an event again, so an event we cannot
turn into a message is not dropped: its raw form is kept (bounded) in the
journal, and the first of its kind on a channel is announced in the line's
room. "Once per kind" is a unique key in the store, so it holds across
restarts and processes. If the journal cannot keep it, the error reaches the
channel, which answers the platform non-2xx so that it delivers again.
"""
from __future__ import annotations

import hashlib

from bridge import relay
from bridge.core import Core, line_note
from bridge.errors import Conflict
from bridge.model import ChannelBinding
from bridge.store import KeptEvent, UnitOfWork

MAX_RAW = 32_768  # characters of the raw event kept: enough to read it, not a way to fill the disk
MAX_KIND, MAX_REASON = 60, 200


class KeptEvents:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def keep(self, binding: ChannelBinding, kind: str, reason: str, raw: str) -> None:
        """Keep one unreadable event; the first of its kind on this channel is told to the line."""
        kind = relay.clean_name(relay.mended(kind), MAX_KIND) or "event"
        reason = relay.clean_name(relay.mended(reason), MAX_REASON) or "no reason given"
        raw = relay.mended(raw)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        event = KeptEvent(binding.id, kind, reason, raw[:MAX_RAW], digest, self.core.clock.now(), first_of_kind=True)
        line = self.core.directory.line_or_removed(binding.line_id)
        note = line_note(line.id, f"⚠️ An event Open Lines could not read was kept: {kind} "
                                  f"({relay.customer_label(binding)}) — {reason}. Further events of this kind "
                                  f"are kept and counted without a note: !line kept {line.name}")
        try:
            await self.core.commit(UnitOfWork(kept=event, work=[note]))
            return
        except Conflict as exc:
            if exc.what == "dedupe":
                return  # a redelivery of one already kept
            if exc.what != "kind":
                raise
        try:  # the kind was told before (maybe by another process): keep it, quietly
            await self.core.commit(UnitOfWork(kept=KeptEvent(binding.id, kind, reason, event.raw, digest, event.ts)))
        except Conflict as exc:
            if exc.what != "dedupe":
                raise

    async def counts(self, binding_ids: list[str]) -> dict[tuple[str, str], int]:
        return await self.core.journal.conversations.kept_counts(binding_ids)

    async def latest(self, binding_ids: list[str], limit: int) -> list[KeptEvent]:
        """The newest ``limit`` kept of these channels, newest first (raw: mask it before showing it)."""
        return await self.core.journal.conversations.kept_events(binding_ids, limit)
