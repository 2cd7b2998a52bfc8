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

from plugins.team_rights import access_controls, core_plugins, exact  # noqa: E402

BACKEND = _env("OPENLINES_TEAM_BACKEND", "Console")
BOT_EXTRA_BACKEND_DIR = [os.path.join(ROOT, "backends", "team")] + \
    ([os.environ["OPENLINES_TEAM_BACKEND_DIR"]] if os.environ.get("OPENLINES_TEAM_BACKEND_DIR") else [])
BOT_DATA_DIR = os.path.join(DATA_DIR, "errbot")
os.makedirs(BOT_DATA_DIR, exist_ok=True)
BOT_EXTRA_PLUGIN_DIR = os.path.join(ROOT, "plugins")
AUTOINSTALL_DEPS = False  # requirements.txt installs everything

BOT_LOG_FILE = os.path.join(DATA_DIR, "errbot.log")
BOT_LOG_LEVEL = getattr(logging, _env("OPENLINES_LOG_LEVEL", "INFO").upper(), logging.INFO)

ADMINS = tuple(a.strip() for a in _env("OPENLINES_ADMINS", "@operator").split(",") if a.strip())
BOT_ADMINS = tuple(exact(a) for a in ADMINS)  # Errbot matches globs: identities are compared exactly
# The team backend's credentials, as JSON (see README): never printed.
BOT_IDENTITY = json.loads(_env("OPENLINES_TEAM_IDENTITY", "{}"))
BOT_PREFIX = "!"
CHATROOM_PRESENCE = ()
CHATROOM_FN = "Open Lines"

CORE_PLUGINS = core_plugins(BACKEND)
ACCESS_CONTROLS = access_controls(ADMINS)
HIDE_RESTRICTED_COMMANDS = True  # !help shows each person what they may use
HIDE_RESTRICTED_ACCESS = False
# XMPP (OPENLINES_TEAM_BACKEND=OpenLinesXMPP): plain login on a loopback server without TLS only if asked.
XMPP_FEATURE_MECHANISMS = json.loads(_env("OPENLINES_XMPP_MECHANISMS", "{}"))
XMPP_KEEPALIVE_INTERVAL = 30

def _count(name: str) -> int | None:
    """A limit from the environment: unset or empty means none."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else None


OPENLINES = {
    "data_dir": DATA_DIR,
    "admins": ADMINS,
    "operators": ADMINS,
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
