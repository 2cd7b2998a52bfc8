"""Per-kind channel settings, declared at the top of each backend module, and its reply choices.

A setting is public (shown by ``!line show``, exported) or a secret (kept
apart, encrypted at rest, never shown). ``split_settings`` checks what an
admin typed against a kind's schema.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bridge.errors import Refused


@dataclass(frozen=True)
class SettingSpec:
    name: str
    help: str = ""
    required: bool = False
    secret: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    parse: Callable[[str], Any] | None = None  # text -> value; raises ValueError


def split_settings(schema: tuple[SettingSpec, ...], given: Mapping[str, str],
                   current: Mapping[str, Any] | None = None,
                   current_secrets: Mapping[str, str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Public settings and secrets from ``key=value`` pairs; Refused names the fix.

    ``current``/``current_secrets`` are kept for keys not given (reconnecting
    with one new key does not drop the others).
    """
    known = {spec.name: spec for spec in schema}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise Refused(f"unknown key {unknown[0]!r}; this channel takes: {_keys(schema)}")
    settings: dict[str, Any] = dict(current or {})
    secrets: dict[str, str] = dict(current_secrets or {})
    for name, raw in given.items():
        spec = known[name]
        if spec.secret:
            secrets[name] = raw
        else:
            settings[name] = _value(spec, raw)
    for spec in schema:
        present = spec.name in (secrets if spec.secret else settings)
        if spec.required and not present:
            raise Refused(f"missing key {spec.name}=…; this channel takes: {_keys(schema)}")
        if not present and spec.default is not None and not spec.secret:
            settings[spec.name] = spec.default
    return settings, secrets


def secret_names(schema: tuple[SettingSpec, ...]) -> frozenset[str]:
    return frozenset(spec.name for spec in schema if spec.secret)


def _value(spec: SettingSpec, raw: str) -> Any:
    if spec.choices and raw not in spec.choices:
        raise Refused(f"{spec.name}: use one of {'|'.join(spec.choices)}")
    if spec.parse is None:
        return raw
    try:
        return spec.parse(raw)
    except ValueError as exc:
        raise Refused(f"{spec.name}: {exc}") from None


def _keys(schema: tuple[SettingSpec, ...]) -> str:
    return " ".join(f"{s.name}=…" if s.required else f"[{s.name}=…]" for s in schema) or "no keys"


def origins(raw: str) -> list[str]:
    """A comma-separated list of web origins (scheme://host[:port]) or "*"."""
    values = [o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip()]
    for value in values:
        if value != "*" and not value.startswith(("http://", "https://")):
            raise ValueError(f"“{value[:60]}” is not an origin like https://shop.example")
    return values


def api_root(example: str) -> Callable[[str], str]:
    """The parser of a platform's ``api_url`` setting: an http(s) URL, kept without its last slash."""
    def parse(raw: str) -> str:
        value = raw.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"give the API root as a URL, like {example}")
        return value
    return parse


@dataclass(frozen=True)
class ReplyChoices:
    """The words an operator may put before a reply on a channel (``!reply private …``)."""

    options: Mapping[str, Mapping[str, str]]  # each word's ``OutboundMessage.options``
    where: str  # whose conversations take them, for a refusal elsewhere: "Facebook comment conversations"

    def refusal(self) -> str:
        return f"{' and '.join(self.options)} answers are for {self.where}"
