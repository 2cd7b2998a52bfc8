"""Each channel kind's settings: declared once as a frozen dataclass, checked when an admin gives them,
read into typed values once when a binding is built; every description names a real backend."""
from __future__ import annotations

import dataclasses

import pytest

from backends import registry
from backends.meta.kind import InstagramSettings, PageSettings
from backends.telegram.kind import TelegramSettings
from backends.webchat.kind import WebchatLimits, WebchatSettings
from bridge.channel_settings import split_settings
from bridge.errors import NotFound, Refused
from bridge.model import ChannelBinding


def given(kind: str, **keys: str) -> ChannelBinding:
    """A binding as `!line connect` would save it from these keys."""
    described = registry.kind_of(kind)
    settings, secrets = split_settings(described.settings_schema, keys)
    return ChannelBinding("support", kind, described.binding_key(settings, secrets), described.label, settings, secrets)


@pytest.mark.parametrize("kind, keys, said", [
    ("webchat", {"widget": "w", "color": "red"}, "color: a colour is written #rrggbb"),
    ("webchat", {"widget": "w", "allowed_origins": "shop.example"}, "allowed_origins: “shop.example” is not an origin"),
    ("webchat", {"widget": "w", "position": "top"}, "position: use one of right|left"),
    ("webchat", {"widget": "w", "logo_url": "http://x.example/a.png"}, "logo_url: use an https:// address"),
    ("telegram", {"token": "1:a", "mode": "push"}, "mode: use one of polling|webhook"),
    ("telegram", {"token": "1:a", "api_url": "ftp://x"}, "api_url: give the API root as a URL"),
    ("telegram", {"token": "no-colon"}, "the token should look like 123456789:AA…"),
    ("telegram", {"mode": "webhook"}, "missing key token=…"),
    ("viber", {"token": " "}, "give the bot's token: token=…"),
    ("botframework", {"app_id": "a b"}, "the app id is a GUID"),
    ("facebook", {"page_id": "shop", "page_token": "t", "app_secret": "s", "verify_token": "v"},
     "page_id: Meta's ids are numbers"),
    ("instagram", {"page_id": "1"}, "unknown key 'page_id'; this channel takes: account_id=…"),
])
def test_a_bad_key_is_refused_in_one_line_naming_the_fix(kind, keys, said):
    with pytest.raises(Refused) as refused:
        given(kind, **keys)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_the_settings_are_typed_frozen_with_their_defaults_and_secrets_are_never_shown():
    binding = given("telegram", token="123456:SECRET-part")
    assert dict(binding.settings) == {"mode": "polling", "api_url": "https://api.telegram.org"}  # stored as before
    settings = TelegramSettings.of(binding.settings, binding.secrets)
    assert (settings.token, settings.mode, settings.api_url, settings.webhook) == (
        "123456:SECRET-part", "polling", "https://api.telegram.org", False)
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.mode = "webhook"  # type: ignore[misc]


def test_a_widget_reads_its_origins_as_a_tuple_and_tells_the_page_only_what_is_set():
    binding = given("webchat", widget="shop", allowed_origins="https://Shop.example/, https://b.example",
                    title="  Hello  ", language="fr")
    assert binding.key == "shop" and binding.settings["allowed_origins"] == ["https://shop.example", "https://b.example"]
    settings = WebchatSettings.of(binding.settings, binding.secrets)
    assert settings.allowed_origins == ("https://shop.example", "https://b.example")
    assert settings.shown() == {"title": "Hello", "language": "fr"}
    assert WebchatSettings.of({"widget": "w"}, {}).allowed_origins == ()


def test_a_stored_value_of_the_wrong_type_is_refused_in_one_line_when_the_binding_is_built():
    with pytest.raises(Refused, match=r"^allowed_origins: a list of texts was expected; connect the channel again"):
        WebchatSettings.of({"widget": "w", "allowed_origins": "https://a.example"}, {})
    with pytest.raises(Refused, match=r"^mode: a text was expected"):
        TelegramSettings.of({"mode": 1}, {"token": "1:a"})


def test_the_meta_kinds_name_their_account_and_the_secrets_they_still_lack():
    page = PageSettings.of({"page_id": "42"}, {"page_token": "t"})
    assert page.key() == "42" and page.missing() == ["app_secret", "verify_token"]
    assert InstagramSettings.of({"account_id": "7"}, {}).account == "7"
    assert [s.name for s in registry.kind_of("instagram").settings_schema][:2] == ["account_id", "page_token"]


def test_every_kind_describes_a_backend_of_that_kind_and_only_comments_take_reply_words():
    for name, kind in registry.KINDS.items():
        assert kind.name == name and kind.load().kind == name and kind.label
    assert [n for n, k in registry.KINDS.items() if k.reply_choices] == ["fbcomments"]
    assert {n for n, k in registry.KINDS.items() if k.preflight} == {"facebook", "instagram", "fbcomments"}


def test_the_web_chats_process_limits_are_built_by_its_kind_and_no_other_takes_any():
    built = registry.tuning({"webchat": {"burst": 3, "trusted_proxies": ("10.0.0.1",)}})
    assert built == {"webchat": WebchatLimits(burst=3, trusted_proxies=("10.0.0.1",))}
    with pytest.raises(NotFound):
        registry.tuning({"telegram": {"burst": 3}})

