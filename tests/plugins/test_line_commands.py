"""Line administration from the team chat, through a real Errbot: every command × every role.

Roles: a bot admin (alice), Sales's admin (lad), supervisor (sue) and operator (otto), and a
stranger (mallory); each command on their own line (Sales) and on another (Support).
"""
from __future__ import annotations

import json

import pytest

REFUSALS = ("only a bot admin", "only an admin of line", "no role on", "not an operator", "may not")
CONFIGURE = ["!line set {L} capacity 3", "!line disable {L}", "!line enable {L}",
             "!line connect {L} webchat widget=w-{l}", "!line disconnect {L} webchat",
             "!line grant {L} zed operator", "!line revoke {L} zed operator", "!line queue {L} move otto 1",
             "!line export {L}", "!audit {L}"]
VIEW = ["!line show {L}", "!line queue {L}"]
GLOBAL = ["!line create Temp2", "!line delete Temp --yes", "!audit"]
ROLES = {"alice": "bot admin", "lad": "admin", "sue": "supervisor", "otto": "operator", "mallory": None}


@pytest.fixture
def lines(openlines):
    for command in ("!line create Sales", "!line create Temp", "!line grant Sales lad admin",
                    "!line grant Sales sue supervisor", "!line grant Sales otto operator",
                    "!line grant Support otto operator"):
        assert "Usage" not in openlines.command(command)
    return openlines


def _refused(reply: str) -> bool:
    return any(r in reply for r in REFUSALS)


def _expected(user: str, command: str, own: bool) -> bool:
    role = ROLES[user]
    if role == "bot admin":
        return True
    if command in GLOBAL:
        return False
    if command in VIEW:
        return own and role is not None or (not own and user == "otto")  # otto operates Support too
    return own and role == "admin"


@pytest.mark.parametrize("user", sorted(ROLES))
def test_every_command_for_every_role_on_every_line(lines, user):
    escalations, mute = [], []
    for own, name in ((True, "Sales"), (False, "Support")):
        for template in CONFIGURE + VIEW + (GLOBAL if own else []):
            command = template.format(L=name, l=name.lower())
            reply = lines.command(command, as_user=user)
            allowed = _expected(user, template, own)
            if _refused(reply) == allowed:
                escalations.append((command, reply[:120]))
            if not allowed and len(reply.strip()) < 20:
                mute.append((command, reply))
    assert escalations == [] and mute == []


def test_line_list_shows_only_your_lines(lines):
    assert "Sales" in lines.command("!line list", as_user="sue")
    assert "Support" not in lines.command("!line list", as_user="sue")
    assert "no role on any line" in lines.command("!line list", as_user="mallory")
    assert "Support" in lines.command("!line list", as_user="alice")


def test_an_admins_session_from_nothing_to_a_second_line(lines):
    reply = lines.command("!line set Sales welcome_text Hello from Sales!")
    assert "is now “Hello from Sales!”" in reply
    assert "connected" in lines.command("!line connect Sales webchat widget=sales")
    shown = lines.command("!line show Sales")
    assert "welcome_text = “Hello from Sales!”" in shown and "webchat (sales): running" in shown
    assert "otto" in lines.command("!line queue Sales")
    exported = lines.command("!line export Sales")
    doc = json.loads(exported.strip().strip("`"))
    assert doc["name"] == "Sales" and doc["channels"][0]["settings"]["widget"] == "sales"
    assert "Nothing to change" in lines.command("!line import " + json.dumps(doc))
    assert "line set" in lines.command("!audit Sales")


@pytest.mark.parametrize("command, fix", [
    ("!line show Nowhere", "no line “Nowhere”"), ("!line set Sales", "Usage: !line set NAME KEY VALUE"),
    ("!line set Sales hours 9to5", "working hours"), ("!line set Sales timezone Mars/Base", "IANA"),
    ("!line connect Sales pigeon x=1", "no channel kind"), ("!line connect Sales webchat", "missing key widget="),
    ("!line connect Sales webchat nonsense", "not key=value"), ("!line create Sales", "already a line named"),
    ("!line grant Sales bob king", "not a role"), ("!line import {bad json", "not JSON"),
    ("!line delete Sales", "Confirm with"), ("!audit Sales --limit x", "Usage"),
])
def test_a_wrong_use_gets_one_line_naming_the_fix(lines, command, fix):
    reply = lines.command(command)
    assert fix in reply and "Traceback" not in reply and len(reply.splitlines()) == 1


def test_the_line_quota_is_told(openlines):
    openlines.api.lines.max_lines = 1  # as OPENLINES_MAX_LINES=1 would set it
    assert "at most 1 line(s) (OPENLINES_MAX_LINES)" in openlines.command("!line create Second")


def test_help_lists_the_admin_commands_with_examples(openlines):
    listing = openlines.command("!help Lines")
    for command in ("line create", "line set", "line connect", "line grant", "line export", "audit"):
        assert f"!{command}" in listing
    assert "e.g." in listing
