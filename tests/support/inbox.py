"""What a test client received, in order, and a wait for the first item that matches."""
from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Thread-safe: a client's reader adds, the test waits."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[T] = []
        self._changed = threading.Condition()

    def add(self, item: T) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def __len__(self) -> int:
        with self._changed:
            return len(self.items)

    def wait(self, predicate: Callable[[T], bool], timeout: float, start: int = 0) -> T:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for item in self.items[start:]:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.name}: nothing such within {timeout}s; last: {self.items[-8:]}")
                self._changed.wait(left)
