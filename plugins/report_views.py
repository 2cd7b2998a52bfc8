"""How the operators' reading commands read: conversation lists, transcripts, CRM records, statistics.

The ``*_text`` coroutines read and render on the core's loop (the live
configuration is the loop's to read). Everything a customer wrote (names,
previews, messages) goes through the team backend's ``escape``; internal
messages are marked 🔒.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Callable

from bridge import relay
from bridge.model import ChannelBinding, Conversation, Delivery, Message
from bridge.reports import Only, Reports, StatsReport, line_zone
from bridge.stats import Figures, span
from bridge.transcripts import CustomerRecord, TranscriptPage
from plugins.facade import OpenLinesApi

Escape = Callable[[str], str]
MAX_ROWS = 40  # conversations one !conversations answer lists
MAX_SHOWN = 1000  # characters of one message in a transcript
WHAT = {Only.ALL: "open conversations", Only.WAITING: "waiting conversations", Only.MINE: "conversations of yours"}


async def conversations_text(api: OpenLinesApi, person: str, line_name: str | None, only: Only) -> str:
    reports = api.reports
    found = await reports.open_conversations(person, line_name, only)
    return conversation_rows(reports, found, api.now(), api.escape, WHAT[only])


async def transcript_text(api: OpenLinesApi, conversation_id: str, person: str, number: int) -> list[str]:
    """The page's lines (one per message)."""
    page = await api.transcripts.page(conversation_id, person, number)
    c = page.conversation
    return transcript(page, api.directory.binding_or_removed(c.binding_id, c.line_id), api.escape)


def in_parts(lines: list[str], limit: int) -> list[str]:
    """Whole lines packed into replies of at most ``limit`` characters. Errbot cuts a longer reply
    anywhere, even inside an escape (``&l|t;``), and a customer's text would arrive mangled."""
    parts: list[list[str]] = [[]]
    size = 0
    for line in lines:
        if parts[-1] and size + len(line) + 1 > limit:
            parts.append([])
            size = 0
        parts[-1].append(line)
        size += len(line) + 1
    return ["\n".join(part) for part in parts]


async def crm_text(api: OpenLinesApi, conversation_id: str, person: str) -> str:
    record = await api.transcripts.record(conversation_id, person)
    label = api.reports.channel_label(record.conversation)
    return crm_record(record, label, api.escape)


def conversation_rows(reports: Reports, found: list[Conversation], now: float, escape: Escape, what: str) -> str:
    if not found:
        return f"No {what}."
    rows = [f"{what[0].upper()}{what[1:]} ({len(found)}), oldest first:"]
    for c in found[:MAX_ROWS]:
        rows.append(f"• {c.id} · {reports.line_name(c)} · {escape(c.customer_name)} ({reports.channel_label(c)}) · "
                    f"{span(now - c.created_at)} · {_who_has(c)} · “{escape(c.preview)}”")
    if len(found) > MAX_ROWS:
        rows.append(f"… and {len(found) - MAX_ROWS} more: name a line, or add --waiting or --mine.")
    return "\n".join(rows)


def _who_has(c: Conversation) -> str:
    if c.owner:
        return c.owner
    if c.spam:
        return "🚫 spam: kept, not offered"
    return f"waiting (offered to {', '.join(c.offered_to)})" if c.offered_to else "waiting"


def transcript(page: TranscriptPage, binding: ChannelBinding, escape: Escape) -> list[str]:
    c, line = page.conversation, page.line
    state = "closed" if not c.is_open else (f"answered by {c.owner}" if c.owner else "waiting")
    where = "newest" if page.number == 1 else f"page {page.number}"
    head = [f"Conversation {c.id} · {line.name} · {escape(c.customer_name)} ({relay.customer_label(binding)}) · "
            f"{state} — {where} messages, times in {line.settings.timezone}:"]
    if page.since_seq:
        head.append("(you were invited without its history: you see what followed)")
    if not page.messages:
        head.append("(no messages)")
    body = [_message(m, c, binding, escape, line_zone(line)) for m in page.messages]
    more = f"Older messages: !transcript {c.id} --page {page.number + 1}" if page.older else \
        f"That is the beginning of the conversation ({page.pages} page(s))."
    return [*head, *body, more]


def _message(m: Message, c: Conversation, binding: ChannelBinding, escape: Escape, zone: dt.tzinfo) -> str:
    if len(m.text) > MAX_SHOWN:
        m = dataclasses.replace(m, text=m.text[:MAX_SHOWN] + f"… ({len(m.text) - MAX_SHOWN} more characters)")
    post = relay.team_post(m, c, binding)
    mark = "🔒 " if post.internal else ""
    state = {Delivery.PENDING: " ⏳ not delivered yet",
             Delivery.FAILED: f" ⚠️ not delivered: {m.error or 'failed'}"}.get(m.delivery, "")
    moment = dt.datetime.fromtimestamp(m.ts, zone).strftime("%m-%d %H:%M")
    return f"[{moment}] {mark}{relay.render_team_post(post, escape)}{escape(state)}"


def crm_record(record: CustomerRecord, label: str, escape: Escape) -> str:
    c, card = record.conversation, record.card
    out = [f"CRM record of conversation {c.id} ({escape(c.customer_name)}, {label}):"]
    if card is None:
        out.append(f"No contact: {record.problem}.")
    else:
        tags = f" · tags: {escape(', '.join(card.tags))}" if card.tags else ""
        out.append(f"Contact {card.contact_id}: {escape(card.name or '(no name)')} · "
                   f"{escape(card.email or 'no email')}{tags}")
        out += [f"Lead: {escape(lead.title)} ({lead.status}, {_day(lead.created_at)})" for lead in card.leads] \
            or ["Lead: none"]
        out.append(f"Activities on the record: {card.activities}")
    if not record.past:
        out.append("Past conversations: none on this channel.")
        return "\n".join(out)
    shown = f", the last {len(record.past)}" if record.past_total > len(record.past) else ""
    out.append(f"Past conversations ({record.past_total}{shown}):")
    for p in record.past:
        state = f"open, {p.owner or 'waiting'}" if p.is_open else \
            f"closed {_day(p.closed_at or p.created_at)}" + (f", {p.owner}" if p.owner else ", never answered")
        out.append(f"• {p.id} · {_day(p.created_at)} · {state} · “{escape(p.preview)}” — !transcript {p.id}")
    return "\n".join(out)


def stats_text(s: StatsReport) -> str:
    r = s.report
    names = ", ".join(line.name for line in s.lines)
    out = [f"Statistics of {names}, the last {s.days} day(s) (since {_day(r.since)} UTC):"]
    if s.cut:
        out.append("(too many conversations: the newest were left out; ask for fewer days)")
    out += [_summary(r.total)]
    if len(r.lines) > 1:
        out.append("Per line: " + " · ".join(f"{k} {_short(v)}" for k, v in r.lines.items()))
    if r.channels:
        out.append("Per channel: " + " · ".join(f"{k} {_short(v)}" for k, v in r.channels.items()))
    if r.operators:
        out.append("Per operator: " + " · ".join(f"{k} {_short(v, first=True)}" for k, v in r.operators.items()))
    if r.hours:
        zones = sorted({line.settings.timezone for line in s.lines})
        out.append(f"Per hour of day ({', '.join(zones)}): " +
                   " · ".join(f"{k}h {v.conversations}" for k, v in r.hours.items()))
    return "\n".join(out)


def _summary(f: Figures) -> str:
    rated = f"customers 👍 {f.rated_good} 👎 {f.rated_bad}"
    if f.supervisor_mean is not None:
        rated += f" · supervisors {f.supervisor_mean:.1f}/5 ({f.supervisor_ratings})"
    return (f"Conversations {f.conversations} · answered {f.answered} · missed {f.missed} · spam {f.spam} · "
            f"still open {f.open}\nFirst answer: median {_span(f.first_answer_median)} · "
            f"90% within {_span(f.first_answer_p90)} · duration: median {_span(f.duration_median)}\n"
            f"Ratings: {rated}")


def _short(f: Figures, first: bool = False) -> str:
    extra = f", first answer median {_span(f.first_answer_median)}" if first else f", missed {f.missed}"
    rated = f", 👍 {f.rated_good} 👎 {f.rated_bad}" if first and (f.rated_good or f.rated_bad) else ""
    return f"{f.conversations} (answered {f.answered}{extra}{rated})"


def _span(seconds: float | None) -> str:
    return "—" if seconds is None else span(seconds)


def _day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))
