"""Viber: the REST bot API over a signed webhook (viberbot for message types)."""
