"""The run command itself: a real `errbot -c config.py` process, killed and restarted."""
from __future__ import annotations

import re

from tests.support.console import TeamMember
from tests.support.customer import Customer
from tests.support.process import OpenLinesProcess


def test_an_acknowledged_message_survives_a_kill(tmp_path):
    first = OpenLinesProcess(tmp_path)
    customer = Customer(first.port)
    try:
        customer.connect("Kim")
        ack = customer.say("please do not lose me")
    finally:
        first.kill()
        customer.close()

    second = OpenLinesProcess(tmp_path)
    again = Customer(second.port)
    again.token = customer.token
    try:
        welcome, history = again.connect("Kim")
        assert welcome["conversation_id"] == ack["conversation_id"]
        stored = [m for m in history["messages"] if m["seq"] == ack["seq"]]
        assert stored and stored[0]["text"] == "please do not lose me"
        assert stored[0]["from"] == "customer"
        assert second.health()["status"] == "ok"
    finally:
        again.close()
        second.stop()


def test_an_operator_answers_from_the_console(tmp_path):
    bot = OpenLinesProcess(tmp_path)
    customer = Customer(bot.port)
    try:
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]
        bot.wait_for("Where is my parcel?")

        _answer_and_reply(bot, customer)
        bot.type("!close")
        assert "conversation is now closed" in customer.next_message()["text"]
        bot.wait_for("Transcript attached")
    finally:
        customer.close()
        bot.kill()


def test_the_default_web_console_also_takes_commands_typed_on_the_terminal(tmp_path):
    """The run command's terminal, as with Errbot's Text console: one person plays several operators."""
    bot = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console")
    customer = Customer(bot.port)
    try:
        bot.wait_for("team console: http://127.0.0.1:")
        customer.connect("Lee")
        customer.say("Where is my parcel?")
        assert "operator will answer" in customer.next_message()["text"]
        bot.type("!conversations")
        bot.wait_for("1 · Support · Lee (Website chat)")

        bot.type("!console add bob Bob Builder")  # the console plays only its own people
        bot.wait_for("@bob can sign in once")
        bot.type("!line grant Support @bob operator")
        bot.wait_for("@bob is now operator of line Support")
        bot.type("!asuser @bob")
        bot.wait_for("You are now: @bob.")
        _answer_and_reply(bot, customer)
        bot.type("!asadmin")
        bot.wait_for("You are now an admin: @operator.")
        bot.type("!close")
        assert "conversation is now closed" in customer.next_message()["text"]
        bot.wait_for("[#support-1] Conversation 1 is closed")  # the answer to what the terminal typed
        assert "👤 Lee" not in bot.output  # the room's traffic is the web console's
    finally:
        customer.close()
        bot.kill()


def test_the_terminal_shows_open_lines_own_lines_and_errbots_info_goes_to_the_log(tmp_path):
    """Errbot's INFO (38 lines at start, ~37 ACL lines per console sign-in) buried the ready line and the
    one-time password, and every room's traffic, customers' words included, went to stdout."""
    bot = OpenLinesProcess(tmp_path, OPENLINES_TEAM_BACKEND="Console", OPENLINES_LOG_LEVEL="INFO")
    customer, member = Customer(bot.port), TeamMember(bot.port)
    try:
        password = bot.wait_for(re.compile(r"one-time password (\S+) ")).group(1)
        customer.connect("Lee")
        customer.say("my card ends in 4242")
        assert "operator will answer" in customer.next_message()["text"]
        assert member.sign_in("operator", password) == 200 and member.choose_password("a long password 1") == 200
        assert member.connect()["commands"]  # the commands it may complete: an ACL check per command
        bot.type("!line list")
        bot.wait_for("Support")
        member.close()
        bot.stop()
        lines = [line for line in bot.output.splitlines() if line.strip()]
        assert lines[0].startswith("Open Lines is ready — team console: http://127.0.0.1:")
        assert lines[1].startswith("Team console: sign in at http://127.0.0.1:")
        assert all(line.startswith("[@operator] ") for line in lines[2:]), lines  # answers to what was typed
        assert "4242" not in bot.output
        log = (tmp_path / "errbot.log").read_text()
        assert "Activate plugin: OpenLines" in log  # Errbot's INFO is in the file…
        assert "Matching ACL" not in log  # …but its ACL check of every command is DEBUG
    finally:
        customer.close()
        bot.kill()


def _answer_and_reply(bot: OpenLinesProcess, customer: Customer) -> None:
    """Take conversation 1 from the terminal, enter its room and write to the customer there."""
    bot.type("!answer 1")
    bot.wait_for("You answer conversation 1")
    bot.type("!inroom #support-1")
    bot.wait_for("Joined Room #support-1")
    bot.type("It left the warehouse this morning.")
    assert customer.next_message()["text"] == "It left the warehouse this morning."
