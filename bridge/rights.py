"""Who may do what: the one check every command and every room message goes through."""
from __future__ import annotations

import enum

from bridge.errors import Refused
from bridge.model import Conversation, Line, Role


class Action(enum.StrEnum):
    CONFIGURE = "configure"  # change the line, its channels, its people
    SUPERVISE = "supervise"  # see every conversation, statistics, rate
    ANSWER = "answer"  # take a waiting conversation
    WRITE = "write"  # write to the customer, whisper
    ACT = "act"  # close, pin, spam, invite, transfer a conversation
    VIEW = "view"  # read a conversation's history


class Rights:
    def __init__(self, global_admins: frozenset[str]) -> None:
        self.global_admins = global_admins

    def is_global_admin(self, person: str) -> bool:
        return person in self.global_admins

    def roles(self, person: str, line: Line) -> set[Role]:
        if self.is_global_admin(person):
            return {Role.ADMIN, Role.SUPERVISOR, Role.OPERATOR}
        return {role for role in Role if line.has_role(person, role)}

    def allows(self, person: str, action: Action, line: Line, conversation: Conversation | None = None) -> bool:
        roles = self.roles(person, line)
        if Role.ADMIN in roles:
            return True
        if Role.SUPERVISOR in roles:
            return action is not Action.CONFIGURE
        if action in (Action.CONFIGURE, Action.SUPERVISE):
            return False
        if conversation is None:
            return Role.OPERATOR in roles and action is Action.ANSWER
        if conversation.owner == person or conversation.participant(person) is not None:
            return action is not Action.ANSWER or conversation.owner in (None, person)
        waiting = conversation.owner is None and conversation.is_open
        return Role.OPERATOR in roles and waiting and action in (Action.ANSWER, Action.WRITE, Action.VIEW,
                                                                 Action.ACT)

    def room_people(self, line: Line, conversation: Conversation | None = None) -> frozenset[str]:
        """Who is in a team room now: a line's room is its people's (and the bot admins'); a conversation's
        room is its operator's, colleagues invited with the history, whom it is offered to while it waits,
        and the line's supervisors and admins. Narrower than VIEW: a room shows its whole history, so a
        colleague invited without it, or an operator it is not offered to, reads !transcript instead."""
        overseers = {*self.global_admins, *line.admins, *line.supervisors}
        if conversation is None:
            return frozenset({*overseers, *line.operators})
        c = conversation
        offered = c.offered_to if c.is_open and c.owner is None else ()
        return frozenset({*overseers, *(p.person for p in c.participants if not p.since_seq),
                          *([c.owner] if c.owner else []), *(p for p in offered if p in line.operators)})

    def sees_room(self, person: str, line: Line, conversation: Conversation) -> bool:
        return person in self.room_people(line, conversation)

    def check(self, person: str, action: Action, line: Line, conversation: Conversation | None = None) -> None:
        if self.allows(person, action, line, conversation):
            return
        raise Refused(self._why(person, action, line, conversation))

    def _why(self, person: str, action: Action, line: Line, conversation: Conversation | None) -> str:
        roles = self.roles(person, line)
        if action is Action.CONFIGURE:
            return f"only an admin of line {line.name} may change it"
        if action is Action.SUPERVISE:
            return f"only a supervisor or admin of line {line.name} may do that"
        if not roles and (conversation is None or conversation.participant(person) is None):
            return f"you are not an operator of line {line.name}"
        if conversation is not None and conversation.owner not in (None, person):
            return f"conversation {conversation.id} is already answered by {conversation.owner}"
        return f"you may not do that in line {line.name}"
