"""Canned answers per line (``Line.quick``): listed by the line's people, kept by its supervisors and admins.

Sending one is an ordinary operator reply (the same rights, the same
delivery); this module only finds the text. Changes are saved and audited
through ``LineAdmin.save``, in the line administration's one turn, so a
change made at the same moment (another answer, a grant) is never lost.
"""
from __future__ import annotations

import dataclasses
import re

from bridge import relay
from bridge.admin import LineAdmin
from bridge.errors import Refused
from bridge.model import Conversation, Line
from bridge.rights import Action

MAX_ANSWERS = 100  # per line
MAX_TEXT = 2000  # characters of one answer
MAX_TOTAL = 20_000  # characters of a line's answers together: its exported file stays small enough to import
NAME = re.compile(r"^[\w-]{1,30}$")
RESERVED = frozenset({"list", "add", "remove"})  # the !quick sub-commands


def checked_name(name: str) -> str:
    if not NAME.match(name):
        raise Refused(f"“{name[:40]}” is not a quick answer name: up to 30 letters, digits, _ or -")
    if name.lower() in RESERVED:
        raise Refused(f"“{name}” is a !quick sub-command; choose another name")
    return name


def checked_text(text: str) -> str:
    if not relay.well_formed(text):
        raise Refused("a quick answer that is not well-formed Unicode")
    text = relay.clean_text(text).strip()
    if not text:
        raise Refused("a quick answer needs a text")
    if len(text) > MAX_TEXT:
        raise Refused(f"a quick answer has at most {MAX_TEXT} characters")
    return text


def _check_total(answers: tuple[tuple[str, str], ...]) -> None:
    if sum(len(text) for _, text in answers) > MAX_TOTAL:
        raise Refused(f"a line's quick answers have at most {MAX_TOTAL} characters together; remove some first")


def checked_answers(entries: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A whole set (an imported line file): every name valid and once, at most MAX_ANSWERS."""
    if len(entries) > MAX_ANSWERS:
        raise Refused(f"a line has at most {MAX_ANSWERS} quick answers")
    seen: set[str] = set()
    out = []
    for name, text in entries:
        name = checked_name(name)
        if name.lower() in seen:
            raise Refused(f"the quick answer “{name}” is there twice")
        seen.add(name.lower())
        out.append((name, checked_text(text)))
    _check_total(tuple(out))
    return tuple(out)


def find(line: Line, name: str) -> tuple[str, str] | None:
    return next(((n, t) for n, t in line.quick if n.lower() == name.lower()), None)


class QuickAnswers:
    def __init__(self, admin: LineAdmin) -> None:
        self.admin = admin
        self.core = admin.core

    def lines(self, actor: str, line_name: str | None) -> list[Line]:
        """The lines whose quick answers ``actor`` may read: one by name, or all theirs."""
        if line_name:
            return [self.admin.line_for(actor, line_name, Action.VIEW)]
        return self.admin.visible_lines(actor)

    async def line_to_keep(self, actor: str, named: str | None, conversation_id: str | None) -> Line:
        """The line whose answers ``actor`` keeps: the one named, else the conversation's (in its
        room), else the only line they supervise; otherwise they are asked which."""
        if named:
            return self.admin.line_for(actor, named, Action.SUPERVISE)
        if conversation_id is not None:
            c = await self.core.journal.conversations.conversation(conversation_id)
            return self.admin.line_for(actor, self.core.directory.line_or_removed(c.line_id).name, Action.SUPERVISE)
        mine = [line for line in self.core.directory.live_lines()
                if self.core.rights.allows(actor, Action.SUPERVISE, line)]
        if len(mine) == 1:
            return mine[0]
        raise Refused("which line? Write it in one of its conversations' rooms, or add --line LINE"
                      if mine else "only a line's supervisors and admins keep its quick answers")

    def names_a_line(self, word: str) -> bool:
        return any(word.lower() in (line.id, line.name.lower()) for line in self.core.directory.live_lines())

    async def text_for(self, conversation_id: str, person: str, name: str) -> str:
        """The text of ``name`` on the conversation's line, if ``person`` may write there."""
        c: Conversation = await self.core.journal.conversations.conversation(conversation_id)
        line = self.core.directory.line_or_removed(c.line_id)
        self.core.rights.check(person, Action.WRITE, line, c)
        found = find(line, name)
        if found is None:
            known = ", ".join(n for n, _ in line.quick) or "none yet"
            raise Refused(f"line {line.name} has no quick answer “{name[:30]}” (it has: {known[:300]})")
        return found[1]

    async def add(self, actor: str, line_name: str, name: str, text: str) -> Line:
        name, text = checked_name(name), checked_text(text)
        async with self.admin.turn:
            line = self.admin.line_for(actor, line_name, Action.SUPERVISE)
            if find(line, name) is not None:
                raise Refused(f"line {line.name} already has a quick answer “{name}”; remove it first")
            if len(line.quick) >= MAX_ANSWERS:
                raise Refused(f"line {line.name} has {MAX_ANSWERS} quick answers already; remove one first")
            changed = dataclasses.replace(line, quick=(*line.quick, (name, text)))
            _check_total(changed.quick)
            await self.admin.save(changed, actor, "quick add", f"{name}: {relay.preview(text, 60)}")
            return changed

    async def remove(self, actor: str, line_name: str, name: str) -> Line:
        async with self.admin.turn:
            line = self.admin.line_for(actor, line_name, Action.SUPERVISE)
            found = find(line, name)
            if found is None:
                raise Refused(f"line {line.name} has no quick answer “{name[:30]}”")
            changed = dataclasses.replace(line, quick=tuple(q for q in line.quick if q != found))
            await self.admin.save(changed, actor, "quick remove", found[0])
            return changed

