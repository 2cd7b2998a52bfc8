"""Admins manage the team console's accounts from the chat: !console add|people|revoke|remove."""
from __future__ import annotations

from typing import Any

from errbot import BotPlugin, CommandError, botcmd
from errbot.backends.base import Message

from backends.team.console.accounts import AccountError, checked_login
from bridge.errors import OpenLinesError
from plugins.facade import running_api


class ConsoleAdmin(BotPlugin):
    """Team console accounts (admins only, in a direct message)."""

    def _console(self) -> Any:
        if getattr(self._bot, "mode", "") != "console":
            raise CommandError("These commands manage the web team console; this bot runs another team chat.")
        return self._bot

    @botcmd(admin_only=True)
    def console_add(self, msg: Message, args: str) -> str:
        """Add an employee (or give them a new sign-in): !console add <login> [Full name] [--again]."""
        again = "--again" in args.split()
        given, _, name = " ".join(word for word in args.split() if word != "--again").partition(" ")
        console = self._console()
        try:
            login = checked_login(given)
            self._not_a_removed_login(console, login, again)
            token = console.accounts.invite(login, name.strip())
        except AccountError as exc:
            raise CommandError(f"{exc}. Usage: !console add <login> [Full name]") from None
        url = f"{console.host.base_url}/team/#welcome={token}" if console.host else f"/team/#welcome={token}"
        return f"@{login} can sign in once with this link (valid 24 hours), then chooses a password: {url}"

    @staticmethod
    def _not_a_removed_login(console: Any, login: str, again: bool) -> None:
        """A removed login is not handed to somebody else by mistake: past conversations still name it,
        and rights follow the name."""
        if console.book.forgotten_at(login) is None:
            return
        if not again:
            raise CommandError(f"@{login} belonged to an account that was removed; conversations still name "
                               f"@{login}. Give someone new another login, or, for the same person coming back: "
                               f"!console add {login} --again")
        console.book.welcome_back(login)

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
        if not self._console().remove_account(login):  # their open pages close too
            raise CommandError(f"There is no account @{login[:40]}.")
        return f"@{login}'s account is removed, their sessions ended and their direct chat deleted. " + \
            self._off_the_lines(msg, f"@{login}")

    def _off_the_lines(self, msg: Message, person: str) -> str:
        """Their roles end with the account: no offers, announcements or supervision for nobody."""
        try:
            api = running_api(self)
            ended = api.call(api.lines.revoke_everywhere(api.person_id(msg.frm), person))
        except (CommandError, OpenLinesError) as exc:
            return f"Their line roles are unchanged ({exc}): take them back with !line revoke."
        return f"No longer {', '.join(ended)}." if ended else "They had no role on any line."
