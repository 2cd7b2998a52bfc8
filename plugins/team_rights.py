"""Errbot's own rights for the team side: which of its commands only admins may use.

``ACCESS_CONTROLS`` and ``BOT_ADMINS`` are glob patterns in Errbot; team-chat
identities are compared exactly here, so a pattern character in an identity
is escaped rather than matched.
"""
from __future__ import annotations

from glob import escape as exact  # a glob that matches an identity and nothing else
from typing import Any

ADMIN_ONLY = ("ChatRoom:*", "Plugins:*", "Health:*", "Utils:log*", "Utils:render*")


def access_controls(admins: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Errbot's room commands (list, join, topic, destroy… conversation rooms hold customers' data),
    plugin management and health: admins only, anywhere."""
    allowed = tuple(exact(a) for a in admins)
    return {pattern: {"allowusers": allowed, "allowmuc": True} for pattern in ADMIN_ONLY}


def core_plugins(backend: str) -> tuple[str, ...]:
    """What operators and admins need of Errbot's own plugins (Open Lines' ``Guide`` is the help).

    Left out: Help (replaced), Backup and Flows (Open Lines keeps its own state), Webserver
    (Open Lines serves HTTP itself), VersionChecker (calls the internet). TextCmds only serves
    the Text console (``!inroom``…).
    """
    return ("ACLs", "ChatRoom", "CommandNotFoundFilter", "Health", "Plugins", "Utils") + \
        (("TextCmds",) if backend == "Text" else ())
