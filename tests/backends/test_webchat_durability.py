"""An ack means stored: the message survives a stop and a SIGKILL of the whole process."""
from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]

# A whole Open Lines process: the runtime on argv's data dir and port, with the recording team chat.
SERVER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.support.runtime import Running

running = Running(Path(sys.argv[2]))
print(running.http_port, flush=True)
while True:
    time.sleep(3600)
"""


async def _resumes_with_everything_acked(tab, token: str, acks: list[dict], text: str) -> None:
    """The visitor comes back: same token, same conversation, every acked message in history."""
    welcome, history = await tab.hello(token, last_seq=0)
    assert welcome["visitor_token"] == token
    assert welcome["conversation_id"] == acks[0]["conversation_id"]
    customer = {m["seq"]: m["text"] for m in history["messages"] if m["from"] == "customer"}
    assert customer == {a["seq"]: text.format(i) for i, a in enumerate(acks)}


async def test_acked_messages_survive_a_restart(make_runtime, connect, tmp_path):
    data = tmp_path / "restart"
    first = make_runtime(data)
    tab = await connect(port=first.http_port)
    await tab.hello(name="Ann")
    acks = [await tab.say(f"before the restart {i}", client_id=f"r{i}") for i in range(3)]
    await tab.close()
    await asyncio.to_thread(first.stop)

    second = make_runtime(data)
    back = await connect(port=second.http_port)
    await _resumes_with_everything_acked(back, tab.token, acks, "before the restart {}")
    # The dedupe survives too: resending an acked client id stores nothing new.
    assert await back.say("before the restart 0", client_id="r0") == acks[0]
    await back.close()


async def test_stopping_the_runtime_with_an_open_tab_is_prompt(make_runtime, connect, tmp_path):
    runtime = make_runtime(tmp_path / "stopping")
    tab = await connect(port=runtime.http_port)
    await tab.hello()
    await tab.say("still connected")
    started = time.monotonic()
    await asyncio.to_thread(runtime.stop)
    assert time.monotonic() - started < 3, "stop() waited for the open WebSocket"
    msg = await tab.ws.receive(timeout=5)
    while msg.type is aiohttp.WSMsgType.TEXT:  # frames already on their way
        msg = await tab.ws.receive(timeout=5)
    assert tab.ws.closed


async def start_server(data_dir: Path) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER, str(ROOT), str(data_dir), "0",
        stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
        return proc, int(line)
    except BaseException:
        proc.kill()
        await proc.wait()
        raise


@pytest.fixture
async def servers():
    """Start Open Lines processes with ``await servers(data_dir)``; any still alive are killed after."""
    procs: list[asyncio.subprocess.Process] = []

    async def start(data_dir: Path) -> int:
        proc, port = await start_server(data_dir)
        procs.append(proc)
        return port

    start.procs = procs
    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_acked_messages_survive_sigkill(servers, connect, tmp_path):
    data = tmp_path / "killed"
    port = await servers(data)
    tab = await connect(port=port)
    await tab.hello(name="Ann")
    for i in range(5):  # sent back to back; the kill follows the last ack at once
        await tab.send(type="message", client_id=f"k{i}", text=f"survives {i}")
    acks = [await tab.expect("ack", client_id=f"k{i}") for i in range(5)]

    victim = servers.procs[-1]
    victim.send_signal(signal.SIGKILL)
    assert await asyncio.wait_for(victim.wait(), timeout=10) == -signal.SIGKILL

    port = await servers(data)
    back = await connect(port=port)
    await _resumes_with_everything_acked(back, tab.token, acks, "survives {}")
    assert await back.say("survives 4", client_id="k4") == acks[4]
