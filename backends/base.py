"""What the runtime gives every channel backend over aiohttp: shared routes, context."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from backends.webchat_limits import WebchatLimits
from bridge.channels import ChannelBackend, CustomerState, FileStore


class AiohttpMounts:
    """Which backend answers for a key under a kind's URL prefix.

    aiohttp freezes its router once it serves, so each kind declares its
    routes once and finds the backend per request: a channel can then be
    added or removed while the server runs.
    """

    def __init__(self) -> None:
        self._mounts: dict[tuple[str, str], ChannelBackend] = {}

    def mount(self, kind: str, key: str, backend: ChannelBackend) -> None:
        self._mounts[(kind, key)] = backend

    def unmount(self, kind: str, key: str) -> None:
        self._mounts.pop((kind, key), None)

    def get(self, kind: str, key: str) -> ChannelBackend | None:
        return self._mounts.get((kind, key))

    def keys(self, kind: str) -> list[str]:
        return sorted(key for k, key in self._mounts if k == kind)

    def find(self, kind: str, key: str) -> ChannelBackend:
        backend = self._mounts.get((kind, key))
        if backend is None:
            raise web.HTTPNotFound(text=f"no such {kind} channel\n")
        return backend


@dataclass
class RuntimeContext:
    """Implements ``bridge.channels.ChannelContext``."""

    http: AiohttpMounts
    secret: bytes
    state: CustomerState
    files: FileStore
    public_url: str = ""
    base_url: str = ""  # where this server is reached: the public URL, else its own address
    webchat: WebchatLimits = field(default_factory=WebchatLimits)
