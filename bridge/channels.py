"""The contract every customer channel implements, and what it hands the core.

A backend turns its platform's payloads into the events below and hands
them to ``sink.accept`` *before* it acknowledges the platform; the core
stores them durably (once per platform id) and relays them. Messages for the
customer come back through ``send``, which returns the platform's id.
"""
from __future__ import annotations

import abc
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Protocol, Union

from bridge.leases import Leases
from bridge.model import Attachment, ChannelBinding, Message
from bridge.store import StateStore

CustomerState = StateStore  # what a channel keeps per customer: the journal's state store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as a channel received it."""

    customer_ref: str  # the customer's identity on this channel
    external_id: str  # the platform's id of the message: a redelivery carries the same
    text: str = ""
    customer_name: str = ""
    customer_email: str | None = None
    attachments: tuple[Attachment, ...] = ()
    language: str | None = None  # the customer's language as the platform says it ("fr-FR"), if it does
    # False: customer_name is a stand-in the channel made up ("Visitor 4F2AX"), which never
    # replaces a name the customer gave; a name given later replaces the stand-in.
    name_given: bool = True
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class InboundComment(InboundMessage):
    """A public comment: its thread (the top-level comment) is the conversation."""

    thread: str = ""
    context: str = ""  # what it comments on (the post's text), shown to operators


@dataclass(frozen=True)
class InboundEdit:
    """The customer changed a message they sent."""

    customer_ref: str
    external_id: str  # the edited message's platform id
    edit_id: str  # unique per edit: a redelivered edit is stored once
    text: str
    customer_name: str = ""


@dataclass(frozen=True)
class CustomerStatus:
    """The customer blocked the bot, unsubscribed, or came back."""

    customer_ref: str
    status: str  # "blocked" | "unsubscribed" | "subscribed"
    event_id: str


@dataclass(frozen=True)
class DeliveryReceipt:
    """The platform says messages reached the customer, or were read."""

    customer_ref: str
    status: str  # "delivered" | "read"
    external_ids: tuple[str, ...] = ()  # the messages concerned, when the platform names them
    watermark: float | None = None  # or everything sent up to this time


InboundEvent = Union[InboundMessage, InboundEdit, CustomerStatus, DeliveryReceipt]


@dataclass(frozen=True)
class Unreadable:
    """A platform event a parser could not turn into one of the events above (nor knows to be
    nothing for us): the channel keeps it with ``InboundSink.keep``."""

    kind: str  # what it was, in a few words ("message", "callback_query update")
    reason: str  # why it could not be read, in our words


# What a customer wrote that the channel cannot show: still a message, so the team answers it.
UNSHOWABLE = "[a message this channel cannot show: see it in the {app} app]"


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
    attachments: tuple[Attachment, ...] = ()
    thread: str | None = None  # the comment thread, for comment channels
    options: Mapping[str, Any] = field(default_factory=dict)  # per-channel: {"visibility": "private"}
    automatic: bool = False  # an automatic answer (welcome, closing...), not a person's


@dataclass(frozen=True)
class SendResult:
    external_id: str | None = None  # the platform's id of what it stored
    # Whether the customer had the conversation open on a screen when it arrived
    # (None: the platform cannot tell). False lets the core email a missed reply.
    customer_present: bool | None = None


@dataclass(frozen=True)
class LineStatus:
    """What a channel may tell a customer about the line before they write."""

    name: str
    open: bool  # in working hours, enabled, with operators: an answer can come soon
    prechat: str = "off"  # "off" | "name" | "name_email": what the website chat asks first
    email_replies: bool = False  # missed replies can reach the customer by email


@dataclass(frozen=True)
class Signal:
    """Something a customer's screen may show but nobody stores: never retried, never an error.

    kinds: "typing" (data: on), "read" (data: seq — operators saw up to there),
    "joined" / "transferred" / "closed" (data: author), "rating_request".
    """

    kind: str
    customer_ref: str
    conversation_id: str
    data: Mapping[str, Any] = field(default_factory=dict)


class InboundSink(Protocol):
    """The core as a channel sees it."""

    async def accept(self, binding: ChannelBinding, event: InboundEvent) -> Receipt | None:
        """Store the event durably (once per platform id) and relay it; None for events
        that are not messages (statuses, receipts)."""

    async def keep(self, binding: ChannelBinding, kind: str, reason: str, raw: str) -> None:
        """Keep an event the channel could not read (``raw``, as the platform sent it): never dropped
        once the platform has our 2xx. The line's team is told once per kind; raises if not stored."""

    async def history(self, binding: ChannelBinding, customer_ref: str, *, after_seq: int = 0,
                      before_seq: int | None = None, limit: int = 100) -> list[tuple[Message, str]]:
        """The customer's visible messages (newest ``limit`` in the range, oldest first),
        each with the author name they see."""

    async def current_conversation(self, binding: ChannelBinding, customer_ref: str) -> str | None:
        """The id of the customer's open conversation on this channel, if any."""

    async def typing(self, binding: ChannelBinding, customer_ref: str, on: bool) -> None:
        """The customer is typing (or stopped): shown where the team side can, never stored."""

    async def greeting(self, binding: ChannelBinding, language: str | None = None) -> tuple[str, str]:
        """(the line's name, what it says to someone who opens a chat before writing: its welcome,
        or its offline text out of hours, in ``language`` where the line has it); for platforms
        that greet on opening (Viber)."""

    async def line_status(self, binding: ChannelBinding) -> LineStatus:
        """The binding's line as a customer may see it (open or away, what to ask first)."""

    async def rate(self, binding: ChannelBinding, customer_ref: str, conversation_id: str, value: str) -> None:
        """The customer rates their closed conversation "good" or "bad"; Refused when it was not
        offered for rating or is rated already, NotFound when it is not theirs."""


class FileStore(Protocol):
    """Files customers and operators exchange: stored once, served under unguessable URLs."""

    async def put(self, data: bytes, name: str, content_type: str) -> Attachment: ...

    async def get(self, url: str) -> tuple[bytes, Attachment] | None:
        """The bytes behind an attachment URL this store handed out (None for any other URL)."""


class HttpMounts(Protocol):
    """Which backend answers for a key under its kind's URL prefix (the server is shared)."""

    def mount(self, kind: str, key: str, backend: "ChannelBackend") -> None: ...

    def unmount(self, kind: str, key: str) -> None: ...


class ChannelContext(Protocol):
    @property
    def http(self) -> HttpMounts: ...

    @property
    def secret(self) -> bytes:
        """The install's own secret, for signing what channels hand out."""

    @property
    def public_url(self) -> str:
        """Where the platforms reach this server, as configured ("" when not configured)."""

    @property
    def base_url(self) -> str:
        """Where this server is reached: the public URL, else its own address."""

    @property
    def state(self) -> CustomerState: ...

    @property
    def files(self) -> FileStore: ...

    @property
    def leases(self) -> Leases | None:
        """What makes work run in one process at a time (long polling); None: this process is alone."""


class ChannelBackend(abc.ABC):
    """Code that speaks one platform for one ChannelBinding.

    The runtime creates one per binding, calls ``start`` once, ``send`` for
    every message to a customer, and ``stop`` when the binding goes away.
    """

    kind: ClassVar[str]  # its label, settings, routes and reply words: its kind's description (backends.kind)
    # How soon a backend that keeps trying by itself (polling, setting its webhook) tries again after
    # a first failure; 0: it takes what the platform sends and has nothing to retry.
    first_retry: ClassVar[float] = 0.0
    # Why the channel takes no messages right now, with when it tries again; None while it works.
    trouble: str | None = None
    # Told each time ``trouble`` is set (the runtime's channel health, which alerts on a change).
    on_trouble: Callable[[str | None], None] | None = None
    # A channel that shows rating buttons itself (on a "rating_request" signal); the others
    # get a text asking for 1 or 0.
    rates_with_buttons: ClassVar[bool] = False

    def __init__(self, binding: ChannelBinding, sink: InboundSink, context: ChannelContext) -> None:
        self.binding = binding
        self.sink = sink
        self.context = context

    def troubled(self, problem: str | None, retry_seconds: float = 0.0) -> None:
        """Say the channel does not work (``problem``, an admin's words) and when it retries, or works again."""
        before, self.trouble = self.trouble, f"{problem}; retrying every {retry_seconds:.0f} s" if problem else None
        if (before is None) != (self.trouble is None):  # once each way, never per retry
            ids = {"line": self.binding.line_id, "channel": self.binding.kind}
            if self.trouble:
                log.warning("channel %s is failing: %s", self.binding.id, self.trouble, extra=ids)
            else:
                log.info("channel %s works again", self.binding.id, extra=ids)
        if self.on_trouble is not None:
            self.on_trouble(self.trouble)

    async def start(self) -> None:
        """Connect to the platform (mount webhooks, start polling...)."""

    async def stop(self) -> None:
        """Disconnect; must not raise."""

    async def check(self) -> None:
        """Verify the credentials with the platform where it allows; raise SendError."""

    def callback_url(self) -> str | None:
        """The URL to paste into the platform's webhook settings, if it calls us."""
        return None

    def chat_url(self) -> str | None:
        """Where a customer comes back to the conversation (a link in a missed-reply email)."""
        return None

    async def preflight(self, message: OutboundMessage) -> str | None:
        """Why the platform will refuse ``message`` now (a closed reply window...), asked before it is
        stored so the operator is told at once; None when nothing stands in the way or only a send can tell."""
        return None

    @abc.abstractmethod
    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver one message to its customer or raise ``SendError``."""

    async def signal(self, signal: Signal) -> None:
        """Show a ``Signal`` where the platform can (typing, read, joined…); must not raise."""
