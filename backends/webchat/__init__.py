"""The website chat: the widget, the visitor page, its WebSocket and uploads (static/ is served)."""
