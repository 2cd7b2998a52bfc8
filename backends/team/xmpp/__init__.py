"""The XMPP team chat: Errbot's XMPP backend fixed for slixmpp 1.15 (loaded by Errbot via its .plug)."""
