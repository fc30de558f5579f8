"""Bilingual messages: English and Chinese travel together until a reader's locale is known."""

from __future__ import annotations

from typing import Any


class Message(str):
    """An English message that carries its Chinese text too, so reports and the UI can show either.

    It is a ``str`` (the English text) so that logs, exceptions and libraries that expect plain
    strings keep working; ``zh`` holds the Chinese text.
    """

    zh: str

    def __new__(cls, en: str, zh: str) -> Message:
        message = super().__new__(cls, en)
        message.zh = zh
        return message

    def format(self, *args: Any, **kwargs: Any) -> Message:
        """Format both texts; arguments that are Messages contribute the matching language."""
        en = str.format(self, *args, **kwargs)
        zh = self.zh.format(*map(_chinese, args), **{k: _chinese(v) for k, v in kwargs.items()})
        return Message(en, zh)

    def localized(self, locale: str) -> str:
        """Chinese for any ``zh…`` locale (``zh``, ``zh_Hans_CN``, ``zh-TW``), else English."""
        return self.zh if locale.lower().startswith("zh") else str.__str__(self)

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        # Lets pickle and copy.deepcopy rebuild the message with both texts.
        return (str.__str__(self), self.zh)

    def __repr__(self) -> str:
        return f"Message({str.__repr__(self)}, {self.zh!r})"


def _chinese(value: Any) -> Any:
    return value.zh if isinstance(value, Message) else value
