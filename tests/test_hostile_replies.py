"""Hostile customer texts through !transcript and !crm on the run command's team chats: each
arrives as written, promptly (Python-Markdown once took minutes over 4,096 backticks)."""
from __future__ import annotations


from tests.support import hostile
from tests.support.console import TeamMember
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess

DONE = "that was all, thanks"


def _hostile_customer(port: int) -> Customer:
    customer = Customer(port)
    customer.connect(hostile.NAME)
    for text in hostile.HOSTILE:
        customer.say(text)  # acknowledged: stored
    customer.say(DONE)
    return customer


def test_on_the_text_console(tmp_path):
    bot = OpenLinesProcess(tmp_path, **hostile.LIMITS)
    customer = _hostile_customer(bot.port)
    try:
        bot.wait_for(DONE)  # the room's posts are printed: what follows is the reply alone
        start = len(bot.output)
        bot.type("!transcript 1")
        end = bot.wait_for("That is the beginning of the conversation", start=start, timeout=30)
        reply = bot.output[bot.wait_for("Conversation 1 ·", start=start).start():end.start()]
        assert hostile.missing(reply, hostile.HOSTILE) == []
        assert hostile.NAME in hostile.unsplit(reply)

        start = len(bot.output)
        bot.type("!crm 1")
        bot.wait_for("Past conversations", start=start, timeout=30)
        assert hostile.NAME in hostile.unsplit(bot.output[start:])
    finally:
        customer.close()
        bot.kill()


def test_on_the_web_console(tmp_path):
    bot = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", **hostile.LIMITS)
    admin = TeamMember(bot.port)
    customer = _hostile_customer(bot.port)
    try:
        admin.sign_in_first(bot)
        admin.connect()
        mark = admin.mark()
        admin.say("@operator", "!transcript 1")
        admin.message("@operator", "That is the beginning of the conversation", timeout=30)
        reply = "\n".join(f["text"] for f in admin.frames[mark:]  # the reply, in parts of whole lines
                          if f["type"] == "message" and f["room"] == "@operator" and f["from"]["bot"])
        assert reply.startswith("Conversation 1 ·")
        assert hostile.missing(reply, hostile.HOSTILE) == []
        assert hostile.NAME in reply
        admin.say("@operator", "!crm 1")
        assert hostile.NAME in admin.message("@operator", "CRM record of conversation 1", timeout=30)["text"]
    finally:
        customer.close()
        admin.close()
        bot.kill()
