"""XMPP against a real Prosody: hostile customer texts through !transcript and !crm arrive as written,
promptly (Errbot's Markdown once took minutes over them, freezing every channel); a credential typed
in the direct chat is found nowhere in clear."""
from __future__ import annotations

from tests.support import hostile
from tests.support.customer import Customer
from tests.support.xmpp import BOT, XmppPerson
from tests.test_secrets_sealed import TOKEN, FakeBotApi, assert_found_nowhere


def test_hostile_texts_arrive_as_written_through_transcript_and_crm(start_bot, tmp_path):
    bot = start_bot(tmp_path, **hostile.LIMITS)
    alice, customer = XmppPerson("alice"), Customer(bot.port)
    try:
        customer.connect(hostile.NAME)
        for text in hostile.HOSTILE:
            customer.say(text)
        mark = alice.mark()
        alice.tell(BOT, "!transcript 1")
        reply = alice.heard_all(BOT, "That is the beginning of the conversation", mark, timeout=30)
        assert reply.startswith("Conversation 1 ·")
        assert hostile.missing(reply, hostile.HOSTILE) == [] and hostile.NAME in reply
        assert "\\`" not in reply and "\\*" not in reply  # no escape left over
        alice.tell(BOT, "!crm 1")
        assert hostile.NAME in alice.heard(BOT, "CRM record of conversation 1", timeout=30)
    finally:
        customer.close()
        alice.close()


def test_a_token_typed_to_the_bot_is_used_then_found_nowhere(start_bot, tmp_path):
    api = FakeBotApi(TOKEN)
    data = tmp_path / "data"
    bot = start_bot(data, OPENLINES_LOG_LEVEL="DEBUG")
    alice = XmppPerson("alice")
    try:
        alice.tell(BOT, f"!line connect Support telegram token={TOKEN} api_url={api.url}")
        assert "refused" not in alice.heard(BOT, "Telegram connected")
        assert "getMe" in api.fake.calls
    finally:
        alice.close()
        bot.kill()
        api.close()
    assert_found_nowhere([TOKEN, TOKEN.split(":")[1]], data, bot.output)
