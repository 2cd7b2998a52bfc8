"""The built-in web team console: accounts, sessions, rooms and the browser page.

The Errbot backend itself is ``backends/team/console/console.py``; everything it
uses lives here, importable and testable without Errbot's plugin loader.
"""
