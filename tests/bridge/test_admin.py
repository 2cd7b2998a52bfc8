"""Line administration in the core: validation, rights, live effect, audit, export and import."""
from __future__ import annotations

import json

import pytest

from bridge.errors import NotFound, Refused
from bridge.line_files import export_line, import_line, parse
from bridge.model import Role
from bridge.rights import Action
from bridge.services import Limits

ADMIN = "root"


async def _sales(app):
    line = await app.services.admin.create(ADMIN, "Sales")
    await app.services.admin.grant(ADMIN, "Sales", "lad", Role.ADMIN)
    return line


async def test_a_line_is_created_named_case_insensitively_and_listed(app):
    line = await app.services.admin.create(ADMIN, "Customer Care")
    assert (line.id, line.name) == ("customer-care", "Customer Care")
    with pytest.raises(Refused, match="already a line named"):
        await app.services.admin.create(ADMIN, "customer care")
    assert app.services.directory.find_line("CUSTOMER CARE") == line
    assert [x.name for x in app.services.admin.visible_lines(ADMIN)] == ["Customer Care", "Support"]


async def test_only_bot_admins_create_and_delete_lines(app):
    await _sales(app)
    with pytest.raises(Refused, match="only a bot admin may create"):
        await app.services.admin.create("lad", "Mine")
    with pytest.raises(Refused, match="only a bot admin may delete"):
        await app.services.admin.delete("lad", "Sales")


async def test_the_number_of_lines_is_capped_when_a_quota_is_set(make_app):
    app = await make_app(limits=Limits(max_lines=2))
    await app.services.admin.create(ADMIN, "Sales")
    with pytest.raises(Refused, match="at most 2 line"):
        await app.services.admin.create(ADMIN, "Third")


@pytest.mark.parametrize("key, value, why", [
    ("queue_mode", "random", "evenly|strict|all"), ("capacity", "-1", "whole number"),
    ("hours", "mon-fri 9-5", "working hours"), ("timezone", "Mars/Olympus", "IANA"),
    ("holidays", "25/12", "2026-12-25"), ("ratings", "yes", "on|off"), ("nope", "1", "there is no setting"),
])
async def test_a_bad_value_is_refused_with_what_is_allowed(app, key, value, why):
    await _sales(app)
    with pytest.raises(Refused, match=why):
        await app.services.admin.set(ADMIN, "Sales", key, value)


async def test_a_setting_applies_at_once_and_is_audited(app):
    await _sales(app)
    line, before, after = await app.services.admin.set("lad", "sales", "hours", "mon-fri 09:00-18:00; sat 10:00-14:00")
    assert after == "mon-fri 09:00-18:00; sat 10:00-14:00" and before == "always"
    assert app.services.directory.find_line("Sales").settings.hours == after
    [*_, last] = await app.services.admin.audit_log("lad", "Sales", 10)
    assert (last["actor"], last["action"]) == ("lad", "line set") and "hours" in last["detail"]


async def test_people_and_the_queue(app):
    await _sales(app)
    for person in ("ann", "bob", "cid"):
        await app.services.admin.grant("lad", "Sales", person, Role.OPERATOR)
    line = await app.services.admin.move("lad", "Sales", "cid", 1)
    assert line.operators == ("cid", "ann", "bob")
    with pytest.raises(Refused, match="already operator"):
        await app.services.admin.grant("lad", "Sales", "ann", Role.OPERATOR)
    line = await app.services.admin.revoke("lad", "Sales", "ann", Role.OPERATOR)
    assert line.operators == ("cid", "bob")
    with pytest.raises(Refused, match="from 1 to 2"):
        await app.services.admin.move("lad", "Sales", "bob", 5)


async def test_rights_are_per_line(app):
    await _sales(app)
    await app.services.admin.grant(ADMIN, "Support", "sue", Role.SUPERVISOR)
    with pytest.raises(Refused, match="only an admin of line Support"):
        await app.services.admin.set("lad", "Support", "capacity", "3")
    with pytest.raises(Refused, match="only an admin of line Support"):
        await app.services.admin.set("sue", "Support", "capacity", "3")
    with pytest.raises(Refused, match="no role on any line"):
        app.services.admin.visible_lines("mallory")
    with pytest.raises(NotFound, match="no line"):
        app.services.admin.line_for(ADMIN, "Nowhere", Action.VIEW)


async def test_a_channel_takes_its_credentials_only_in_private_and_never_shows_them(app):
    await _sales(app)
    admin = app.services.channel_admin
    with pytest.raises(Refused, match="direct message.*rotate"):
        await admin.connect("lad", "Sales", "fake", {"token": "123:SECRET-TOKEN"}, private=False)
    view, problem = await admin.connect("lad", "Sales", "fake", {"token": "123:SECRET-TOKEN", "site": "shop"},
                                        private=True)
    assert problem is None and view.binding.secrets == {"token": "123:SECRET-TOKEN"}
    assert "SECRET" not in view.settings_shown() and "token=••••••" in view.settings_shown()
    assert view.callback_url == "https://chat.example/fake/shop"
    entries = await app.services.admin.audit_log(ADMIN, "Sales", 50)
    assert not any("SECRET" in e["detail"] for e in entries)
    # A later change of a public key keeps the token.
    view, _ = await admin.connect("lad", "Sales", "fake", {"site": "shop"}, private=False)
    assert view.binding.secrets == {"token": "123:SECRET-TOKEN"}


@pytest.mark.parametrize("kind, given, why", [
    ("carrier-pigeon", {}, "no channel kind"), ("fake", {"site": "x"}, "missing key token"),
    ("fake", {"token": "t", "colour": "red"}, "unknown key 'colour'"),
])
async def test_connecting_badly_names_the_fix(app, kind, given, why):
    await _sales(app)
    with pytest.raises((Refused, NotFound), match=why):
        await app.services.channel_admin.connect("lad", "Sales", kind, given, private=True)


async def test_what_the_platform_says_about_bad_credentials_is_told(app):
    await _sales(app)
    app.services.channel_admin.kinds.refuse = "the token was refused by the platform"
    _, problem = await app.services.channel_admin.connect(ADMIN, "Sales", "fake", {"token": "bad"}, private=True)
    assert problem == "the token was refused by the platform"


async def test_a_channel_belongs_to_one_line(app):
    await _sales(app)
    await app.services.channel_admin.connect(ADMIN, "Sales", "fake", {"token": "t", "site": "shop"}, private=True)
    with pytest.raises(Refused, match="already connected to line Sales"):
        await app.services.channel_admin.connect(ADMIN, "Support", "fake", {"token": "t", "site": "shop"},
                                                 private=True)


async def test_a_deleted_line_keeps_its_history_and_takes_no_new_conversation(app):
    first = await app.say("hello before")
    await app.services.admin.delete(ADMIN, "Support")
    assert app.services.directory.bindings_of("support") == []
    assert (await app.conversation(first.conversation_id)).customer_name == "Alice"
    with pytest.raises(NotFound):
        app.services.directory.find_line("Support")


async def test_export_then_import_changes_nothing_and_keeps_secrets(app):
    await _sales(app)
    admin, channels = app.services.admin, app.services.channel_admin
    await channels.connect(ADMIN, "Sales", "fake", {"token": "keep-me-123", "site": "shop"}, private=True)
    await admin.set(ADMIN, "Sales", "welcome_text", "Hi from Sales")
    doc = export_line(admin, channels, ADMIN, "Sales")
    assert "keep-me-123" not in json.dumps(doc)
    assert await import_line(admin, channels, ADMIN, parse(json.dumps(doc))) == []

    doc["settings"]["capacity"] = 4
    doc["operators"] = ["ann"]
    changes = await import_line(admin, channels, ADMIN, parse(json.dumps(doc)))
    assert changes == ["capacity: 0 → 4", "operators: — → ann"]
    [binding] = app.services.directory.bindings_of("sales")
    assert binding.secrets == {"token": "keep-me-123"}


@pytest.mark.parametrize("text, why", [("{oops", "not JSON"), ('{"name": "x"}', "not a line file"),
                                       ('{"openlines_line": 1, "name": "Sales", "settings": {"capacity": "x"}}',
                                        "whole number")])
async def test_a_bad_import_is_refused_in_one_line(app, text, why):
    await _sales(app)
    with pytest.raises(Refused, match=why):
        await import_line(app.services.admin, app.services.channel_admin, ADMIN, parse(text))


async def test_past_the_crm_quota_conversations_work_unrecorded_and_the_line_room_hears_once(make_app):
    app = await make_app(limits=Limits(crm_sessions=1))
    for ref in ("a", "b", "c"):
        await app.say("hello", ref=ref)
    await app.settle()
    assert app.store.find_contact("fake", "a") is not None
    assert app.store.find_contact("fake", "b") is None and app.store.find_contact("fake", "c") is None
    alerts = [t for t in app.team.texts("support") if "quota" in t]
    assert len(alerts) == 1
