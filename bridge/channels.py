"""The contract every customer channel implements, and what it hands the core."""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar, Protocol

from bridge.model import ChannelBinding, Message


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel received it."""

    customer_ref: str  # the customer's identity on this channel
    external_id: str  # the platform's id of the message: a redelivery carries the same
    text: str
    customer_name: str = ""
    customer_email: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What the core answers once an inbound message is durably stored."""

    seq: int
    conversation_id: str
    duplicate: bool  # the same external id was stored before: nothing was stored now
    ts: float  # when the journal first stored it
    author: str  # the customer's name as every side shows it


@dataclass(frozen=True)
class OutboundMessage:
    """A message for one customer: an operator's reply or an automatic one."""

    seq: int
    conversation_id: str
    customer_ref: str
    author: str  # the name the customer sees
    text: str
    ts: float


class InboundSink(Protocol):
    """The core as a channel sees it."""

    async def accept(self, binding: ChannelBinding, inbound: InboundMessage) -> Receipt:
        """Store the message durably (once per external id) and relay it."""

    async def history(
        self, binding: ChannelBinding, customer_ref: str, after_seq: int, limit: int = 500
    ) -> list[tuple[Message, str]]:
        """The customer's messages after ``after_seq``, each with the author they see."""

    async def current_conversation(self, binding: ChannelBinding, customer_ref: str) -> str | None:
        """The id of the customer's open conversation on this channel, if any."""


class ChannelBackend(abc.ABC):
    """Code that speaks one platform for one ChannelBinding.

    The runtime creates one per binding, calls ``start`` once, ``send`` for
    every message to a customer, and ``stop`` at shutdown. Inbound messages
    go to ``self.sink.accept``; a backend acknowledges its platform only
    after ``accept`` returned.
    """

    kind: ClassVar[str]
    label: ClassVar[str]

    def __init__(self, binding: ChannelBinding, sink: InboundSink) -> None:
        self.binding = binding
        self.sink = sink

    async def start(self) -> None:
        """Connect to the platform (webhooks, polling...)."""

    async def stop(self) -> None:
        """Disconnect; must not raise."""

    @abc.abstractmethod
    async def send(self, message: OutboundMessage) -> None:
        """Deliver one message to its customer or raise ``SendError``."""
