"""Per-kind channel settings, declared once as a frozen dataclass per kind, and its reply choices.

A setting is public (shown by ``!line show``, exported) or a secret (kept
apart, encrypted at rest, never shown). Each kind declares its settings as a
``KindSettings`` dataclass whose fields are ``setting(...)``: the type, the
default, the help and the checks in one place. ``split_settings`` checks what
an admin typed against the schema derived from it; ``KindSettings.of`` reads a
binding's stored settings into the typed object once, when it starts.
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, TypeVar

from bridge.errors import Refused

S = TypeVar("S", bound="KindSettings")


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


def setting(help: str = "", *, default: Any = "", required: bool = False, secret: bool = False,
            choices: tuple[str, ...] = (), parse: Callable[[str], Any] | None = None) -> Any:
    """One field of a ``KindSettings`` dataclass. ``default`` is the value when unset; an empty one
    ("" or ()) is stored and shown as unset. A secret is never in the object's repr."""
    spec = SettingSpec("", help, required, secret, default if default not in ("", ()) else None, choices, parse)
    return dataclasses.field(default=default, repr=not secret, metadata={"spec": spec})


class KindSettings:
    """Base of each kind's frozen settings dataclass: its schema, and the typed reading of a binding."""

    _schema: ClassVar[tuple[SettingSpec, ...]]

    @classmethod
    def schema(cls) -> tuple[SettingSpec, ...]:
        """The ``!line connect`` keys, in declaration order (what ``split_settings`` and the docs read)."""
        if "_schema" not in cls.__dict__:
            cls._schema = tuple(dataclasses.replace(f.metadata["spec"], name=f.name)
                                for f in dataclasses.fields(cls) if "spec" in f.metadata)  # type: ignore[arg-type]
        return cls._schema

    @classmethod
    def of(cls: type[S], settings: Mapping[str, Any], secrets: Mapping[str, str]) -> S:
        """The typed settings of a binding as stored (checked when they were given): an unset or empty
        value takes its default; a value of the wrong type (a hand-edited store) is refused in one line."""
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for spec in cls.schema():
            raw = (secrets if spec.secret else settings).get(spec.name)
            if raw is None or raw == "":
                continue
            values[spec.name] = _typed(spec.name, hints[spec.name], raw)
        return cls(**values)

    def key(self) -> str:
        """The binding's public key on its platform (in its URLs; never a secret); Refused names the fix."""
        raise NotImplementedError(f"{type(self).__name__} must say which setting names its binding")


def _typed(name: str, hint: Any, raw: Any) -> Any:
    if typing.get_origin(hint) is tuple:
        if isinstance(raw, (list, tuple)) and all(isinstance(v, str) for v in raw):
            return tuple(raw)
        raise Refused(f"{name}: a list of texts was expected; connect the channel again with {name}=…")
    if hint is str and not isinstance(raw, str):
        raise Refused(f"{name}: a text was expected; connect the channel again with {name}=…")
    return raw


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
