"""Errbot's configuration for Open Lines, with environment overrides.

Run with: .venv/bin/errbot -c config.py
"""
import json
import logging
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:  # plugins import bridge/, backends/, crm_store/
    sys.path.insert(0, ROOT)


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


DATA_DIR = os.path.abspath(_env("OPENLINES_DATA_DIR", os.path.join(ROOT, "data")))

BACKEND = _env("OPENLINES_TEAM_BACKEND", "Text")
BOT_EXTRA_BACKEND_DIR = os.path.join(ROOT, "backends", "team")
BOT_DATA_DIR = os.path.join(DATA_DIR, "errbot")
os.makedirs(BOT_DATA_DIR, exist_ok=True)
BOT_EXTRA_PLUGIN_DIR = os.path.join(ROOT, "plugins")
AUTOINSTALL_DEPS = False  # requirements.txt installs everything

BOT_LOG_FILE = os.path.join(DATA_DIR, "errbot.log")
BOT_LOG_LEVEL = getattr(logging, _env("OPENLINES_LOG_LEVEL", "INFO").upper(), logging.INFO)

BOT_ADMINS = tuple(a.strip() for a in _env("OPENLINES_ADMINS", "@operator").split(",") if a.strip())
# The team backend's credentials, as JSON (see README): never printed.
BOT_IDENTITY = json.loads(_env("OPENLINES_TEAM_IDENTITY", "{}"))
BOT_PREFIX = "!"
CHATROOM_PRESENCE = ()
CHATROOM_FN = "Open Lines"

# Webserver (Flask) cannot add routes after it served; Open Lines runs its
# own aiohttp server. VersionChecker would call the internet.
CORE_PLUGINS = ("ACLs", "Backup", "ChatRoom", "CommandNotFoundFilter", "Flows", "Health",
                "Help", "Plugins", "TextCmds", "Utils")

def _count(name: str) -> int | None:
    """A limit from the environment: unset or empty means none."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


OPENLINES = {
    "data_dir": DATA_DIR,
    "http_host": _env("OPENLINES_HTTP_HOST", "127.0.0.1"),
    "http_port": int(_env("OPENLINES_HTTP_PORT", "8080")),
    "room_format": _env("OPENLINES_ROOM_FORMAT", "#{name}"),
    "public_url": _env("OPENLINES_PUBLIC_URL", ""),
    "journal_url": _env("OPENLINES_JOURNAL_URL", ""),
    "crm_url": _env("OPENLINES_CRM_URL", ""),
    "node": _env("OPENLINES_NODE", "main"),
    "max_lines": _count("OPENLINES_MAX_LINES"),
    "crm_session_quota": _count("OPENLINES_CRM_SESSION_QUOTA"),
    # Seals channel credentials at rest; never printed. Unset: a key file in the data dir.
    "secret_key": os.environ.pop("OPENLINES_SECRET_KEY", "").strip(),
}
