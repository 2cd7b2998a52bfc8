"""The runtime: the core wired up and running on the host's loop (stores, services, outbox, channels).

It knows nothing of Errbot: the plugin hands it a TeamChat and calls in
through the host; that keeps it testable and reusable. "The core" is
``bridge.core.Core`` alone; this is what runs it.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Mapping

from backends import registry
from backends.base import RuntimeContext
from bridge.actions import OperatorActions
from bridge.channels import OutboundMessage
from bridge.config_watch import ConfigWatch
from bridge.errors import Refused
from bridge.inbound import InboundService
from bridge.model import Conversation
from bridge.ports import Clock, SystemClock, TeamChat
from bridge.services import Limits, Services
from bridge.store import Journal
from bridge.team_queries import CoreTeamQueries
from bridge.team_work import TeamWork
from crm_store.port import AsyncCrm, open_crm_or_stand_in
from crm_store.unavailable import UnavailableCrm
from journal_store import is_postgres, open_journal
from runtime.channels import ChannelManager
from runtime.files import dir_writable, open_files
from runtime.kinds import RegistryKinds
from runtime.host import Host
from runtime.mailer import SmtpMailer
from runtime.metrics import Gauges
from runtime.ops import ConversationCounts, gauges
from runtime.secrets import FernetSealer, shared_signing_secret, signing_secret
from runtime.seed import seed_defaults
from runtime.settings import Settings

log = logging.getLogger(__name__)
DEAD_WINDOW = 15 * 60.0  # work given up this recently makes the health check fail


class Runtime:
    def __init__(self, settings: Settings, host: Host, team: TeamChat, clock: Clock | None = None, *,
                 leave: tuple[str, ...] = ()) -> None:
        """``leave``: work kinds (prefixes) another process runs — an intake worker leaves the team chat's."""
        self.settings = settings
        self.host = host
        self.team = team
        self.clock = clock or SystemClock()
        self.journal: Journal | None = None
        self.crm: AsyncCrm | None = None
        self.leave = leave
        self.sharing: Any = None  # runtime.sharing.Sharing, on a database other processes share
        self._counts = ConversationCounts()

    # -- from other threads ---------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        try:
            self.host.call(self._start(), timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        if self.host.running:
            try:
                self.host.call(self._stop(), timeout)
            except Exception as exc:
                log.error("Open Lines did not stop cleanly: %s", type(exc).__name__)

    # -- on the loop --------------------------------------------------------------------------
    async def _start(self) -> None:
        s = self.settings
        sealer = await asyncio.to_thread(FernetSealer.from_settings, s.secret_key, s.path("sealing.key"))
        journal = await asyncio.to_thread(open_journal, s.journal, sealer=sealer, synchronous=s.journal_sync)
        self.journal = journal
        self.crm = AsyncCrm(await asyncio.to_thread(open_crm_or_stand_in, s.crm))
        if await seed_defaults(journal.config, s.operators):
            log.info("first start: created the line Support with a website chat at /webchat/support/")
        if is_postgres(s.journal):  # the journal is where work is shared: other processes may use it
            from runtime.sharing import Sharing  # only a shared database needs it
            secret = await asyncio.to_thread(shared_signing_secret, s.journal, s.path("secret.key"))
            self.sharing = Sharing(s.journal, lambda binding_id: self.channels.get(binding_id))
            await self.sharing.open()
        else:
            secret = await asyncio.to_thread(signing_secret, s.path("secret.key"))
        files = await asyncio.to_thread(open_files, s, self.host.base_url)
        self.host.files = files
        self.channels = ChannelManager(context=RuntimeContext(
            http=self.host.mounts, secret=secret, state=journal.state, files=files, public_url=s.public_url,
            base_url=self.host.base_url, tuning=registry.tuning({"webchat": webchat_limits(s)}),
            peers=self.sharing.peers if self.sharing is not None else None,
            leases=journal.leases))
        self.kinds = RegistryKinds(self.channels)
        mailer = SmtpMailer(s.smtp_url, s.mail_from) if s.smtp_url else None
        loaded = await journal.config.version()  # before the directory loads: a change after it is reloaded
        self.services = await Services.build(
            journal=journal, team=self.team, crm=self.crm, clock=self.clock, channels=self.channels.get,
            kinds=self.kinds, admins=frozenset(s.admins), owner=s.node,
            limits=Limits(max_lines=s.max_lines, crm_sessions=s.crm_session_quota), mailer=mailer,
            leave=self.leave)
        self.services.core.metrics = self.host.metrics
        self.channels.sink = self.services.inbound
        self.channels.health = self.services.core.health
        self.services.directory.listen(self.channels.changed)
        for binding in self.services.directory.bindings.values():
            await self.channels.start(binding)
        self.config_watch = ConfigWatch(journal.config, self.services.directory, loaded)  # others' `!line` changes
        self.config_watch.start()
        # The team side tells who still waits after a restart, once per install: not every worker.
        await self.services.start(tell_waiting=not self.leave)
        if self.sharing is not None:
            if self.leave:  # a worker: the team side shows the customer typing in the room
                self.services.core.team_signal = self.sharing.tell_team
            await self.sharing.listen(self.services.outbox, None if self.leave else self.services.team_work.signal)
        self.host.health = self.health
        self.host.queries = CoreTeamQueries(self.services.core, self.services.team_work, self.services.actions)
        self.host.runtime = self

    def urls(self) -> list[str]:
        """Where people reach what this process serves, for the first lines a user reads."""
        base = self.host.base_url
        chats = [f"website chat: {base}/webchat/{b.key}/" for b in self.services.directory.bindings.values()
                 if b.kind == "webchat" and b.id in self.channels.backends]
        return [*self.host.entrances, *chats]

    @property
    def inbound(self) -> InboundService:
        return self.services.inbound

    @property
    def actions(self) -> OperatorActions:
        return self.services.actions

    @property
    def team_work(self) -> TeamWork:
        return self.services.team_work

    async def conversation(self, conversation_id: str) -> Conversation:
        """The conversation as stored now; raises NotFound."""
        assert self.journal is not None
        return await self.journal.conversations.conversation(conversation_id)

    async def before_reply(self, conversation_id: str, text: str, choice: str = "") -> Mapping[str, str]:
        """The options ``choice`` (``!reply private …``) sets on this conversation's channel, once its
        channel says it will take the reply: Refused, before anything is stored, when it has no such
        choice or its platform will refuse the message now."""
        c = await self.services.core.view(conversation_id)  # its channel and customer never change
        binding = self.services.directory.binding_or_removed(c.binding_id, c.line_id)
        choices = self.kinds.reply_choices(binding.kind)
        if choice and (choices is None or choice not in choices.options):
            raise Refused(f"not sent: {self.kinds.refusal_of(choice)}")
        options = choices.options.get(choice, {}) if choices else {}
        draft = OutboundMessage(seq=0, conversation_id=c.id, customer_ref=c.customer_ref, author="", text=text,
                                ts=self.clock.now(), thread=c.thread, options=options)
        refusal = await self.kinds.preflight(binding, draft)
        if refusal:
            raise Refused(f"not sent: {refusal}")
        return options

    async def _stop(self) -> None:
        self.host.health = None
        self.host.queries = None
        self.host.runtime = None
        files, self.host.files = self.host.files, None
        if files is not None:
            await asyncio.to_thread(files.close)
        if hasattr(self, "config_watch"):
            await self.config_watch.stop()
        if hasattr(self, "channels"):
            await self.channels.stop_all()
        if hasattr(self, "services"):
            await self.services.stop()
        if self.sharing is not None:
            await self.sharing.stop()
            self.sharing = None
            await self._release()
        if self.journal is not None:
            await asyncio.to_thread(self.journal.close)
            self.journal = None
        if self.crm is not None:
            await asyncio.to_thread(self.crm.store.close)
            self.crm = None

    async def _release(self) -> None:
        """Stopping on a shared database: what this process held is the others' to take now, not
        once its leases run out (a worker scaled down must not hold its conversations' sends)."""
        if self.journal is not None and hasattr(self, "services"):
            try:
                await self.journal.outbox.release(self.services.outbox.owner)
            except Exception as exc:  # the database is away: the leases run out instead
                log.warning("could not let go of this process's work: %s", type(exc).__name__)

    async def health(self, trusted: bool) -> tuple[bool, dict[str, Any]]:
        assert self.journal is not None
        writable = await self.journal.writable()
        dead = await self.journal.outbox.dead_count()
        dying = self.services.outbox.recently_dead(self.clock.now() - DEAD_WINDOW)
        files, crm = await asyncio.to_thread(self._stores_state)
        ok = writable and not dying and files != "cannot write" and crm == "ok"
        details: dict[str, Any] = {"journal": "ok" if writable else "cannot write", "files": files, "crm": crm,
                                   "dead_letters": dead, "recent_dead_letters": dying,
                                   "channels": sorted(self.channels.backends)}
        # Which channels failed and why, for this machine only; a count for anyone else.
        failing = self.channels.failing()
        details["failed_channels"] = failing if trusted else len(failing)
        return ok, details


    async def gauges(self) -> Gauges:
        """What /metrics reads when scraped."""
        return await gauges(self, self._counts)

    def _stores_state(self) -> tuple[str, str]:
        """Whether files and the CRM can be written (a read-only mount, a full disk), off the loop."""
        files = self.host.files.state() if self.host.files is not None else "not running"
        store = self.crm.store if self.crm is not None else None
        if isinstance(store, UnavailableCrm):
            crm = "cannot open"
        else:  # a CRM kept in files (the default) is probed; another answers for itself when called
            root = getattr(store, "root", None)
            crm = "ok" if root is None or dir_writable(Path(root)) else "cannot write"
        return files, crm


def webchat_limits(s: Settings) -> dict[str, Any]:
    """The web chat's limits as configured: its kind builds them (``WebchatLimits``)."""
    return dict(
        burst=s.webchat_burst, messages_per_minute=s.webchat_messages_per_minute,
        new_visitors_per_minute=s.webchat_new_visitors_per_minute, hellos_per_minute=s.webchat_hellos_per_minute,
        sockets_per_visitor=s.webchat_sockets_per_visitor, sockets_per_ip=s.webchat_sockets_per_ip,
        idle_seconds=s.webchat_idle_seconds, token_days=s.visitor_token_days, max_upload_mb=s.max_upload_mb,
        upload_mb_per_visitor_day=s.webchat_upload_mb_per_visitor_day,
        upload_mb_per_ip_day=s.webchat_upload_mb_per_ip_day, trusted_proxies=s.trusted_proxies)
