"""Canned answers per line: kept by supervisors and admins, audited, exported, found for a reply."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from bridge.errors import Refused
from bridge.line_files import export_line, import_line, parse
from bridge.model import Role
from bridge.quick import MAX_ANSWERS, QuickAnswers


@pytest.fixture
def quick(app) -> QuickAnswers:
    app.services.directory.put_line(replace(app.line, supervisors=("sue",), admins=("lad",)))
    return QuickAnswers(app.services.admin)


async def test_supervisors_and_admins_keep_them_and_the_audit_log_says_so(app, quick):
    await quick.add("sue", "Support", "hello", "Hello! How can I help?")
    await quick.add("lad", "support", "bye", "Goodbye and thanks")
    assert app.line.quick == (("hello", "Hello! How can I help?"), ("bye", "Goodbye and thanks"))
    saved = {line.id: line for line in await app.journal.config.lines()}["support"]
    assert saved.quick == app.line.quick
    await quick.remove("root", "Support", "HELLO")
    assert [name for name, _ in app.line.quick] == ["bye"]
    log = await app.journal.config.audit_entries("support", 10)
    assert [(e["actor"], e["action"]) for e in log[-3:]] == [("sue", "quick add"), ("lad", "quick add"),
                                                              ("root", "quick remove")]
    assert "hello: Hello! How can I help?" in log[-3]["detail"]


@pytest.mark.parametrize("who, why", [("ann", "only a supervisor or admin"), ("mallory", "only a supervisor or admin")])
async def test_operators_and_strangers_may_not_change_them(quick, who, why):
    with pytest.raises(Refused, match=why):
        await quick.add(who, "Support", "hello", "Hi")
    with pytest.raises(Refused, match=why):
        await quick.remove(who, "Support", "hello")


@pytest.mark.parametrize("name, text, why", [
    ("two words", "x", "not a quick answer name"), ("list", "x", "sub-command"), ("x" * 31, "x", "not a quick"),
    ("ok", "   ", "needs a text"), ("ok", "x" * 2001, "at most 2000"), ("ok", "bad \ud800", "well-formed")])
async def test_bad_names_and_texts_are_refused(quick, name, text, why):
    with pytest.raises(Refused, match=why):
        await quick.add("sue", "Support", name, text)


async def test_a_name_is_once_per_line_and_a_line_holds_a_hundred(app, quick):
    await quick.add("sue", "Support", "hello", "Hi")
    with pytest.raises(Refused, match="already has"):
        await quick.add("sue", "Support", "Hello", "Hi again")
    with pytest.raises(Refused, match="has no quick answer “nope”"):
        await quick.remove("sue", "Support", "nope")
    app.services.directory.put_line(replace(app.line, quick=tuple((f"q{n}", "t") for n in range(MAX_ANSWERS))))
    with pytest.raises(Refused, match="remove one first"):
        await quick.add("sue", "Support", "more", "t")


async def test_additions_at_once_all_stay(app, quick):
    await asyncio.gather(*(quick.add("sue", "Support", f"q{n}", f"text {n}") for n in range(20)))
    assert sorted(name for name, _ in app.line.quick) == sorted(f"q{n}" for n in range(20))
    saved = {line.id: line for line in await app.journal.config.lines()}["support"]
    assert len(saved.quick) == 20


async def test_changes_of_every_kind_at_once_all_stay(app, quick):
    """Quick answers, grants, settings and deletions of a line made at the same moment: none is lost."""
    admin = app.services.admin
    await asyncio.gather(*(quick.add("sue", "Support", f"q{n}", f"text {n}") for n in range(5)),
                         *(admin.grant("root", "Support", f"op{n}", Role.OPERATOR) for n in range(5)),
                         admin.set("root", "Support", "capacity", "3"))
    saved = {line.id: line for line in await app.journal.config.lines()}["support"]
    for line in (app.line, saved):
        assert len(line.quick) == 5 and {f"op{n}" for n in range(5)} <= set(line.operators)
        assert line.settings.capacity == 3


async def test_the_text_is_found_for_whoever_may_write_in_the_conversation(app, quick):
    await quick.add("sue", "Support", "hello", "Hello from the team")
    cid = (await app.say("hi")).conversation_id
    assert await quick.text_for(cid, "ann", "HELLO") == "Hello from the team"
    await app.actions.answer(cid, "ann")
    with pytest.raises(Refused, match="already answered by ann"):
        await quick.text_for(cid, "bob", "hello")
    with pytest.raises(Refused, match="not an operator"):
        await quick.text_for(cid, "mallory", "hello")
    with pytest.raises(Refused, match="no quick answer “nope” \\(it has: hello\\)"):
        await quick.text_for(cid, "ann", "nope")


async def test_export_carries_them_and_import_applies_them(app, quick):
    await quick.add("sue", "Support", "hello", "Hello!\nHow can I help?")
    doc = export_line(app.services.admin, app.services.channel_admin, "root", "Support")
    assert doc["quick"] == [{"name": "hello", "text": "Hello!\nHow can I help?"}]
    doc.pop("channels")  # the test channel has no secrets to carry: not what this is about
    text = json.dumps(doc)
    assert await import_line(app.services.admin, app.services.channel_admin, "root", parse(text)) == []

    doc["quick"].append({"name": "bye", "text": "Goodbye"})
    changes = await import_line(app.services.admin, app.services.channel_admin, "root", doc)
    assert changes == ["quick answers: hello → hello, bye"]
    assert app.line.quick == (("hello", "Hello!\nHow can I help?"), ("bye", "Goodbye"))


@pytest.mark.parametrize("quick_doc, why", [
    ("nope", "must be a list"), ([{"name": "a"}], "needs a “name” and a “text”"),
    ([{"name": "a", "text": "x"}, {"name": "A", "text": "y"}], "there twice"),
    ([{"name": "bad name", "text": "x"}], "not a quick answer name")])
async def test_a_bad_import_is_refused_and_changes_nothing(app, quick, quick_doc, why):
    doc = export_line(app.services.admin, app.services.channel_admin, "root", "Support")
    doc["quick"] = quick_doc
    with pytest.raises(Refused, match=why):
        await import_line(app.services.admin, app.services.channel_admin, "root", doc)
    assert app.line.quick == ()
