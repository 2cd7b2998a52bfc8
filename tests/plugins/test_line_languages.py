"""Line texts per language and visitors told apart, through a real Errbot and a real chat socket."""
from __future__ import annotations

import json

from backends.webchat.tokens import ref_of, visitor_label

BONJOUR = "Bonjour ! Un conseiller vous répond dans un instant."


def test_an_admin_sets_shows_exports_and_clears_a_french_welcome(openlines):
    reply = openlines.command(f"!line set Support welcome_text.fr {BONJOUR}")
    assert f"welcome_text.fr is now “{BONJOUR}” (was “”)" in reply
    assert "“xx” is not a language" in openlines.command("!line set Support welcome_text.xx Hi")
    assert "there is no setting “capacity.fr”" in openlines.command("!line set Support capacity.fr 3")
    shown = openlines.command("!line show Support")
    assert f"welcome_text.fr = “{BONJOUR}”" in shown
    assert shown.index("welcome_text =") < shown.index("welcome_text.fr =") < shown.index("waiting_text =")
    doc = json.loads(openlines.command("!line export Support").strip().strip("`"))
    assert doc["settings"]["welcome_text.fr"] == BONJOUR
    assert "Nothing to change" in openlines.command("!line import " + json.dumps(doc))
    doc["settings"]["closing_text.de"] = "Auf Wiedersehen!"
    assert "closing_text.de:  → Auf Wiedersehen!" in openlines.command("!line import " + json.dumps(doc))
    reply = openlines.command("!line set Support welcome_text.FR")
    assert "welcome_text.fr is cleared" in reply and "those customers get welcome_text" in reply
    assert "welcome_text.fr = " not in openlines.command("!line show Support")
    audit = openlines.command("!audit Support")
    assert f"line set: welcome_text.fr:  → {BONJOUR[:40]}" in audit and "closing_text.de" in audit


def test_a_french_visitor_without_a_name_gets_the_french_welcome_and_a_label_of_their_own(openlines, customer):
    openlines.command(f"!line set Support welcome_text.fr {BONJOUR}")
    welcome, _ = customer.connect(name="", language="fr-FR")
    label = visitor_label(ref_of(welcome["visitor_token"]))
    assert label.startswith("Visitor ") and len(label) == len("Visitor 4F2AX")
    customer.say("Ma commande n'est pas arrivée")
    assert customer.next_message()["text"] == BONJOUR
    assert f"on Support from {label} " in openlines.team.in_room("#support", "New conversation 1")
    assert f"· {label} (Website chat) ·" in openlines.command("!conversations").replace("\\", "")
    openlines.team.wait_for(lambda to, body: "New customer" in body)
    assert openlines.crm.find_contact("webchat", ref_of(welcome["visitor_token"])).name == label
