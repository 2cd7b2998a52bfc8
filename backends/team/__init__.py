"""The team chat, where employees answer: Errbot's side of Open Lines, above runtime/.

``chat`` (``ErrbotTeamChat``) posts to rooms and people through Errbot; ``adapters`` hold
what differs per Errbot backend; ``console/`` is the built-in web team console and
``xmpp/`` the XMPP backend. Errbot finds those two by their ``.plug`` files (config.py
gives it this folder as ``BOT_EXTRA_BACKEND_DIR``) and loads each by file path.
"""
