"""Visitor tokens: signed per widget, void after inactivity, revocable; the state store is a plain dict."""
from __future__ import annotations

from typing import Any

from backends.webchat.tokens import DAY, VisitorTokens


class MemoryState:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], dict[str, Any]] = {}

    async def get(self, binding_id: str, customer_ref: str) -> dict[str, Any]:
        return dict(self.data.get((binding_id, customer_ref), {}))

    async def put(self, binding_id: str, customer_ref: str, data: dict[str, Any]) -> None:
        self.data[(binding_id, customer_ref)] = dict(data)

    async def update(self, binding_id: str, customer_ref: str, change: Any) -> dict[str, Any]:
        self.data[(binding_id, customer_ref)] = after = change(dict(self.data.get((binding_id, customer_ref), {})))
        return dict(after)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def tokens(widget: str = "support", state: MemoryState | None = None, clock: Clock | None = None,
           secret: bytes = b"k" * 32) -> VisitorTokens:
    return VisitorTokens(secret, widget, f"webchat:{widget}", state or MemoryState(), 90, clock or Clock())


async def test_tokens_are_recognised_and_forgeries_are_not():
    mine = tokens()
    token, ref = mine.issue()
    await mine.register(ref)
    assert await mine.customer_ref(token) == ref
    assert await tokens(secret=b"other" * 8).customer_ref(token) is None
    for forged in ("", "abc", "a.b", token + "x", "a" * 300, "abc.\ud800", "é.é"):
        assert await mine.customer_ref(forged) is None


async def test_a_token_works_only_at_its_own_widget():
    state = MemoryState()
    token, ref = tokens("support", state).issue()
    assert await tokens("sales", state).customer_ref(token) is None


async def test_a_token_unused_for_longer_than_its_days_is_void_and_use_keeps_it_alive():
    state, clock = MemoryState(), Clock()
    mine = tokens(state=state, clock=clock)
    token, ref = mine.issue()
    await mine.register(ref)
    clock.now += 89 * DAY
    assert await mine.customer_ref(token) == ref  # used: 90 more days from now
    clock.now += 89 * DAY
    assert await mine.customer_ref(token) == ref
    clock.now += 91 * DAY
    assert await mine.customer_ref(token) is None


async def test_a_revoked_token_opens_nothing():
    mine = tokens()
    token, ref = mine.issue()
    await mine.register(ref)
    await mine.revoke(ref)
    assert await mine.customer_ref(token) is None


async def test_a_token_from_before_widget_binding_is_taken_only_where_its_visitor_wrote():
    import hashlib
    import hmac
    nonce = "legacy-nonce"
    old = f"{nonce}.{hmac.new(b'k' * 32, nonce.encode(), hashlib.sha256).hexdigest()[:32]}"
    mine = tokens()

    async def wrote_here(ref: str) -> bool:
        return True

    async def never_here(ref: str) -> bool:
        return False

    ref = await mine.customer_ref(old, wrote_here)
    assert ref is not None and not mine.current(old)
    assert await mine.customer_ref(old, never_here) is None
    renewed = mine.renewed(old)
    assert mine.current(renewed) and await mine.customer_ref(renewed) == ref
