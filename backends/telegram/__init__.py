"""Telegram: the Bot API over a webhook (python-telegram-bot on our aiohttp session)."""
