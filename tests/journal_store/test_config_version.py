"""Every line or binding change moves the config version, in its own transaction, on every store."""
from __future__ import annotations

from bridge.model import ChannelBinding, Line
from bridge.store import Journal


async def test_each_change_of_a_line_or_binding_moves_the_version(journal: Journal):
    config = journal.config
    assert await config.version() == 0
    await config.save_line(Line(id="sales", name="Sales"))
    assert await config.version() == 1
    binding = ChannelBinding("sales", "webchat", "sales", settings={"widget": "sales"})
    await config.save_binding(binding)
    await config.save_binding(binding)  # saved again: others reload, find nothing changed
    assert await config.version() == 3
    await config.delete_binding(binding.id)
    assert await config.version() == 4
    await config.audit(1.0, "alice", "sales", "line set", "x")  # the audit log is no configuration
    assert await config.version() == 4
