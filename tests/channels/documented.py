"""The platforms' own documented example payloads, as their documentation prints them.

Each constant is copied from the page cited above it. Only what must change for
the payload to reach OUR test server is substituted, and each substitution is
named beside the constant: the page or account id (so that the entry routes to
the channel under test), Bot Framework's serviceUrl/channelId (they must match
the signed token the fake connector issues), and Meta's placeholder ids
("<PSID>", "<PAGE_ID>"). Everything else — ids with "$", ":", "...", texts,
field sets — is the documentation's own.
"""
from __future__ import annotations

import copy
from typing import Any

# -- Telegram ------------------------------------------------------------------------------------
# Source: Telegram, "Marvin's Marvellous Guide to All Things Webhook", section "Testing your bot
# with updates": https://core.telegram.org/bots/webhooks#testing-your-bot-with-updates
_TG_CHAT = {"last_name": "Test Lastname", "id": 1111111, "type": "private", "first_name": "Test Firstname",
            "username": "Testusername"}
_TG_FROM = {"last_name": "Test Lastname", "id": 1111111, "first_name": "Test Firstname", "username": "Testusername"}
_TG_FILE = {"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX"}

TELEGRAM_TEXT = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM, "text": "/start"}}
TELEGRAM_FORWARDED = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM,
    "forward_from": {"last_name": "Forward Lastname", "id": 222222, "first_name": "Forward Firstname"},
    "forward_date": 1441645550, "text": "/start"}}
TELEGRAM_REPLY = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM, "text": "/start",
    "reply_to_message": {"date": 1441645000, "chat": {"last_name": "Reply Lastname", "type": "private",
                                                      "id": 1111112, "first_name": "Reply Firstname",
                                                      "username": "Testusername"},
                         "message_id": 1334, "text": "Original"}}}
TELEGRAM_EDITED = {"update_id": 10000, "edited_message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM, "text": "Edited text",
    "edit_date": 1441646600}}
TELEGRAM_ENTITIES = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM, "text": "Bold and italics",
    "entities": [{"type": "italic", "offset": 9, "length": 7}, {"type": "bold", "offset": 0, "length": 4}]}}
TELEGRAM_AUDIO = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM,
    "audio": {**_TG_FILE, "duration": 243, "mime_type": "audio/mpeg", "file_size": 3897500,
              "title": "Test music file"}}}
TELEGRAM_VOICE = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM,
    "voice": {**_TG_FILE, "duration": 5, "mime_type": "audio/ogg", "file_size": 23000}}}
TELEGRAM_DOCUMENT = {"update_id": 10000, "message": {
    "date": 1441645532, "chat": _TG_CHAT, "message_id": 1365, "from": _TG_FROM,
    "document": {**_TG_FILE, "file_name": "Testfile.pdf", "mime_type": "application/pdf", "file_size": 536392}}}
TELEGRAM_CALLBACK = {"update_id": 10000, "callback_query": {
    "id": "4382bfdwdsb323b2d9", "from": {**_TG_FROM, "type": "private"}, "data": "Data from button callback",
    "inline_message_id": "1234csdbsk4839"}}
TELEGRAM_FILE_ID = _TG_FILE["file_id"]
TELEGRAM_CUSTOMER = "1111111"

# -- Viber -----------------------------------------------------------------------------------------
# Source: Viber REST Bot API, "Callbacks" (Message, Subscribed, Unsubscribed, Conversation started):
# https://developers.viber.com/docs/api/rest-bot-api/#callbacks
_VIBER_USER = {"id": "01234567890A=", "name": "John McClane", "avatar": "http://avatar.example.com",
               "country": "UK", "language": "en", "api_version": 1}
VIBER_MESSAGE = {"event": "message", "timestamp": 1457764197627, "message_token": 4912661846655238145,
                 "sender": _VIBER_USER,
                 "message": {"type": "text", "text": "a message to the service", "media": "http://example.com",
                             "location": {"lat": 50.76891, "lon": 6.11499}, "tracking_data": "tracking data"}}
VIBER_SUBSCRIBED = {"event": "subscribed", "timestamp": 1457764197627, "user": _VIBER_USER,
                    "message_token": 4912661846655238145}
VIBER_UNSUBSCRIBED = {"event": "unsubscribed", "timestamp": 1457764197627, "user_id": "01234567890A=",
                      "message_token": 4912661846655238145}
VIBER_STARTED = {"event": "conversation_started", "timestamp": 1457764197627, "message_token": 4912661846655238145,
                 "type": "open", "context": "context information", "user": _VIBER_USER, "subscribed": False}
VIBER_CUSTOMER = "01234567890A="

# -- Bot Framework ------------------------------------------------------------------------------------
# Source: Microsoft, "Send and receive messages with the Bot Connector API", "Receive a message from
# the user": https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-send-and-receive-messages
# Substituted: serviceUrl and channelId (the fake connector signs its token for its own).
BOTFRAMEWORK_MESSAGE = {"type": "message", "id": "bf3cc9a2f5de...", "timestamp": "2016-10-19T20:17:52.2891902Z",
                        "serviceUrl": "channel's service URL", "channelId": "channel's name/id",
                        "from": {"id": "1234abcd", "name": "user's name"},
                        "conversation": {"id": "abcd1234", "name": "conversation's name"},
                        "recipient": {"id": "12345678", "name": "bot's name"}, "text": "Haircut on Saturday"}
BOTFRAMEWORK_CUSTOMER = "abcd1234"

# -- Meta ----------------------------------------------------------------------------------------------
# Source: Meta, Messenger Platform, Webhook events reference, "messages":
# https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
# Substituted in every Meta payload: "<PAGE_ID>"/"<IGID>" by the account under test, "<PSID>"/"<IGSID>"
# by a customer id, "<IMAGE_URL>" by a file on the fake Graph API.
MESSENGER_TEXT = {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1458692752478, "messaging": [{
    "sender": {"id": "<PSID>"}, "recipient": {"id": "<PAGE_ID>"}, "timestamp": 1458692752478,
    "message": {"mid": "mid.1457764197618:41d102a3e1ae206a38", "text": "hello, world!",
                "quick_reply": {"payload": "<DEVELOPER_DEFINED_PAYLOAD>"}}}]}]}
# The same event with the message id Meta's Send API reference shows ("mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"):
# https://developers.facebook.com/docs/messenger-platform/reference/send-api/ (response)
MESSENGER_DOLLAR_MID = copy.deepcopy(MESSENGER_TEXT)
MESSENGER_DOLLAR_MID["entry"][0]["messaging"][0]["message"] = {"mid": "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c",
                                                                "text": "hello, world!"}
MESSENGER_IMAGE = {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1458692752478, "messaging": [{
    "sender": {"id": "<PSID>"}, "recipient": {"id": "<PAGE_ID>"}, "timestamp": 1458692752478,
    "message": {"mid": "mid.1458696618141:b4ef9d19ec21086067",
                "attachments": [{"type": "image", "payload": {"url": "<IMAGE_URL>"}}]}}]}]}
# Source: the same reference, "messaging_postbacks":
# https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messaging_postbacks
MESSENGER_POSTBACK = {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1458692752478, "messaging": [{
    "sender": {"id": "<PSID>"}, "recipient": {"id": "<PAGE_ID>"}, "timestamp": 1527459824,
    "postback": {"mid": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
                 "title": "<TITLE_FOR_THE_CTA>", "payload": "<USER_DEFINED_PAYLOAD>"}}]}]}
# Source: Meta, Instagram Platform, Webhooks, "messages":
# https://developers.facebook.com/docs/instagram-platform/webhooks/examples
INSTAGRAM_TEXT = {"object": "instagram", "entry": [{"id": "<IGID>", "time": 1569262486134, "messaging": [{
    "sender": {"id": "<IGSID>"}, "recipient": {"id": "<IGID>"}, "timestamp": 1569262485349,
    "message": {"mid": "<MESSAGE_ID>", "text": "<MESSAGE_CONTENT>"}}]}]}
# Source: Meta, Graph API, Webhooks reference for the Page object, field "feed" (a comment added):
# https://developers.facebook.com/docs/graph-api/webhooks/reference/page/#feed
# (the field set of that reference; the ids are its sample ids, "<PAGE_ID>" as above)
PAGE_COMMENT = {"object": "page", "entry": [{"id": "<PAGE_ID>", "time": 1511949030, "changes": [{
    "field": "feed", "value": {
        "from": {"id": "<PSID>", "name": "Test User"}, "post": {"status_type": "added_photos",
                                                                "is_published": True,
                                                                "updated_time": "2017-11-29T09:50:30+0000",
                                                                "permalink_url": "https://www.facebook.com/44444444",
                                                                "promotion_status": "inactive",
                                                                "id": "44444444_444444444"},
        "message": "Great post!", "post_id": "44444444_444444444", "comment_id": "444444444_444444444",
        "created_time": 1511949030, "item": "comment", "parent_id": "44444444_444444444", "verb": "add"}}]}]}


def meta(payload: dict[str, Any], account: str, customer: str, image_url: str = "") -> dict[str, Any]:
    """A Meta example with its placeholders replaced by the account and customer under test."""
    text = __import__("json").dumps(payload)
    for placeholder, value in (("<PAGE_ID>", account), ("<IGID>", account), ("<PSID>", customer),
                               ("<IGSID>", customer), ("<IMAGE_URL>", image_url)):
        text = text.replace(placeholder, value)
    result: dict[str, Any] = __import__("json").loads(text)
    return result
