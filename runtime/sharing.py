"""One database, many processes: what each process hears from the others, and tells them.

On PostgreSQL any number of processes share the journal (intake workers, the
team side). Each keeps one listening connection (``PgListener``):
- ``openlines_work``: a unit committed work that this process may run (a
  worker's customer message owes room posts to the team side): its outbox
  sweeps at once; the periodic sweep stays the net for a lost notification;
- ``openlines_webchat``: a frame another process pushed to a visitor's tabs:
  pushed to the tabs this process holds (``backends/webchat/peers.py``);
  ``forgotten`` closes them too;
- ``openlines_team``: a customer typing on a worker, shown in the team chat by
  the team side (never stored: a lost one is a typing mark unseen).
Frames are told through one connection of their own, in order; one too large
for a notification (8000 bytes) is parked in ``webchat_frames`` for a minute
and named by its id.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import time
import uuid
from functools import partial
from typing import Any, Callable, Coroutine

from bridge.outbox import Outbox
from bridge.channels import ChannelBackend
from journal_store import WORK_CHANNEL, PgConnection, PgListener, connect_pg as connect, migrate_pg as migrate

log = logging.getLogger(__name__)
WEBCHAT_CHANNEL = "openlines_webchat"
TEAM_CHANNEL = "openlines_team"
TeamSignal = Callable[[str, str, dict[str, object]], Coroutine[Any, Any, None]]  # conversation id, kind, data
INLINE = 7900  # bytes: PostgreSQL takes notification payloads under 8000
KEEP_PARKED = 60.0  # seconds a large frame stays for peers to read
FRAMES = {1: "CREATE TABLE webchat_frames (id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL,"
             " frame TEXT NOT NULL); CREATE INDEX webchat_frames_ts ON webchat_frames (ts)"}


class PgPeers:
    """Implements ``backends.webchat.peers.Peers`` over NOTIFY; hears the others' frames too."""

    def __init__(self, url: str, backends: Callable[[str], ChannelBackend | None]) -> None:
        self._url = url
        self._backends = backends
        self.origin = uuid.uuid4().hex[:12]  # this process: what it told itself is not pushed twice
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="openlines-pg-peers")
        self._conn: PgConnection | None = None
        self._pending: list[tuple[str, str]] = []  # (channel, payload), in the order told
        self._flushing: asyncio.Task[None] | None = None
        self._heard: asyncio.Queue[str] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._run(self._open)
        self._reader = asyncio.get_running_loop().create_task(self._read_heard())

    async def stop(self) -> None:
        if self._flushing is not None:
            await asyncio.gather(self._flushing, return_exceptions=True)
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._run(self._close)
        self._thread.shutdown(wait=True)

    # -- telling -----------------------------------------------------------------------------------
    async def tell(self, binding_id: str, customer_ref: str, frame: dict[str, Any]) -> None:
        self.say(WEBCHAT_CHANNEL, {"o": self.origin, "b": binding_id, "r": customer_ref, "f": frame})

    def say(self, channel: str, note: dict[str, Any]) -> None:
        """Notify ``channel`` with ``note`` soon, after what was said before (on the loop)."""
        self._pending.append((channel, json.dumps(note, ensure_ascii=False, separators=(",", ":"))))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._pending:  # what came meanwhile goes in the next round, in order
            notes, self._pending = self._pending, []
            try:
                await self._run(partial(self._notify, notes))
            except Exception as exc:  # the database is away: live tabs see it when they reconnect
                log.warning("could not tell other processes of %d chat frames: %s", len(notes), type(exc).__name__)

    def _notify(self, notes: list[tuple[str, str]]) -> None:
        conn = self._connection()
        conn.execute("BEGIN")  # one transaction: delivered together, in order
        try:
            for channel, note in notes:
                if len(note.encode()) > INLINE:
                    note = self._park(conn, note)
                conn.execute("SELECT pg_notify(?, ?)", (channel, note))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _park(conn: PgConnection, note: str) -> str:
        parsed = json.loads(note)
        now = time.time()
        conn.execute("DELETE FROM webchat_frames WHERE ts < ?", (now - KEEP_PARKED,))
        row = conn.execute("INSERT INTO webchat_frames (ts, frame) VALUES (?, ?) RETURNING id",
                           (now, json.dumps(parsed.pop("f"), ensure_ascii=False))).fetchone()
        assert row is not None
        return json.dumps({**parsed, "id": int(row["id"])})

    # -- hearing -----------------------------------------------------------------------------------
    def heard(self, payload: str) -> None:
        """On the loop: one notification, handled in arrival order."""
        self._heard.put_nowait(payload)

    async def _read_heard(self) -> None:
        while True:
            payload = await self._heard.get()
            try:
                await self._push(json.loads(payload))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("a chat frame from another process was not pushed: %s", type(exc).__name__)

    async def _push(self, note: dict[str, Any]) -> None:
        if note.get("o") == self.origin:
            return
        backend: Any = self._backends(str(note.get("b")))
        ref = str(note.get("r"))
        if backend is None or not hasattr(backend, "deliver") or ref not in backend.tabs:
            return  # no tab of this visitor here: the common case, at no cost
        frame = note.get("f")
        if frame is None:
            frame = await self._run(lambda: self._parked(int(note["id"])))
        if isinstance(frame, dict):
            await backend.deliver(ref, frame)

    def _parked(self, frame_id: int) -> dict[str, Any] | None:
        row = self._connection().execute("SELECT frame FROM webchat_frames WHERE id = ?", (frame_id,)).fetchone()
        return json.loads(row["frame"]) if row is not None else None

    # -- the connection, in its one thread -------------------------------------------------------------
    async def _run(self, call: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def _open(self) -> None:
        self._conn = connect(self._url)
        migrate(self._conn, "webchat_frames", 1, FRAMES)

    def _connection(self) -> PgConnection:
        assert self._conn is not None
        if self._conn.raw.closed or self._conn.raw.broken:
            self._conn.reconnect()
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Sharing:
    """This process's part in a shared database: its webchat peers (opened before the channels start,
    which are handed them) and its listener (once the outbox it wakes exists)."""

    def __init__(self, url: str, backends: Callable[[str], ChannelBackend | None]) -> None:
        self.peers = PgPeers(url, backends)
        self._url = url
        self._outbox: Outbox | None = None
        self._listener: PgListener | None = None
        self._team_signal: TeamSignal | None = None
        self._signals: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        await self.peers.start()

    async def listen(self, outbox: Outbox, team_signal: TeamSignal | None = None) -> None:
        """``team_signal``: this process holds the team chat (the team side) and shows what workers tell."""
        self._outbox = outbox
        self._team_signal = team_signal
        handlers = {WORK_CHANNEL: self._work, WEBCHAT_CHANNEL: self.peers.heard}
        if team_signal is not None:
            handlers[TEAM_CHANNEL] = self._team
        self._listener = PgListener(self._url, asyncio.get_running_loop(), handlers, on_connected=outbox.wake)
        if not await asyncio.to_thread(self._listener.start):
            log.warning("not listening to PostgreSQL yet: new work is found by the periodic sweep meanwhile")

    async def stop(self) -> None:
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
        await self.peers.stop()

    async def tell_team(self, conversation_id: str, kind: str, data: dict[str, object]) -> None:
        """A worker's ``Core.team_signal``: the team side shows it in the conversation's room."""
        self.peers.say(TEAM_CHANNEL, {"c": conversation_id, "k": kind, "d": data})

    def _team(self, payload: str) -> None:
        note = json.loads(payload)
        if self._team_signal is not None and isinstance(note, dict) and isinstance(note.get("d"), dict):
            task = asyncio.get_running_loop().create_task(self._team_signal(str(note["c"]), str(note["k"]), note["d"]))
            self._signals.add(task)
            task.add_done_callback(self._signals.discard)

    def _work(self, payload: str) -> None:
        outbox = self._outbox
        kinds = [f"{prefix}." for prefix in payload.split(",") if prefix]
        if outbox is not None and (not kinds or any(not kind.startswith(outbox.leave) for kind in kinds)):
            outbox.wake()
