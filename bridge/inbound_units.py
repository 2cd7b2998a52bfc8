"""What storing a customer's message owes: the units of work the inbound service commits."""
from __future__ import annotations

import functools
from dataclasses import replace

from bridge import relay, rules
from bridge.channels import InboundComment, InboundEvent, InboundMessage
from bridge.core import Core, post, send, timer
from bridge.errors import Refused
from bridge.hours import line_schedule
from bridge.languages import customer_language
from bridge.model import ChannelBinding, Conversation, Line, MessageKind
from bridge.store import NewMessage, NewWork, UnitOfWork
from bridge.work_kinds import Work


def checked_text(text: str) -> str:
    """What a customer wrote as the journal keeps it: never refused once the platform has our 2xx in
    view — what no store can encode is mended, what is over the limit is cut and marked."""
    if len(text) <= relay.MAX_TEXT and relay.UNCLEAN.search(text) is None:
        return text  # the common text: nothing to mend, clean or cut (one search, not three passes)
    return relay.cut(relay.clean_text(relay.mended(text)))


def checked_ids(event: InboundEvent) -> None:
    """Platform ids become keys in the journal: text no store can encode is refused, not half-stored
    (the channel then keeps the event as one it could not read)."""
    if type(event) is InboundMessage:  # the common event: its two ids, no lookup of fields it lacks
        ids: tuple[object, ...] = (event.customer_ref, event.external_id)
    else:
        ids = (event.customer_ref, *[getattr(event, name, "") for name in ("external_id", "edit_id", "event_id")])
    for i in ids:  # an id is kept as it is, or refused: relay.platform_id(i) == i in one match
        if not (i == "" or (isinstance(i, str) and relay.PLATFORM_ID.fullmatch(i))):
            raise Refused("a platform id that is not printable text of at most 1000 characters")


@functools.lru_cache(maxsize=4096)  # a customer's name comes with each of their messages
def shown_name(name: str, limit: int = relay.MAX_NAME) -> str:
    """A name as operators see it: lone surrogates mended (it is only shown, never a key), controls
    and runs of spaces gone, at most ``limit`` characters."""
    return relay.clean_name(relay.mended(name), limit)


@functools.lru_cache(maxsize=256)
def _language(raw: str) -> str | None:
    return customer_language(raw)


def message_unit(core: Core, binding: ChannelBinding, inbound: InboundMessage, text: str, key: str,
                 conversation: Conversation | None, spam: bool) -> UnitOfWork:
    """Store the message; a new conversation also owes its room, announcement, welcome, CRM link
    and queue offer — unless its customer is a spammer: then it is kept, and nothing more."""
    now = core.clock.now()
    line = core.directory.line(binding.line_id)
    if conversation is None and line.deleted:
        raise Refused(f"line {line.name} no longer takes new conversations")
    given = shown_name(inbound.customer_name)
    name = given or "Customer"
    meta = {"context": relay.clean_text(inbound.context)[:500]} if isinstance(inbound, InboundComment) else {}
    message = NewMessage(MessageKind.INBOUND, name, text, now, attachments=inbound.attachments,
                         external_id=inbound.external_id, dedupe_key=key, meta=meta,
                         conversation_id=conversation.id if conversation else None)
    email = (relay.clean_name(inbound.customer_email, 200) or None) if inbound.customer_email else None
    # A browser's tag, the same at every message: read once per tag (what is not text is no language).
    language = _language(inbound.language) if isinstance(inbound.language, str) else None
    if conversation is not None:
        if conversation.spam:
            return UnitOfWork(messages=[message])
        # No timer per message: the auto-close timer looks at the last message when it comes due.
        unit = UnitOfWork(messages=[message], work=[post(message)])
        told = told_later(conversation, inbound, given, email, language)
        if told is not conversation:  # a copy only where something changed (no field-by-field compare)
            unit.conversation = told
        if told.customer_name != conversation.customer_name and (line.settings.yes.crm or told.contact_id):
            unit.work.append(NewWork(Work.CRM_NAME, {"old": conversation.customer_name, "new": told.customer_name}))
        return unit
    thread = inbound.thread if isinstance(inbound, InboundComment) else None
    preview = relay.preview(text or " ".join(f"[{a.describe()}]" for a in inbound.attachments))
    new = rules.new_conversation(binding, inbound.customer_ref, name, email, now, thread, preview)
    new = replace(new, customer_language=language, customer_named=inbound.name_given)
    if spam:
        return UnitOfWork(conversation=replace(new, spam=True), messages=[message])
    unit = UnitOfWork(conversation=new, messages=[message],
                      work=[NewWork(Work.TEAM_ROOM, {"announce": True, "preview": preview}), post(message)])
    answer = first_answer(line, now, language)
    if answer:
        first = core.for_customer(MessageKind.AUTO, "", answer)
        unit.messages.append(first)
        unit.work += [send(first), post(first)]
    if line.settings.yes.crm:
        unit.work.append(NewWork(Work.CRM_LINK))
    unit.work += _silence_timer(line, now)
    unit.work.append(timer(Work.TIMER_OFFER, now))  # the queue: offered at once, or when the line opens
    if line.settings.kpi_first_answer_seconds:  # the KPI check comes due even if nothing else happens
        unit.work.append(timer(Work.TIMER_KPI, now + line.settings.kpi_first_answer_seconds))
    return unit


def told_later(c: Conversation, inbound: InboundMessage, given: str, email: str | None,
               language: str | None) -> Conversation:
    """What the customer's own message says of them since: an email or a name given later (the
    chat's forms), another language. A comment thread's other authors rename nobody."""
    if email and not c.customer_email:
        c = replace(c, customer_email=email)
    own_name = inbound.name_given and inbound.customer_ref == c.customer_ref and not isinstance(inbound, InboundComment)
    if own_name and given and given != c.customer_name:
        c = replace(c, customer_name=given, customer_named=True)
    if language and language != c.customer_language:
        c = replace(c, customer_language=language)
    return c


def first_answer(line: Line, now: float, language: str | None = None) -> str:
    """What a new conversation's customer is told first: the welcome, or the offline text."""
    if not line.enabled or not in_hours(line, now):
        return line.settings.text("offline_text", language)
    return line.settings.text("welcome_text", language)


def _silence_timer(line: Line, now: float) -> list[NewWork]:
    minutes = line.settings.autoclose_minutes
    return [timer(Work.TIMER_AUTOCLOSE, now + minutes * 60)] if minutes else []


def in_hours(line: Line, now: float) -> bool:
    return line_schedule(line).is_open(now)
