"""The process that runs Open Lines: host (loop and HTTP server), core wiring, settings."""
