"""Command options the reading and canned-answer commands share: --flag, --name N, and the rest as usage."""
from __future__ import annotations

from errbot import CommandError

from plugins.args import split_args, usage_error


def number_option(words: list[str], name: str, default: int, usage: str) -> tuple[int, list[str]]:
    """``--name N`` as a whole number (``default`` when absent), and the words without it."""
    if name not in words:
        return default, words
    i = words.index(name)
    if i + 1 >= len(words) or not words[i + 1].isdigit() or len(words[i + 1]) > 9:
        raise CommandError(f"{name} needs a whole number. Usage: {usage}")
    return int(words[i + 1]), words[:i] + words[i + 2:]


def no_options(words: list[str], usage: str) -> None:
    """Anything left that looks like an option is a mistake: say so rather than read it as a name."""
    unknown = [w for w in words if w.startswith("--")]
    if unknown:
        raise CommandError(f"Unknown option {unknown[0][:30]}. Usage: {usage}")


def arguments(args: str, count: int, usage: str, rest: bool = False) -> list[str]:
    """``count`` arguments (a quoted one may hold spaces; with ``rest`` the last keeps the rest), or the usage."""
    try:
        return split_args(args, count, rest=rest)
    except ValueError:
        raise CommandError(usage_error(usage)) from None
