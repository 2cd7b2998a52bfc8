"""The dispatcher: delivers what the journal owes, in order, with retries.

Three lanes: the team lane (rooms, then posts, in journal order, batched),
one customer lane per conversation (a conversation's replies stay in order;
conversations do not wait for each other), and the CRM lane. Work arrives
right after its journal commit, or from ``recover`` after a restart.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass

from bridge import relay
from bridge.channels import ChannelBackend, OutboundMessage
from bridge.crm_work import CrmWork
from bridge.directory import Directory
from bridge.errors import SendError
from bridge.journal import Journal
from bridge.model import Conversation, Delivery, Message, MessageKind
from bridge.ports import Clock, Crm, TeamChat
from bridge.retry import RetryPolicy

log = logging.getLogger(__name__)
TEAM_BATCH = 256


@dataclass(frozen=True)
class _Room:
    conversation: Conversation


@dataclass(frozen=True)
class _Post:
    conversation: Conversation
    message: Message


class Dispatcher:
    def __init__(self, *, journal: Journal, team: TeamChat, crm: Crm, directory: Directory,
                 clock: Clock, retry: RetryPolicy | None = None) -> None:
        self.journal = journal
        self.team_chat = team
        self.directory = directory
        self.clock = clock
        self.retry = retry or RetryPolicy()
        self.backends: dict[str, ChannelBackend] = {}
        self._team_queue: asyncio.Queue[_Room | _Post] = asyncio.Queue()
        self._lanes: dict[str, deque[tuple[Conversation, Message]]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._started = False
        self.in_flight = 0  # items handed over and not yet delivered or given up
        self.crm = CrmWork(self, crm)

    def start(self) -> None:
        self._started = True
        self._spawn(self._team_lane())
        self.crm.start()
        for conversation_id, lane in self._lanes.items():  # queued by recover() before start
            self._spawn(self._customer_lane(conversation_id, lane))

    async def stop(self) -> None:
        self._started = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- what the service and recovery hand over ---------------------------------
    def room(self, conversation: Conversation) -> None:
        self.in_flight += 1
        self._team_queue.put_nowait(_Room(conversation))

    def team(self, conversation: Conversation, message: Message) -> None:
        self.in_flight += 1
        self._team_queue.put_nowait(_Post(conversation, message))

    def customer(self, conversation: Conversation, message: Message) -> None:
        if not relay.reaches_customer(message):  # the one gate for everything sent to customers
            log.error("message %d (%s) is not for the customer; not sent", message.seq, message.kind.value)
            return
        lane = self._lanes.get(conversation.id)
        if lane is None:
            lane = self._lanes[conversation.id] = deque()
            if self._started:  # else start() spawns it: nothing is delivered before start
                self._spawn(self._customer_lane(conversation.id, lane))
        self.in_flight += 1
        lane.append((conversation, message))

    async def notice(self, conversation: Conversation, text: str) -> None:
        """A note for the team only, kept in the conversation's history."""
        message = await self.journal.add_message(conversation.id, MessageKind.NOTICE, "", text,
                                                 now=self.clock.now())
        self.team(conversation, message)

    async def recover(self) -> None:
        """Hand back everything a previous run accepted but did not deliver."""
        work = await self.journal.pending_work()
        known: dict[str, Conversation] = {}
        for conversation in work.rooms:
            known[conversation.id] = conversation
            self.room(conversation)
        for conversation in work.crm:
            self.crm.link(conversation)
        for conversation in work.transcripts:
            self.crm.transcript(conversation)
        for message in work.team:
            self.team(await self._conversation(known, message.conversation_id), message)
        for message in work.customer:
            self.customer(await self._conversation(known, message.conversation_id), message)
        log.info("recovered %d team and %d customer deliveries", len(work.team), len(work.customer))

    async def _conversation(self, known: dict[str, Conversation], conversation_id: str) -> Conversation:
        if conversation_id not in known:
            known[conversation_id] = await self.journal.get_conversation(conversation_id)
        return known[conversation_id]

    async def idle(self) -> None:
        """Wait until nothing is left to deliver (tests and benchmarks)."""
        while self.in_flight:
            await asyncio.sleep(0.005)

    # -- the team lane -------------------------------------------------------------
    async def _team_lane(self) -> None:
        while True:
            batch = [await self._team_queue.get()]
            while len(batch) < TEAM_BATCH and not self._team_queue.empty():
                batch.append(self._team_queue.get_nowait())
            try:
                await self._deliver_to_team(batch)
            finally:
                self.in_flight -= len(batch)

    async def _deliver_to_team(self, batch: list[_Room | _Post]) -> None:
        attempts = 0
        while batch:
            try:
                batch = await self._team_step(batch)
                attempts = 0
            except Exception:
                # The team chat is the operators' only window: never give up on it.
                attempts += 1
                log.exception("team chat delivery failed (attempt %d)", attempts)
                await self.clock.sleep(self.retry.delay(attempts))

    async def _team_step(self, batch: list[_Room | _Post]) -> list[_Room | _Post]:
        first = batch[0]
        if isinstance(first, _Room):
            await self._open_room(first.conversation)
            return batch[1:]
        posts: list[_Post] = []
        for item in batch:
            if not isinstance(item, _Post):
                break
            posts.append(item)
        texts = [(p.conversation, self._team_text(p)) for p in posts]
        await self.team_chat.post(texts)
        await self.journal.mark_team([p.message.seq for p in posts], Delivery.DONE)
        return batch[len(posts):]

    def _team_text(self, post: _Post) -> str:
        conversation = post.conversation
        binding = self.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        return relay.team_text(post.message, post.conversation, binding)

    async def _open_room(self, conversation: Conversation) -> None:
        # Stand-ins for a line or channel removed since: retrying could never help.
        line = self.directory.line_or_removed(conversation.line_id)
        binding = self.directory.binding_or_removed(conversation.binding_id, conversation.line_id)
        await self.team_chat.open_room(conversation, line, relay.room_topic(conversation, line, binding))
        await self.team_chat.announce(line, relay.announcement(conversation, line, binding))
        await self.journal.mark_room_ready(conversation.id)

    # -- the customer lanes ----------------------------------------------------------
    async def _customer_lane(self, conversation_id: str, lane: deque[tuple[Conversation, Message]]) -> None:
        try:
            while lane:
                conversation, message = lane[0]
                try:
                    await self._deliver_to_customer(conversation, message)
                except Exception:  # a bug must not wedge the conversation's lane
                    log.exception("customer delivery of message %d crashed", message.seq)
                lane.popleft()
                self.in_flight -= 1
        finally:
            self._lanes.pop(conversation_id, None)

    async def _deliver_to_customer(self, conversation: Conversation, message: Message) -> None:
        line = self.directory.line_or_removed(conversation.line_id)
        outbound = OutboundMessage(
            seq=message.seq, conversation_id=conversation.id, customer_ref=conversation.customer_ref,
            author=relay.public_author(line, message, conversation), text=message.text, ts=message.ts)
        attempts = 0
        while True:
            attempts += 1
            try:
                await self._send(conversation.binding_id, outbound)
            except SendError as exc:
                if not exc.retryable or self.retry.gives_up(attempts):
                    await self._customer_failed(conversation, message, attempts, exc.reason)
                    return
                log.warning("send of message %d failed (attempt %d): %s", message.seq, attempts, exc.reason)
                await self.clock.sleep(self.retry.delay(attempts, exc.retry_after))
            else:
                await self.journal.mark_customer(message.seq, Delivery.DONE, attempts=attempts)
                return

    async def _send(self, binding_id: str, outbound: OutboundMessage) -> None:
        backend = self.backends.get(binding_id)
        if backend is None:
            raise SendError("the channel is not running")
        try:
            await backend.send(outbound)
        except SendError:
            raise
        except Exception as exc:  # the reason names the error type only: texts may hold secrets
            log.warning("channel %s raised %s", binding_id, type(exc).__name__)
            raise SendError(f"unexpected {type(exc).__name__} in the channel") from None

    async def _customer_failed(self, conversation: Conversation, message: Message, attempts: int,
                               reason: str) -> None:
        await self.journal.mark_customer(message.seq, Delivery.FAILED, attempts=attempts, error=reason)
        preview = message.text if len(message.text) <= 80 else message.text[:77] + "…"
        await self.notice(conversation, f"✗ Not delivered to the customer: “{preview}” — {reason}")
