"""Crash-safe file helpers shared by the stores and the runtime (stdlib only, imports nothing of ours)."""
