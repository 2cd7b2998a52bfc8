"""The whole path through a real Errbot: webchat customer ⇄ conversation room."""
from __future__ import annotations

ROOM = "#support-1"


def test_customer_message_reaches_the_conversation_room(openlines, customer):
    welcome, history = customer.connect("Alice Customer")
    assert welcome["conversation_id"] is None and history["messages"] == []
    ack = customer.say("Hello, my order is late")
    assert ack["conversation_id"] == "1"

    text = openlines.team.in_room(ROOM, "Hello, my order is late")
    assert "Alice Customer" in text and "customer" in text and "Website chat" in text
    announcement = openlines.team.in_room("#support", "New conversation 1")
    assert "!answer 1" in announcement
    assert "lead was created" in openlines.team.in_room(ROOM, "CRM")


def test_answer_then_an_operator_room_message_reaches_the_customer(openlines, customer):
    customer.connect()
    customer.say("Is anyone there?")
    welcome_reply = customer.next_message()
    assert welcome_reply["from"] == "agent"
    openlines.team.in_room(ROOM, "Is anyone there?")

    answer = openlines.command("!answer 1")
    assert "You answer conversation 1" in answer and ROOM in answer
    openlines.team.in_room(ROOM, "alice answers this conversation")

    openlines.say_in_room(ROOM, "Hi, I am looking at it")
    reply = customer.next_message()
    assert reply["text"] == "Hi, I am looking at it"
    assert reply["from"] == "agent" and reply["author"] == "alice" and welcome_reply["author"] == "Support"
    assert reply["seq"] > welcome_reply["seq"]


def test_commands_in_the_room_never_reach_the_customer(openlines, customer):
    customer.connect()
    customer.say("hello")
    customer.next_message()  # the welcome auto-reply
    openlines.team.in_room(ROOM, "hello")

    openlines.say_in_room(ROOM, "!answer")  # no id needed inside the room
    # (the Test backend addresses command replies to the bot, not to the room)
    openlines.team.wait_for(lambda to, body: "You answer conversation 1" in body)
    openlines.say_in_room(ROOM, "the real answer")
    assert customer.next_message()["text"] == "the real answer"


def test_only_the_lines_operators_may_answer(openlines, customer):
    customer.connect()
    customer.say("hello")
    openlines.team.in_room(ROOM, "hello")
    refused = openlines.command("!answer 1", as_user="mallory")
    assert "not an operator of line Support" in refused

    openlines.say_in_room(ROOM, "I am not an operator", as_user="mallory")
    assert "Not sent to the customer" in openlines.team.in_room(ROOM, "not an operator")


def test_first_to_answer_keeps_the_conversation(openlines, customer):
    customer.connect()
    customer.say("hello")
    openlines.team.in_room(ROOM, "hello")
    assert "You answer" in openlines.command("!answer 1", as_user="alice")
    assert "already answered by alice" in openlines.command("!answer 1", as_user="carol")


def test_close_attaches_the_transcript_to_the_crm_record(openlines, customer):
    customer.connect("Bob Buyer")
    customer.say("I want to buy 3 chairs")
    openlines.team.in_room(ROOM, "3 chairs")
    openlines.command("!answer 1")
    openlines.say_in_room(ROOM, "They are in stock")

    assert "Conversation 1 is closed" in openlines.command("!close 1")
    openlines.team.in_room(ROOM, "Transcript attached")
    crm = openlines.crm
    contact = crm.find_contact("webchat", _customer_ref(openlines, customer))
    assert contact is not None and contact.name == "Bob Buyer"
    assert len(crm.leads_of(contact.id)) == 1
    (activity,) = crm.activities_of(contact.id)
    assert "I want to buy 3 chairs" in activity.body and "They are in stock" in activity.body


def test_a_returning_customer_is_linked_to_the_same_record(openlines, customer):
    customer.connect("Bob Buyer")
    customer.say("first visit")
    openlines.team.in_room(ROOM, "first visit")
    openlines.command("!close 1")
    openlines.team.in_room(ROOM, "Transcript attached")

    customer.say("back again")
    openlines.team.in_room("#support-2", "back again")
    assert "Returning customer" in openlines.team.in_room("#support-2", "CRM contact")
    contact = openlines.crm.find_contact("webchat", _customer_ref(openlines, customer))
    assert len(openlines.crm.leads_of(contact.id)) == 1


def test_a_redelivered_message_is_stored_and_relayed_once(openlines, customer):
    customer.connect()
    first = customer.say("only once please", client_id="client-42")
    again = customer.say("only once please", client_id="client-42")
    assert first["seq"] == again["seq"]
    openlines.team.in_room(ROOM, "only once please")
    customer.say("a later message")
    openlines.team.in_room(ROOM, "a later message")
    assert openlines.team.count(ROOM, "only once please") == 1


def test_bad_commands_explain_their_usage(openlines):
    assert "Usage: !answer [ID]" in openlines.command("!answer abc")
    assert "Which conversation?" in openlines.command("!close")
    assert "no conversation 99" in openlines.command("!answer 99")


def test_reply_command_for_team_chats_without_rooms(openlines, customer):
    customer.connect()
    customer.say("hello")
    customer.next_message()
    assert "Sent to the customer" in openlines.command("!reply 1 Hello from the console")
    assert customer.next_message()["text"] == "Hello from the console"


def _customer_ref(openlines, customer) -> str:
    from backends.webchat.tokens import ref_of

    return ref_of(customer.token)


def test_help_lists_the_operator_commands(openlines):
    listing = openlines.command("!help Operators")
    for command in ("answer", "reply", "close"):
        assert f"!{command}" in listing


def test_text_in_rooms_that_are_not_conversation_rooms_never_reaches_a_customer(openlines, customer):
    """Regression: rooms were matched by a regex on their name, so "#release-1" leaked to customer 1."""
    customer.connect()
    customer.say("hello")
    customer.next_message()  # the welcome
    openlines.command("!answer 1")
    for room in ("#release-1", "#sales-1", "#support-1-old", "support-1"):
        openlines.say_in_room(room, f"internal: the release is broken again ({room})")
    openlines.say_in_room(ROOM, "this one is for the customer")
    assert customer.next_message()["text"] == "this one is for the customer"


def test_a_tilde_or_whisper_mode_keeps_room_text_internal(openlines, customer):
    customer.connect()
    customer.say("hello")
    customer.next_message()
    openlines.command("!answer 1")
    openlines.say_in_room(ROOM, "~ between us: refund them")
    openlines.say_in_room(ROOM, "!whisper on")
    openlines.team.wait_for(lambda to, body: "Whisper mode is on" in body)
    openlines.say_in_room(ROOM, "still between us")
    openlines.say_in_room(ROOM, "!whisper off")
    openlines.team.wait_for(lambda to, body: "Whisper mode is off" in body)
    openlines.say_in_room(ROOM, "Your refund is on its way")
    assert customer.next_message()["text"] == "Your refund is on its way"
