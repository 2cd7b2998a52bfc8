"""Errbot's configuration for Open Lines, with environment overrides.

Run with: .venv/bin/errbot -c config.py
"""
import json
import logging
import os
import sys

# The data dir holds customers' messages and channel credentials: whatever this
# process creates (journal, CRM, logs, Errbot's own stores) is the owner's only.
os.umask(0o077)

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:  # plugins import bridge/, backends/, crm_store/
    sys.path.insert(0, ROOT)


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


# All state: the journal, the CRM (crm/), files/, the keys, Errbot's data and errbot.log; `data/` beside config.py.
DATA_DIR = os.path.abspath(_env("OPENLINES_DATA_DIR", os.path.join(ROOT, "data")))

from plugins.team_rights import access_controls, core_plugins, exact  # noqa: E402
from runtime.logfile import LogFile  # noqa: E402
from runtime.logjson import formatter  # noqa: E402
from runtime import terminal_log  # noqa: E402

# Errbot's BACKEND for the team chat: `Console` (the web team console), `Text` (the terminal: each post one
# `[#room] …` line, docs/team-chats.md), `OpenLinesXMPP`, `SlackV3`…
BACKEND = _env("OPENLINES_TEAM_BACKEND", "Console")
# Another folder of Errbot backends (a cloned `err-backend-…`) besides the shipped ones.
BOT_EXTRA_BACKEND_DIR = [os.path.join(ROOT, "backends", "team")] + \
    ([os.environ["OPENLINES_TEAM_BACKEND_DIR"]] if os.environ.get("OPENLINES_TEAM_BACKEND_DIR") else [])
# `Text`: the bot's answers rendered once, for the terminal (Errbot's default; False prints each one five
# times over, as Markdown, HTML, text… for plugin authors). Open Lines' posts are printed as they are.
TEXT_DEMO_MODE = True
BOT_DATA_DIR = os.path.join(DATA_DIR, "errbot")
os.makedirs(BOT_DATA_DIR, exist_ok=True)
BOT_EXTRA_PLUGIN_DIR = os.path.join(ROOT, "plugins")
AUTOINSTALL_DEPS = False  # requirements.txt installs everything

# Errbot's own log file never rotates: ours does (errbot.log, 5 × 10 MB at most).
BOT_LOG_FILE = None
BOT_LOG_LEVEL = getattr(logging, _env("OPENLINES_LOG_LEVEL", "INFO").upper(), logging.INFO)  # Errbot's log level
_LOG = LogFile(os.path.join(DATA_DIR, "errbot.log"), maxBytes=10 * 1024 * 1024, backupCount=4, encoding="utf-8")
_LOG.setFormatter(formatter(_env("OPENLINES_LOG_FORMAT", "text")))  # `json`: errbot.log as one JSON object per line
if not any(getattr(h, "baseFilename", None) == _LOG.baseFilename for h in logging.getLogger().handlers):
    logging.getLogger().addHandler(_LOG)
terminal_log.route(_LOG)  # the terminal: Open Lines' own lines, warnings and errors; Errbot's INFO: the file

# Errbot's BOT_ADMINS, comma-separated, compared exactly (never as patterns): on first start the operators of
# the Support line; only they may use Errbot's `!room`, `!plugin` and `!status` commands.
ADMINS = tuple(a.strip() for a in _env("OPENLINES_ADMINS", "@operator").split(",") if a.strip())
BOT_ADMINS = tuple(exact(a) for a in ADMINS)  # Errbot matches globs: identities are compared exactly
# Errbot's BOT_IDENTITY as JSON: the team backend's credentials (docs/team-chats.md); never printed.
BOT_IDENTITY = json.loads(_env("OPENLINES_TEAM_IDENTITY", "{}"))
BOT_PREFIX = "!"
CHATROOM_PRESENCE = ()
CHATROOM_FN = "Open Lines"

CORE_PLUGINS = core_plugins(BACKEND)
ACCESS_CONTROLS = access_controls(ADMINS)
HIDE_RESTRICTED_COMMANDS = True  # !help shows each person what they may use
HIDE_RESTRICTED_ACCESS = False
# XMPP's XMPP_FEATURE_MECHANISMS as JSON: `{"unencrypted_plain": true}` only for a server on loopback without TLS.
XMPP_FEATURE_MECHANISMS = json.loads(_env("OPENLINES_XMPP_MECHANISMS", "{}"))
XMPP_KEEPALIVE_INTERVAL = 30
# IRC: seconds between two lines the bot sends (Errbot's default 1 keeps public networks' flood limits;
# 0 on a server of your own without them).
IRC_CHANNEL_RATE = IRC_PRIVATE_RATE = float(_env("OPENLINES_IRC_RATE", "1"))
if BACKEND == "IRC":
    from runtime import irc_poll  # noqa: E402

    irc_poll.install()  # many customers' sockets: the IRC one may be above descriptor 1023

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
    "database_url": _env("OPENLINES_DATABASE_URL", ""),
    "crm_url": _env("OPENLINES_CRM_URL", ""),
    "node": _env("OPENLINES_NODE", "main"),
    "max_lines": _count("OPENLINES_MAX_LINES"),
    "crm_session_quota": _count("OPENLINES_CRM_SESSION_QUOTA"),
    # Seals channel credentials at rest; never printed. Unset: a key file in the data dir.
    "secret_key": os.environ.pop("OPENLINES_SECRET_KEY", "").strip(),
    # Limits and guards (docs/security.md): unset = the defaults in runtime/settings.py.
    **{key: _env(name, "") for key, name in (
        ("header_timeout", "OPENLINES_HEADER_TIMEOUT"),
        ("connections_per_ip", "OPENLINES_CONNECTIONS_PER_IP"),
        ("trusted_proxies", "OPENLINES_TRUSTED_PROXIES"),
        ("webchat_burst", "OPENLINES_WEBCHAT_BURST"),
        ("webchat_messages_per_minute", "OPENLINES_WEBCHAT_MESSAGES_PER_MINUTE"),
        ("webchat_new_visitors_per_minute", "OPENLINES_WEBCHAT_NEW_VISITORS_PER_MINUTE"),
        ("webchat_hellos_per_minute", "OPENLINES_WEBCHAT_HELLOS_PER_MINUTE"),
        ("webchat_sockets_per_visitor", "OPENLINES_WEBCHAT_SOCKETS_PER_VISITOR"),
        ("webchat_sockets_per_ip", "OPENLINES_WEBCHAT_SOCKETS_PER_IP"),
        ("webchat_idle_seconds", "OPENLINES_WEBCHAT_IDLE_SECONDS"),
        ("visitor_token_days", "OPENLINES_VISITOR_TOKEN_DAYS"),
        ("max_upload_mb", "OPENLINES_MAX_UPLOAD_MB"),
        ("webchat_upload_mb_per_visitor_day", "OPENLINES_WEBCHAT_UPLOAD_MB_PER_VISITOR_DAY"),
        ("webchat_upload_mb_per_ip_day", "OPENLINES_WEBCHAT_UPLOAD_MB_PER_IP_DAY"),
        ("min_free_disk_mb", "OPENLINES_MIN_FREE_DISK_MB"),
        ("mail_from", "OPENLINES_MAIL_FROM"),
    ) if _env(name, "")},
    # Guards /metrics and /readyz's details from other machines (docs/operations.md); never printed.
    "metrics_token": os.environ.pop("OPENLINES_METRICS_TOKEN", "").strip(),
    # Missed replies by email; the URL may hold a password: never printed.
    "smtp_url": os.environ.pop("OPENLINES_SMTP_URL", "").strip(),
}
