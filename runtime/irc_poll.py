"""The irc library (Errbot's IRC backend) watches its socket with select(), which fails ("filedescriptor
out of range") for a descriptor above 1023 — and a process serving many customers holds more, so a
reconnection there would stop the backend for good. ``install`` gives its reactor the same loop over
poll(), which has no such limit; before the backend starts serving (its loop binds the method once).
"""
from __future__ import annotations

import select
import time
from typing import Any


def install() -> None:
    from irc.client import Reactor  # only where the IRC backend runs

    Reactor.process_once = _process_once


def _process_once(reactor: Any, timeout: float = 0) -> None:
    sockets = [sock for sock in reactor.sockets if sock.fileno() >= 0]
    if sockets:
        poller = select.poll()
        for sock in sockets:
            poller.register(sock, select.POLLIN)
        ready = {fd for fd, _ in poller.poll(timeout * 1000)}
        reactor.process_data([sock for sock in sockets if sock.fileno() in ready])
    else:
        time.sleep(timeout)
    reactor.process_timeout()
