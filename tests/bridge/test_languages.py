"""A line's customer-facing texts per language, picked by the customer's language; and a name
given later replacing a channel's stand-in ("Visitor 4F2AX") everywhere the customer is named."""
from __future__ import annotations

import json

import pytest

from bridge.errors import Refused
from bridge.line_files import export_line, import_line, parse
from bridge.line_settings import LineSettings

ADMIN = "root"


async def _french(app):
    for key, text in (("welcome_text.fr", "Bonjour !"), ("closing_text.fr", "Au revoir."),
                      ("offline_text.fr", "Nous sommes absents."), ("autoclose_text.fr", "Close faute de nouvelles."),
                      ("waiting_text.fr", "Merci de patienter."), ("welcome_text.pt", "Olá!"),
                      ("welcome_text.pt-BR", "Oi, tudo bem?")):
        await app.services.admin.set(ADMIN, "Support", key, text)


@pytest.mark.parametrize("language, welcome", [
    ("fr-FR", "Bonjour !"), ("fr", "Bonjour !"), ("FR_ca", "Bonjour !"), ("pt-BR", "Oi, tudo bem?"),
    ("pt-PT", "Olá!"), ("de-DE", None), (None, None), ("klingon", None),
])
async def test_the_welcome_is_in_the_customers_language_else_the_lines_default(app, language, welcome):
    await _french(app)
    await app.say("hello", language=language)
    await app.settle()
    assert app.channel.texts() == [welcome or app.line.settings.welcome_text]


async def test_closing_waiting_and_offline_texts_follow_the_language_after_a_restart(make_app, tmp_path):
    first = await make_app()
    await _french(first)
    cid = (await first.say("bonjour", language="fr-FR")).conversation_id
    await first.settle()
    await first.shutdown()
    app = await make_app(path=first.path, clock=first.clock, store=first.store)
    assert (await app.conversation(cid)).customer_language == "fr-FR"
    await app.actions.close(cid, ADMIN)
    await app.settle()
    assert app.channel.texts()[-1] == "Au revoir."
    await app.services.admin.enable(ADMIN, "Support", False)
    await app.say("encore", ref="zoe", language="fr")
    await app.settle()
    assert app.channel.texts()[-1] == "Nous sommes absents."


async def test_the_waiting_and_autoclose_texts_are_in_the_customers_language(app):
    await _french(app)
    app.set_line(queue_mode="strict", wait_seconds=60, autoclose_minutes=30)
    cid = (await app.say("bonjour", language="fr")).conversation_id
    await app.settle()
    for _ in range(2):  # ann, then bob let it pass: the customer is told to wait
        await app.advance(61)
    assert "Merci de patienter." in app.channel.texts()
    await app.advance(31 * 60)
    assert app.channel.texts()[-1] == "Close faute de nouvelles."
    assert not (await app.conversation(cid)).is_open


async def test_a_language_the_customer_switches_to_is_the_one_of_the_next_texts(app):
    await _french(app)
    cid = (await app.say("hello", language="en-GB")).conversation_id
    await app.say("en fait, je parle français", language="fr-FR")
    await app.actions.close(cid, ADMIN)
    await app.settle()
    assert app.channel.texts()[-1] == "Au revoir."


async def test_per_language_texts_are_checked_cleared_audited_and_kept(make_app, tmp_path):
    app = await make_app()
    admin = app.services.admin
    line, before, after = await admin.set(ADMIN, "Support", "Welcome_text.FR".lower(), "Bonjour")
    assert (before, after) == ("", "Bonjour")
    for key, why in (("welcome_text.xx", "not a language"), ("welcome_text.french", "not a language"),
                     ("queue_mode.fr", "no setting"), ("welcome_text.fr-FRANCE", "not a language")):
        with pytest.raises(Refused, match=why):
            await admin.set(ADMIN, "Support", key, "x")
    await admin.set(ADMIN, "Support", "closing_text.pt-br", "Tchau")
    assert app.line.settings.localized == (("closing_text.pt-BR", "Tchau"), ("welcome_text.fr", "Bonjour"))
    await admin.set(ADMIN, "Support", "closing_text.pt-BR", "")
    entries = await admin.audit_log(ADMIN, "Support", 10)
    assert [e["detail"] for e in entries][-3:] == [
        "welcome_text.fr:  → Bonjour", "closing_text.pt-BR:  → Tchau", "closing_text.pt-BR: Tchau → "]
    await app.shutdown()
    again = await make_app(path=app.path)
    assert again.line.settings.localized == (("welcome_text.fr", "Bonjour"),)


async def test_export_and_import_carry_the_texts_per_language(app):
    admin, channels = app.services.admin, app.services.channel_admin
    await admin.create(ADMIN, "Sales")
    await admin.set(ADMIN, "Sales", "welcome_text.fr", "Bonjour")
    doc = export_line(admin, channels, ADMIN, "Sales")
    assert doc["settings"]["welcome_text.fr"] == "Bonjour"
    assert await import_line(admin, channels, ADMIN, parse(json.dumps(doc))) == []
    doc["settings"]["welcome_text.fr"] = "Salut"
    doc["settings"]["closing_text.de"] = "Auf Wiedersehen"
    changes = await import_line(admin, channels, ADMIN, parse(json.dumps(doc)))
    assert changes == ["welcome_text.fr: Bonjour → Salut", "closing_text.de:  → Auf Wiedersehen"]
    doc["settings"]["closing_text.zz"] = "?"
    with pytest.raises(Refused, match="in the file: “zz” is not a language"):
        await import_line(admin, channels, ADMIN, parse(json.dumps(doc)))


def test_a_journal_from_before_keeps_its_settings_and_unknown_language_keys_are_dropped():
    settings = LineSettings.from_dict({"welcome_text": "Hi", "welcome_text.fr": "Salut", "welcome_text.zz": "?",
                                       "queue_mode.fr": "all"})
    assert settings.welcome_text == "Hi" and settings.localized == (("welcome_text.fr", "Salut"),)
    assert LineSettings.from_dict(settings.as_dict()) == settings


async def test_the_greeting_on_opening_a_chat_is_in_the_customers_language(app):
    await _french(app)
    assert await app.services.inbound.greeting(app.binding, "fr-BE") == ("Support", "Bonjour !")
    assert await app.services.inbound.greeting(app.binding) == ("Support", app.line.settings.welcome_text)


async def test_a_name_given_later_replaces_the_stand_in_everywhere(app):
    cid = (await app.say("hello", name="Visitor 4F2AX", name_given=False)).conversation_id
    await app.settle()
    contact = app.store.find_contact("fake", "alice")
    assert contact is not None and contact.name == "Visitor 4F2AX"
    receipt = await app.say("I am Élodie", name="Élodie Martin")
    await app.settle()
    assert receipt.author == "Élodie Martin"
    assert (await app.conversation(cid)).customer_name == "Élodie Martin"
    assert app.store.find_contact("fake", "alice").name == "Élodie Martin"
    # A tab that lost the name sends the stand-in again: it never replaces the name given.
    await app.say("still me", name="Visitor 4F2AX", name_given=False)
    await app.settle()
    assert (await app.conversation(cid)).customer_name == "Élodie Martin"
    assert app.store.find_contact("fake", "alice").name == "Élodie Martin"


async def test_a_contact_renamed_in_the_crm_since_keeps_that_name(app):
    cid = (await app.say("hello", name="Visitor 4F2AX", name_given=False)).conversation_id
    await app.settle()
    contact = app.store.find_contact("fake", "alice")
    app.store.update_contact(contact.id, name="Mme Martin (VIP)")
    await app.say("I am Élodie", name="Élodie")
    await app.settle()
    assert (await app.conversation(cid)).customer_name == "Élodie"
    assert app.store.find_contact("fake", "alice").name == "Mme Martin (VIP)"
