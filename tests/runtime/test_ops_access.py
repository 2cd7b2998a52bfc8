"""Who reads /metrics and /readyz's details: this machine, or the bearer of OPENLINES_METRICS_TOKEN."""
from __future__ import annotations

from dataclasses import replace

import aiohttp

from runtime.worker import TEAM_KINDS, NoTeamChat
from tests.support.runtime import Running
from tests.support.team import RecordingTeamChat

TOKEN = "a-metrics-token-of-forty-characters-xyz0"
PROXIED = {"X-Forwarded-For": "203.0.113.9"}  # as a reverse proxy in front passes a stranger's request


async def _get(running: Running, path: str, **headers: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{running.base_url}{path}", headers=headers) as response:
            return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_metrics_need_the_token_from_anywhere_but_this_machine(tmp_path):
    running = Running(tmp_path, metrics_token=TOKEN)
    try:
        status, kind, text = await _get(running, "/metrics")
        assert status == 200 and kind.startswith("text/plain; version=0.0.4")
        assert "openlines_messages_received_total" in text and "process_resident_memory_bytes" in text
        status, _, text = await _get(running, "/metrics", **PROXIED)
        assert status == 401 and "OPENLINES_METRICS_TOKEN" in text and "openlines_" not in text
        assert (await _get(running, "/metrics", Authorization="Bearer wrong", **PROXIED))[0] == 401
        assert (await _get(running, "/metrics", Authorization=f"Bearer {TOKEN}", **PROXIED))[0] == 200
    finally:
        running.stop()


async def test_without_a_token_metrics_stay_on_this_machine(tmp_path):
    running = Running(tmp_path)
    try:
        assert (await _get(running, "/metrics", **PROXIED))[0] == 401
        assert (await _get(running, "/metrics", Authorization="Bearer ", **PROXIED))[0] == 401
    finally:
        running.stop()


async def test_readyz_details_only_here_or_with_the_token(tmp_path):
    running = Running(tmp_path, metrics_token=TOKEN)
    try:
        status, kind, text = await _get(running, "/readyz", **PROXIED)
        assert status == 200 and kind.startswith("application/json")
        assert '"channels": {"running": 1, "failing": 0, "stopped": 0}' in text
        status, _, text = await _get(running, "/readyz", Authorization=f"Bearer {TOKEN}", **PROXIED)
        assert '"webchat:support": {"state": "running"}' in text
    finally:
        running.stop()


class Disconnected(RecordingTeamChat):
    """A team chat whose server connection is down (XMPP's client says so)."""

    up = True

    def connected(self) -> bool:
        return self.up


async def test_a_team_chat_that_lost_its_server_is_not_ready(tmp_path):
    team = Disconnected()
    running = Running(tmp_path, team=team)
    try:
        assert (await _get(running, "/readyz"))[0] == 200
        team.up = False
        status, _, text = await _get(running, "/readyz")
        assert status == 503 and '"team_chat": "not connected"' in text and '"status": "not ready"' in text
        team.up = True
        assert (await _get(running, "/readyz"))[0] == 200
    finally:
        running.stop()


async def test_a_store_that_cannot_write_is_not_ready(tmp_path):
    running = Running(tmp_path)
    try:
        running.app.journal._writer.close()  # type: ignore[union-attr]  # the writer thread is gone
        status, _, text = await _get(running, "/readyz")
        assert status == 503 and '"store": "cannot write"' in text
    finally:
        running.stop()


async def test_a_disabled_channel_is_stopped_not_failing(tmp_path):
    running = Running(tmp_path)
    try:
        directory = running.app.services.directory
        (binding,) = directory.bindings.values()
        await running.run(directory.put_binding(replace(binding, enabled=False)))
        status, _, text = await _get(running, "/readyz")
        assert status == 200 and '"webchat:support": {"state": "stopped"}' in text, text
        _, _, metrics = await _get(running, "/metrics")
        assert 'openlines_channels{state="stopped"} 1.0' in metrics
        assert 'openlines_channels{state="running"} 0.0' in metrics
    finally:
        running.stop()


async def test_an_intake_workers_team_chat_is_elsewhere_and_does_not_hold_readiness(tmp_path):
    # The runtime a worker runs (runtime/worker.py): its team chat is the team side's, not this process's.
    running = Running(tmp_path, team=NoTeamChat(), leave=TEAM_KINDS)  # type: ignore[arg-type]
    try:
        status, _, text = await _get(running, "/readyz")
        assert status == 200 and '"team_chat": "elsewhere"' in text and '"status": "ready"' in text, text
        running.app.journal._writer.close()  # type: ignore[union-attr]  # the rest still decides: a store that cannot write
        status, _, text = await _get(running, "/readyz")
        assert status == 503 and '"team_chat": "elsewhere"' in text and '"store": "cannot write"' in text, text
    finally:
        running.stop()
