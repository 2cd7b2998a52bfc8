"""Visitor tokens: signed for one widget, void after months unused, revoked by "forget this chat".

A token is ``<random>.<signature>``, the signature covering the widget id:
a browser cannot make one up, and a token from another widget is a new
visitor there. The journal keeps only the customer's identity, a hash of the
random part. Per-customer state (the channel's ``CustomerState``) records
when the token was last used and whether it was revoked.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from typing import Awaitable, Callable

from backends.base import CustomerStates
from bridge.channels import CustomerState

DAY = 86400.0
TOUCH_EVERY = 3600.0  # "last used" is written at most this often: a hello is not a journal write
MAX_TOKEN = 200


class VisitorTokens:
    def __init__(self, secret: bytes, widget: str, binding_id: str, state: CustomerState, days: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._widget = widget
        self._binding_id = binding_id
        self._state = state
        self.states = CustomerStates(state, binding_id)
        self._lifetime = days * DAY
        self._clock = clock

    def issue(self) -> tuple[str, str]:
        """A new token and the customer it stands for."""
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._sign(nonce, self._widget)}", _ref(nonce)

    async def register(self, ref: str) -> None:
        seen = self._clock()
        await self._state.update(self._binding_id, ref, lambda state: {**state, "seen": seen})

    async def customer_ref(self, token: str | None,
                           known_here: Callable[[str], Awaitable[bool]] | None = None) -> str | None:
        """The customer of a valid, live token of this widget; None for anything else.

        ``known_here(ref)``: a token signed before tokens named their widget is
        taken only by a customer who has written at this widget before.
        """
        nonce = self._nonce(token)
        if nonce is None:
            return None
        ref = _ref(nonce)
        signature = (token or "").split(".")[1]
        if not _same(signature, self._sign(nonce, self._widget)):
            legacy = _same(signature, self._sign(nonce, None))
            if not (legacy and known_here is not None and await known_here(ref)):
                return None
        state = await self._state.get(self._binding_id, ref)
        if state.get("revoked"):
            return None
        now = self._clock()
        seen = float(state.get("seen") or 0)
        if seen and now - seen > self._lifetime:
            return None
        if now - seen > TOUCH_EVERY:  # a revocation made since the read above stays
            await self._state.update(self._binding_id, ref, lambda state: {**state, "seen": now})
        return ref

    def current(self, token: str | None) -> bool:
        """Whether the token is signed for this widget (a legacy one is swapped for a new one)."""
        nonce = self._nonce(token)
        return nonce is not None and _same((token or "").split(".")[1], self._sign(nonce, self._widget))

    def renewed(self, token: str | None) -> str:
        """The same visitor's token, signed for this widget."""
        nonce = self._nonce(token)
        assert nonce is not None
        return f"{nonce}.{self._sign(nonce, self._widget)}"

    async def revoke(self, ref: str) -> None:
        """"Forget this chat": the token opens nothing any more (the history stays for the company)."""
        await self.states.change(ref, lambda state: state.update(revoked=True))

    @staticmethod
    def _nonce(token: str | None) -> str | None:
        if not token or token.count(".") != 1 or len(token) > MAX_TOKEN or not token.isascii():
            return None
        nonce = token.split(".")[0]
        return nonce or None

    def _sign(self, nonce: str, widget: str | None) -> str:
        signed = nonce if widget is None else f"{widget}\n{nonce}"
        return hmac.new(self._secret, signed.encode(), hashlib.sha256).hexdigest()[:32]


LABEL_DIGITS = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread


@functools.lru_cache(maxsize=4096)  # asked at every message of a visitor who gave no name
def visitor_label(ref: str) -> str:
    """What operators call a visitor who gave no name: "Visitor 4F2AX", from the visitor's identity,
    so it is the same in every conversation and after restarts, and two visitors share one about
    once in 33 million."""
    n = int.from_bytes(hashlib.sha256(ref.encode()).digest()[:4], "big")
    return "Visitor " + "".join(LABEL_DIGITS[(n >> (5 * i)) & 31] for i in range(5))


def ref_of(token: str) -> str:
    """The customer a token names, without checking it (tests, tools)."""
    return _ref(token.split(".")[0])


def _ref(nonce: str) -> str:
    return "v-" + hashlib.sha256(nonce.encode()).hexdigest()[:32]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("ascii", "replace"), expected.encode())
