"""Strings of the shared page furniture (copy buttons), merged into ``web.i18n.MESSAGES``."""

from __future__ import annotations

__all__ = ["A11Y_MESSAGES"]

A11Y_MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "copy.link": "Copy link", "copy.link.done": "Link copied",
        "copy.code": "Copy code", "copy.code.done": "Code copied",
    },
    "nl": {
        "copy.link": "Link kopiëren", "copy.link.done": "Link gekopieerd",
        "copy.code": "Code kopiëren", "copy.code.done": "Code gekopieerd",
    },
}
