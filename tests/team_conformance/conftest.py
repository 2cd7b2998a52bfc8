"""The team-backend conformance suite: every team chat Open Lines is proven on passes the same day.

XMPP needs Prosody (.ci/prosody, OPENLINES_XMPP_TESTS=1); IRC needs ngIRCd (.ci/ngircd,
OPENLINES_IRC_TESTS=1); .ci/run sets both. Without them those cases are not collected.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.support.irc import ENABLED as IRC
from tests.support.xmpp import ENABLED as XMPP
from tests.team_conformance.sides import ConsoleSide, IrcSide, Side, XmppSide

SIDES: dict[str, Callable[..., Side]] = {"Console": ConsoleSide,
                                         **({"XMPP": XmppSide} if XMPP else {}), **({"IRC": IrcSide} if IRC else {})}


@pytest.fixture(params=sorted(SIDES))
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Side]:
    started = SIDES[request.param](tmp_path)
    yield started
    started.close()
