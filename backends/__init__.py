"""Customer channels, one package per platform behind bridge.channels.ChannelBackend, and the team chat.

Shared by the channels: ``base`` (mounts, kept files, retries), ``pacing`` (send rates),
``platform_files`` (SSRF-safe downloads), ``kind`` (a kind described without its SDK) and
``registry`` (the one list of kinds).
``team/`` is the other side: the team chat where employees answer.
"""
