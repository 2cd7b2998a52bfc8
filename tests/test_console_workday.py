"""The README's two operators' morning on the run command: a real `errbot -c config.py` console."""
from __future__ import annotations

from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess


def test_two_operators_morning_on_the_console(tmp_path):
    bot = OpenLinesProcess(tmp_path)
    ada, bert = Customer(bot.port), Customer(bot.port)
    try:
        ada.connect("Ada")
        ada.say("my parcel never came")
        bot.wait_for("New conversation 1")
        bert.connect("Bert")
        bert.say("what are your prices")
        bot.wait_for("New conversation 2")

        for line, said in (("!line grant Support @carol operator", "@carol is now operator"),
                           ("!line grant Support @dana supervisor", "@dana is now supervisor"),
                           ("!asuser @dana", "You are now: @dana"),
                           ("!quick add Support prices Our price list is on the shop", "has the quick answer"),
                           ("!asadmin", "You are now an admin"),
                           ("!conversations", "Open conversations (2), oldest first"),
                           ("!answer 1", "You answer conversation 1"),
                           ("!transcript 1", "🔒 ℹ️ @operator answers this conversation"),
                           ("!crm 1", "CRM record of conversation 1"),
                           ("!asuser @carol", "You are now: @carol"),
                           ("!quick prices 2", "Sent “prices” to the customer of conversation 2"),
                           ("!conversations --mine", "Conversations of yours (1)"),
                           ("!stats", "you supervise no line"),
                           ("!asuser @dana", "You are now: @dana"),
                           ("!stats Support --csv", "group,name,conversations")):
            start = len(bot.output)
            bot.type(line)
            bot.wait_for(said, start=start)
        while (frame := bert.next_message())["text"] != "Our price list is on the shop":
            assert frame["author"] == "Support", frame  # only the welcome came before
        assert frame["author"] == "@carol"
    finally:
        ada.close()
        bert.close()
        bot.kill()
