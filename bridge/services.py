"""The core's services wired together over a journal: what the runtime (and each test) runs."""
from __future__ import annotations

from dataclasses import dataclass

from bridge.actions import OperatorActions
from bridge.admin import LineAdmin
from bridge.channel_admin import ChannelAdmin, ChannelKinds
from bridge.channel_health import ChannelHealth
from bridge.channel_status import ChannelStatuses, tell_channel_state
from bridge.core import Core, with_messages
from bridge.crm_work import CrmWork
from bridge.customer_work import ChannelLookup, CustomerWork
from bridge.directory import Directory
from bridge.inbound import InboundService
from bridge.kpi import KpiAlerts
from bridge.mail_work import Mailer, MailWork
from bridge.moves import Moves
from bridge.outbox import Outbox
from bridge.queue_work import QueueWork
from bridge.quick import QuickAnswers
from bridge.reports import Reports
from bridge.ports import Clock, Crm, TeamChat
from bridge.retry import RetryPolicy
from bridge.rights import Rights
from bridge.store import Journal, UnitOfWork, WorkItem
from bridge.team_work import TeamWork
from bridge.timers import Timers
from bridge.transcripts import Transcripts


@dataclass(frozen=True)
class Limits:
    max_lines: int | None = None  # OPENLINES_MAX_LINES
    crm_sessions: int | None = None  # OPENLINES_CRM_SESSION_QUOTA


@dataclass
class Services:
    core: Core
    inbound: InboundService
    actions: OperatorActions
    team_work: TeamWork
    admin: LineAdmin
    channel_admin: ChannelAdmin
    queue: QueueWork
    moves: Moves
    quick: QuickAnswers
    reports: Reports
    transcripts: Transcripts

    @classmethod
    async def build(cls, *, journal: Journal, team: TeamChat, crm: Crm, clock: Clock, channels: ChannelLookup,
                    kinds: ChannelKinds, admins: frozenset[str], owner: str, limits: Limits = Limits(),
                    retry: RetryPolicy | None = None, mailer: Mailer | None = None,
                    leave: tuple[str, ...] = ()) -> "Services":
        """``leave``: kinds (prefixes) another process runs (an intake worker leaves "team.")."""
        directory = Directory.of(await journal.config.lines(), await journal.config.bindings())

        async def commit_work(unit: UnitOfWork) -> list[WorkItem]:  # what a handler's unit stored comes along
            return with_messages(await journal.conversations.commit(unit))

        outbox = Outbox(store=journal.outbox, commit=commit_work, clock=clock, owner=owner, retry=retry,
                        leave=leave)
        core = Core(journal, directory, outbox, clock, Rights(admins), channels)
        core.health = ChannelHealth(clock, lambda binding_id, problem: tell_channel_state(core, binding_id, problem))
        actions = OperatorActions(core)
        admin = LineAdmin(core, max_lines=limits.max_lines)
        services = cls(core, InboundService(core, email_replies=mailer is not None), actions, TeamWork(core, team),
                       admin, ChannelAdmin(admin, kinds), QueueWork(core), Moves(core, actions),
                       QuickAnswers(admin), Reports(admin), Transcripts(core, crm))
        core.team_signal = services.team_work.signal
        core.person_name = team.display_name
        mail = MailWork(core, mailer) if mailer is not None else None  # missed replies by email
        customer = CustomerWork(core, afterwards=mail.owed if mail else None)
        for work in (services.team_work.kinds(), customer.kinds(),
                     CrmWork(core, crm, limits.crm_sessions).kinds(), Timers(core, actions).kinds(),
                     services.queue.kinds(), mail.kinds() if mail else {}, KpiAlerts(core).kinds()):
            for kind, spec in work.items():
                outbox.register(kind, spec)
        return services

    @property
    def directory(self) -> Directory:
        return self.core.directory

    @property
    def statuses(self) -> ChannelStatuses:
        return ChannelStatuses(self.channel_admin)

    @property
    def outbox(self) -> Outbox:
        return self.core.outbox

    async def start(self, tell_waiting: bool = True) -> None:
        await self.team_work.load()
        await self.core.outbox.start()
        if tell_waiting:
            await self.queue.tell_what_waits()

    async def stop(self) -> None:
        await self.core.outbox.stop()
