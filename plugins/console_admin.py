"""Admins manage the team console's accounts from the chat: !console add|people|revoke|remove."""
from __future__ import annotations

from typing import Any

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from backends.console.accounts import AccountError, checked_login


class ConsoleAdmin(BotPlugin):
    """Team console accounts (admins only, in a direct message)."""

    def _console(self) -> Any:
        if getattr(self._bot, "mode", "") != "console":
            raise CommandError("These commands manage the web team console; this bot runs another team chat.")
        return self._bot

    @botcmd(admin_only=True)
    def console_add(self, msg: Message, args: str) -> str:
        """Add an employee (or give them a new sign-in): !console add <login> [Full name]."""
        given, _, name = args.strip().partition(" ")
        console = self._console()
        try:
            login = checked_login(given)
            token = console.accounts.invite(login, name.strip())
        except AccountError as exc:
            raise CommandError(f"{exc}. Usage: !console add <login> [Full name]") from None
        url = f"{console.host.base_url}/team/#welcome={token}" if console.host else f"/team/#welcome={token}"
        return f"@{login} can sign in once with this link (valid 24 hours), then chooses a password: {url}"

    @botcmd(admin_only=True)
    def console_people(self, msg: Message, args: str) -> str:
        """Who has a team console account: !console people."""
        people = self._console().accounts.logins()
        return "\n".join(f"- @{login} ({name})" for login, name in people) or "Nobody yet."

    @botcmd(admin_only=True)
    def console_revoke(self, msg: Message, args: str) -> str:
        """End every session of someone (a lost laptop…): !console revoke <login>."""
        login = args.strip().removeprefix("@")
        ended = self._console().end_sessions(login)
        return f"Ended {ended} session(s) of @{login}; unused sign-in links are void."

    @botcmd(admin_only=True)
    def console_remove(self, msg: Message, args: str) -> str:
        """Remove someone's team console account: !console remove <login>."""
        login = args.strip().removeprefix("@")
        console = self._console()
        console.end_sessions(login)  # their open pages close too
        if not console.accounts.remove(login):
            raise CommandError(f"There is no account @{login[:40]}.")
        return f"@{login}'s account is removed and their sessions ended."
