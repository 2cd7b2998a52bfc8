"""The names of owed work and of the lanes it runs in: spelled here once, used everywhere.

A work kind is "<family>.<what>" (the family is the side it acts on: the team
chat, the customer, the CRM, a timer, mail). Its value is what the journal
stores, so a value never changes. A lane is a name the outbox runs in order:
by default the family's lane of the work's conversation (its room's posts, its
customer's sends, its CRM record), else a lane of its own (a line's room, an
employee's private chat). Lanes are named here, never by the stores.
"""
from __future__ import annotations

import enum


class Work(enum.StrEnum):
    """Every kind of owed work; the value is stored as it is."""

    TEAM_ROOM = "team.room"  # open a conversation's room (and maybe announce it)
    TEAM_POST = "team.post"  # show a message in its conversation's room
    TEAM_ANNOUNCE = "team.announce"  # a new conversation, announced in its line's room
    TEAM_ALERT = "team.alert"  # a note in a line's room
    TEAM_DIRECT = "team.direct"  # a private note to one employee
    TEAM_INVITE = "team.invite"  # bring an employee into a conversation's room
    TEAM_MIRROR = "team.mirror"  # a message copied in private to a colleague invited without the history
    CUSTOMER_SEND = "customer.send"  # deliver a message to the customer
    CRM_LINK = "crm.link"  # find or create the customer's contact (and lead)
    CRM_TRANSCRIPT = "crm.transcript"  # attach a closed conversation's transcript
    CRM_TAG = "crm.tag"  # tag the contact (a spammer)
    CRM_NAME = "crm.name"  # the contact takes the name the customer gave
    MAIL_MISSED = "mail.missed"  # a digest of replies an absent customer missed
    TIMER_OFFER = "timer.offer"  # offer a waiting conversation (again)
    TIMER_AUTOCLOSE = "timer.autoclose"  # close a silent conversation
    TIMER_KPI = "timer.kpi"  # check the first-answer target

    @property
    def family(self) -> str:
        """The side it acts on: "team", "customer", "crm", "mail", "timer"."""
        return self.value.partition(".")[0]


def of_families(*families: str) -> tuple[str, ...]:
    """The kind prefixes of whole families ("team." for all the team chat's work): what an outbox
    leaves to another process (an intake worker leaves the team chat's to the team side)."""
    return tuple(f"{family}." for family in families)


# What a closed conversation no longer owes.
CONVERSATION_TIMERS = (Work.TIMER_AUTOCLOSE, Work.TIMER_OFFER, Work.TIMER_KPI)


def conversation_lane(kind: str, conversation_id: str | None) -> str:
    """A conversation's lane for work of this kind: "team:<id>" (its room), "customer:<id>", "crm:<id>"…"""
    return f"{kind.partition('.')[0]}:{conversation_id}"


def line_lane(line_id: str) -> str:
    """A line's room (announcements, alerts): one lane per line."""
    return f"line:{line_id}"


def dm_lane(person: str) -> str:
    """An employee's private chat with the bot: their notes arrive in order."""
    return f"dm:{person}"


def lane_family(lane: str) -> str:
    """What a lane is of: "team", "customer", "crm", "line", "dm"…"""
    return lane.partition(":")[0]


def timer_key(kind: str, conversation_id: str | None) -> str:
    """A timer's unique key: one pending timer of a kind per conversation."""
    return f"{kind}:{conversation_id}"
