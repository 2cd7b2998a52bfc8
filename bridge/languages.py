"""Customers' languages: tags as platforms and browsers give them, and which of a line's texts fits.

A line's text may have versions per language (``welcome_text.fr``,
``welcome_text.pt-BR``); a customer's tag picks the version of its language
and region, else of its language, else the line's default text.
"""
from __future__ import annotations

import re

from bridge.errors import Refused

# ISO 639-1: the two-letter codes browsers and platforms send for nearly every language.
ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz
ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik
io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml
mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd
se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
vo wa wo xh yi yo za zh zu
""".split())
# language, optional script (dropped), optional region; anything after (variants…) is ignored.
_TAG = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z]{4})?(?:[-_]([A-Za-z]{2}|[0-9]{3}))?(?:[-_][A-Za-z0-9-_]*)?")
_SETTING_TAG = re.compile(r"([A-Za-z]{2})(?:-([A-Za-z]{2}|[0-9]{3}))?")
USAGE = "a two-letter ISO 639-1 code, with a region if you like: fr, de, pt-BR"


def customer_language(raw: object) -> str | None:
    """A platform's or browser's language tag ("fr-FR", "pt_br", "zh-Hans-CN") as "fr-FR", "pt-BR",
    "zh-CN"; None for anything that is not a language we know."""
    if not isinstance(raw, str) or len(raw) > 35:
        return None
    match = _TAG.fullmatch(raw.strip())
    if match is None or match.group(1).lower() not in ISO_639_1:
        return None
    return _joined(match.group(1), match.group(2))


def setting_language(raw: str) -> str:
    """The language of a line text's version, as written in its key: "fr", "pt-BR"; Refused otherwise."""
    match = _SETTING_TAG.fullmatch(raw)
    if match is None or match.group(1).lower() not in ISO_639_1:
        raise Refused(f"“{raw[:20]}” is not a language; use {USAGE}")
    return _joined(match.group(1), match.group(2))


def candidates(language: str | None) -> list[str]:
    """The versions that fit a customer's language, best first: "pt-BR" → ["pt-BR", "pt"]."""
    if not language:
        return []
    primary = language.split("-")[0]
    return [language] if primary == language else [language, primary]


def _joined(primary: str, region: str | None) -> str:
    return primary.lower() + (f"-{region.upper()}" if region else "")
