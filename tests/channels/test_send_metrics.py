"""Send metrics against every channel's fake platform: a refused-for-now send is a retry, a final one
a failure with its class of reason, a delivered one a sent message — labelled by channel kind only."""
from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.channels import contract as c
from tests.channels.channel import Channel
from tests.channels.contract import eventually
from tests.channels.test_contract import started


async def _samples(channel: Channel) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{channel.runtime.base_url}/metrics") as response:
            text = await response.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def _kind(channel: Channel, conversation_id: str) -> str:
    conversation = await channel.runtime.run(channel.runtime.app.services.core.view(conversation_id))
    return conversation.binding_id.partition(":")[0]


@pytest.mark.needs(c.FAULTS)
async def test_a_retry_then_a_final_failure_are_counted_by_channel_and_reason(channel: Channel):
    customer = channel.harness.customer(1)
    kind = await _kind(channel, await started(channel, customer))
    samples = await _samples(channel)
    assert samples[("openlines_messages_sent_total", (("channel", kind), ("line", "support")))] == 1  # the welcome
    assert samples[("openlines_messages_received_total", (("channel", kind), ("line", "support")))] == 1

    before = channel.harness.attempts()
    channel.harness.fail_next(c.RATE_LIMITED, retry_after=30)
    await channel.reply(customer, "after the pause")
    await eventually(lambda: channel.harness.attempts() == before + 1, "the refused attempt")
    await channel.advance(30)
    await channel.wait_sent(customer, "after the pause")

    channel.harness.fail_next(c.PERMANENT)
    await channel.reply(customer, "this one fails")
    await eventually(lambda: any("Not delivered" in t for t in channel.runtime.team.texts()), "the failure")
    samples = await _samples(channel)
    assert samples[("openlines_send_retries_total", (("channel", kind),))] == 1
    assert samples[("openlines_send_failures_total", (("channel", kind), ("reason", "refused")))] == 1
    assert samples[("openlines_messages_sent_total", (("channel", kind), ("line", "support")))] == 2
