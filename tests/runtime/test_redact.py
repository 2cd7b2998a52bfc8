"""What the redactor masks, in log records and in what a team backend stores or prints."""
from __future__ import annotations

import logging

from runtime import redact

LINK = "http://127.0.0.1:8080/team/#welcome=xAvMRvBqQ69XJ7iaVZYzYE5YPjP-Qwrr"


def test_credentials_in_key_value_form_and_in_bot_api_urls_are_masked():
    redact.install(["vault_key"])
    masked = redact.mask("!line connect S vault vault_key=v-123456 token=1:AB access_token=EAAG page_id=42")
    assert masked == "!line connect S vault vault_key=•••••• token=•••••• access_token=•••••• page_id=42"
    url = "Set Bot API URL: https://api.telegram.org/bot7654321:AAcanary-Z_9/getMe"
    assert redact.mask(url) == "Set Bot API URL: https://api.telegram.org/bot••••••/getMe"


def test_a_sign_in_link_is_masked_unless_shown_live():
    assert redact.mask(f"sign in: {LINK}") == "sign in: http://127.0.0.1:8080/team/#welcome=••••••"
    assert redact.mask(f"sign in: {LINK} token=abc", links=False) == f"sign in: {LINK} token=••••••"


def test_learning_a_value_keeps_the_keys_the_channels_declared(caplog):
    redact.install(["vault_key"])
    redact.know(["learned-value-1"])
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.sdk").info("calling with vault_key=abcdef and learned-value-1 at %s", LINK)
    assert caplog.records[-1].getMessage() == \
        "calling with vault_key=•••••• and •••••• at http://127.0.0.1:8080/team/#welcome=••••••"
