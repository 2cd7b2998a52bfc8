"""The one Meta webhook: ``GET/POST /meta/{id}`` for Messenger, Instagram and page comments.

A Meta app has one callback URL per object ("page", "instagram"), and a page's
messages and its feed come to the same one, so the route is keyed by the page
(or Instagram account) id and each entry goes to the binding of its own id and
kind: messaging to ``facebook``/``instagram``, feed changes to ``fbcomments``.

Durability before speed: every event of a delivery is handed to
``sink.accept`` (a durable journal commit, milliseconds) before we answer 200,
so nothing Meta believes delivered is only in memory. Slow parts are bounded
(file downloads, a name or a post's text fetched once); if Meta still times
out it delivers again, and the platform ids (``mid``, ``comment_id``,
``mid#num_edit``) make the repeat store nothing. A storage failure answers
503 so that Meta retries. A signed event we cannot read (an unknown event, a
body that is not even an envelope) is kept by the channel it came to and told
to its line once per kind; only then does Meta get its 200.
"""
from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any, Protocol, cast

from aiohttp import web

from backends.base import kept_or_retry, refused_kind, stored_or_retry
from backends.meta.parse import Item, PayloadError, parse, unreadable
from bridge.channels import CustomerStatus, DeliveryReceipt, Unreadable

log = logging.getLogger(__name__)
QUIET = (DeliveryReceipt, CustomerStatus)  # nothing a customer said: nothing to keep without its channel
KINDS = ("facebook", "fbcomments", "instagram")
_CHALLENGE = re.compile(r"^[\w.-]{1,200}$", re.ASCII)


class Receiver(Protocol):
    """What the webhook needs of a Meta backend (``backends.meta.base.MetaBackend``)."""

    def signed(self, body: bytes, signature: str) -> bool: ...

    def verifies(self, token: str) -> bool: ...

    async def take(self, item: Item) -> None: ...

    async def keep(self, what: str, reason: str, raw: Any) -> None: ...


def routes(mounts: Any) -> list[web.RouteDef]:
    return [web.get("/meta/{key}", partial(verify, mounts)), web.post("/meta/{key}", partial(receive, mounts))]


def _receiver(mounts: Any, kind: str, key: str) -> Receiver | None:
    return cast("Receiver | None", mounts.get(kind, key))


def _here(mounts: Any, key: str) -> list[Receiver]:
    found = [r for r in (_receiver(mounts, kind, key) for kind in KINDS) if r is not None]
    if not found:
        raise web.HTTPNotFound(text="no such Meta channel\n")
    return found


async def verify(mounts: Any, request: web.Request) -> web.Response:
    """Meta's subscription check: echo ``hub.challenge`` when ``hub.verify_token`` is ours."""
    here = _here(mounts, request.match_info["key"])
    query = request.query
    if query.get("hub.mode") != "subscribe" or not any(r.verifies(query.get("hub.verify_token", ""))
                                                       for r in here):
        raise web.HTTPForbidden(text="the verify token does not match this channel's\n")
    challenge = query.get("hub.challenge", "")
    if not _CHALLENGE.match(challenge):
        raise web.HTTPBadRequest(text="hub.challenge is missing or malformed\n")
    return web.Response(text=challenge)


async def receive(mounts: Any, request: web.Request) -> web.Response:
    key = request.match_info["key"]
    here = _here(mounts, key)
    body = await request.read()
    signature = request.headers.get("X-Hub-Signature-256", "")
    verdicts: dict[int, bool] = {}

    def signed_for(receiver: Any) -> bool:  # one HMAC of the body per app secret, not per event
        if id(receiver) not in verdicts:
            verdicts[id(receiver)] = receiver.signed(body, signature)
        return verdicts[id(receiver)]

    if not any(signed_for(r) for r in here):
        raise web.HTTPForbidden(text="the X-Hub-Signature-256 does not match this channel's app secret\n")
    signer = next(r for r in here if signed_for(r))
    try:
        items = parse(body)
    except PayloadError as exc:  # signed, so Meta's: kept, or a 4xx would lose it after Meta's retries
        await kept_or_retry("a Meta body", signer.keep("webhook body", str(exc), body))
        return web.Response(text="EVENT_RECEIVED")
    for item in items:
        receiver = _receiver(mounts, item.kind, item.account or key)
        if receiver is None and item.account in ("", key) and not isinstance(item.event, QUIET):
            receiver, item = signer, _not_connected(item)  # this page's, for a kind not connected here
        if receiver is None:
            continue  # another page the app serves, or a receipt for a kind not connected here
        if not signed_for(receiver):
            log.warning("a Meta entry for %s:%s came signed by another app: skipped", item.kind, item.account)
            continue
        what = f"a Meta event for {item.kind}:{item.account}"
        if isinstance(item.event, Unreadable):
            await kept_or_retry(what, receiver.keep(item.event.kind, item.event.reason, item.raw))
        else:
            await stored_or_retry(what, receiver.take(item), partial(_keep_refused, receiver, item))
    return web.Response(text="EVENT_RECEIVED")


def _not_connected(item: Item) -> Item:
    """An event for a kind this page has no channel of (a comment, with only Messenger connected)."""
    if isinstance(item.event, Unreadable):
        return item
    what = {"fbcomments": "page comment"}.get(item.kind, f"{item.kind} event")
    return unreadable(item.kind, item.account, what, f"no {item.kind} channel is connected for this page", item.raw)


async def _keep_refused(receiver: Receiver, item: Item, reason: str) -> None:
    await receiver.keep(refused_kind(item.event), reason, item.raw)
