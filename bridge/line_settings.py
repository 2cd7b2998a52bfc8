"""A line's settings: the keys ``!line set`` knows, their defaults and how a value is checked."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from bridge import hours
from bridge.errors import Refused
from bridge.languages import candidates, setting_language

MAX_SETTING_TEXT = 1000
MAX_LOCALIZED = 200  # versions of texts in other languages, per line


@dataclass(frozen=True)
class LineSettings:
    welcome_text: str = "Hello! Thanks for your message: an operator will answer you shortly."
    waiting_text: str = "Thank you for waiting: our operators are busy, we will answer as soon as we can."
    closing_text: str = "Thank you for contacting us. This conversation is now closed."
    offline_text: str = "We are away right now. Leave your message: we will answer when we are back."
    autoclose_text: str = "This conversation was closed after a while without news. Write again any time."
    queue_mode: str = "evenly"
    wait_seconds: int = 120
    capacity: int = 0  # open conversations per operator; 0 = unlimited
    autoclose_minutes: int = 1440  # 0 = never
    pin_max_minutes: int = 1440
    hours: str = "always"
    timezone: str = "UTC"
    holidays: str = ""
    ratings: str = "off"
    crm: str = "on"
    crm_create: str = "lead"
    kpi_first_answer_seconds: int = 0  # 0 = no alert
    spam_minutes: int = 1440
    operator_names: str = "on"
    prechat: str = "off"
    offline_email_seconds: int = 120
    # The customer-facing texts in other languages: ("welcome_text.fr", "Bonjour…"), sorted by key.
    localized: tuple[tuple[str, str], ...] = ()

    def updated(self, key: str, raw: str) -> "LineSettings":
        """A copy with ``key`` set from the text ``raw``; Refused names the allowed values.
        ``welcome_text.fr`` sets the French version of a text; an empty one clears it."""
        key = setting_key(key)
        if "." not in key:
            return dataclasses.replace(self, **{key: SPECS[key].parse(key, raw)})
        versions = dict(self.localized)
        text = SPECS[key.split(".")[0]].parse(key, raw)
        if text:
            versions[key] = text
        else:
            versions.pop(key, None)
        if len(versions) > MAX_LOCALIZED:
            raise Refused(f"a line has at most {MAX_LOCALIZED} texts in other languages")
        return dataclasses.replace(self, localized=tuple(sorted(versions.items())))

    def shown(self, key: str) -> str:
        if "." in key:
            return dict(self.localized).get(setting_key(key), "")
        return str(getattr(self, key))

    def text(self, key: str, language: str | None) -> str:
        """The text ``key`` for a customer speaking ``language``: its version in that language
        (region first: pt-BR, then pt), else the line's default."""
        versions = dict(self.localized)
        for tag in candidates(language):
            if f"{key}.{tag}" in versions:
                return versions[f"{key}.{tag}"]
        return str(getattr(self, key))

    def keys(self) -> list[str]:
        """Every setting, each text followed by its versions in other languages."""
        return [k for key in SPECS for k in (key, *(v for v, _ in self.localized if v.startswith(key + ".")))]

    def as_dict(self) -> dict[str, Any]:
        """Flat: the versions in other languages are keys of their own (``welcome_text.fr``)."""
        data = dataclasses.asdict(self)
        del data["localized"]
        return {**data, **dict(self.localized)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LineSettings":
        """Known keys only: a setting from a newer or older version is dropped, not fatal."""
        known = {f.name for f in dataclasses.fields(cls)} - {"localized"}
        settings = cls(**{k: v for k, v in data.items() if k in known})
        versions = []
        for key, value in data.items():
            if "." in key and isinstance(value, str) and value:
                try:
                    versions.append((setting_key(key), value))
                except Refused:
                    pass
        return dataclasses.replace(settings, localized=tuple(sorted(versions)))

    @property
    def yes(self) -> "_Flags":
        return _Flags(self)


class _Flags:
    """``settings.yes.ratings`` reads an on/off setting as a bool."""

    def __init__(self, settings: LineSettings) -> None:
        self._s = settings

    def __getattr__(self, key: str) -> bool:
        return getattr(self._s, key) == "on"


@dataclass(frozen=True)
class Spec:
    parse_value: Callable[[str], Any]
    help: str

    def parse(self, key: str, raw: str) -> Any:
        try:
            return self.parse_value(raw.strip())
        except Refused as exc:
            raise Refused(f"{key}: {exc}") from None


def _text(raw: str) -> str:
    if len(raw) > MAX_SETTING_TEXT:
        raise Refused(f"at most {MAX_SETTING_TEXT} characters")
    return raw


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in allowed:
            raise Refused(f"“{raw[:40]}” is not allowed; use one of: {'|'.join(allowed)}")
        return raw.lower()
    return parse


def _count(limit: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not raw.isdigit() or int(raw) > limit:
            raise Refused(f"“{raw[:40]}” is not allowed; use a whole number from 0 to {limit}")
        return int(raw)
    return parse


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        check(raw)
        return raw
    return parse


def setting_key(key: str) -> str:
    """The key as stored (``welcome_text.pt-BR``); Refused for a key that is no setting."""
    base, dot, language = key.partition(".")
    if base not in SPECS or (dot and base not in TEXTS):
        raise Refused(f"there is no setting “{key[:40]}”; settings are: {', '.join(SPECS)} "
                      f"(texts also per language: welcome_text.fr)")
    return f"{base}.{setting_language(language)}" if dot else base


ON_OFF = _choice("on", "off")
WEEK = 7 * 24 * 3600
SPECS: dict[str, Spec] = {
    "welcome_text": Spec(_text, "sent to a new conversation's customer (empty: none)"),
    "waiting_text": Spec(_text, "sent once when every operator let the conversation pass"),
    "closing_text": Spec(_text, "sent when an operator closes (empty: none)"),
    "offline_text": Spec(_text, "sent out of hours or when the line is disabled"),
    "autoclose_text": Spec(_text, "sent when a conversation closes after the customer's silence"),
    "queue_mode": Spec(_choice("evenly", "strict", "all"), "how new conversations are offered"),
    "wait_seconds": Spec(_count(WEEK), "seconds before an unanswered offer passes on"),
    "capacity": Spec(_count(1000), "open conversations per operator (0: unlimited)"),
    "autoclose_minutes": Spec(_count(WEEK // 6), "minutes of customer silence before closing (0: never)"),
    "pin_max_minutes": Spec(_count(WEEK // 6), "longest a pin keeps a conversation open"),
    "hours": Spec(_checked(hours.parse_hours), f"working hours: {hours.HOURS_USAGE}"),
    "timezone": Spec(_checked(hours.parse_zone), "IANA time zone of the working hours"),
    "holidays": Spec(_checked(hours.parse_holidays), "days off, comma-separated: 2026-12-25,2027-01-01"),
    "ratings": Spec(ON_OFF, "ask the customer to rate a closed conversation"),
    "crm": Spec(ON_OFF, "record customers and transcripts in the CRM"),
    "crm_create": Spec(_choice("lead", "contact"), "what a new customer becomes in the CRM"),
    "kpi_first_answer_seconds": Spec(_count(WEEK), "alert when the first answer is later (0: off)"),
    "spam_minutes": Spec(_count(WEEK // 6), "minutes a spammer's messages stay unannounced"),
    "operator_names": Spec(ON_OFF, "customers see the operator's name (off: the line's)"),
    "prechat": Spec(_choice("off", "name", "name_email"), "what the website chat asks first"),
    "offline_email_seconds": Spec(_count(WEEK), "seconds without an open tab before replies go by email"),
}
# What customers read: each may also be set per language (welcome_text.fr).
TEXTS = ("welcome_text", "waiting_text", "closing_text", "offline_text", "autoclose_text")
