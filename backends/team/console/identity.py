"""The console's people and rooms as Errbot identifiers: ``@login`` and ``#room``, compared exactly."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from errbot.backends.base import Person, Room, RoomOccupant

if TYPE_CHECKING:
    from backends.team.console.rooms import RoomBook


class ConsolePerson(Person):
    def __init__(self, login: str, name: str = "") -> None:
        self.login = login
        self._name = name

    @property
    def person(self) -> str:
        return f"@{self.login}"

    @property
    def client(self) -> str:
        return ""

    @property
    def nick(self) -> str:
        return self.login

    @property
    def aclattr(self) -> str:
        return f"@{self.login}"

    @property
    def fullname(self) -> str:
        return self._name or self.login

    @property
    def email(self) -> str:
        return ""

    def __str__(self) -> str:
        return f"@{self.login}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConsolePerson) and not isinstance(other, RoomOccupant) and other.login == self.login

    def __hash__(self) -> int:
        return hash(("person", self.login))


class ConsoleRoom(Room):
    """A room of the console; its state lives in the backend's ``RoomBook``."""

    def __init__(self, name: str, book: "RoomBook") -> None:
        self.name = name.removeprefix("#")
        self._book = book

    def join(self, username: str | None = None, password: str | None = None) -> None:
        self._book.create(str(self))

    def create(self) -> None:
        self._book.create(str(self))

    def leave(self, reason: str | None = None) -> None:
        self._book.leave_bot(str(self))

    def destroy(self) -> None:
        self._book.destroy(str(self))

    @property
    def exists(self) -> bool:
        return self._book.exists(str(self))

    @property
    def joined(self) -> bool:
        return self._book.exists(str(self))

    @property
    def topic(self) -> str:
        return self._book.topic(str(self))

    @topic.setter
    def topic(self, topic: str) -> None:
        self._book.set_topic(str(self), topic)

    @property
    def occupants(self) -> list["ConsoleOccupant"]:
        return [ConsoleOccupant(login, self) for login in self._book.occupants(str(self))]

    def invite(self, *people: Any) -> None:
        for person in people:
            self._book.add(str(self), str(getattr(person, "login", str(person))).removeprefix("@"))

    @property
    def aclattr(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return f"#{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConsoleRoom) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("room", self.name))


class ConsoleOccupant(ConsolePerson, RoomOccupant):
    def __init__(self, login: str, room: ConsoleRoom, name: str = "") -> None:
        super().__init__(login, name)
        self._room = room

    @property
    def room(self) -> ConsoleRoom:
        return self._room

    def __str__(self) -> str:
        return f"{self._room}/@{self.login}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConsoleOccupant) and (other.login, other.room) == (self.login, self.room)

    def __hash__(self) -> int:
        return hash(("occupant", self.login, self._room.name))
