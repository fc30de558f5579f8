"""Messages for users: an English msgid and its parameters, shown in the reader's language.

A ``Message`` is the English text (a ``str``, so logs, exceptions and libraries that expect plain
strings keep working). Its Chinese comes from the same zh_Hans_CN catalogue Flask-Babel uses
(``repository/translations``), looked up when it is shown, so ``scripts/translations`` lists an
untranslated one and tests/repository/test_translations.py fails on it. Parameters are filled in
with ``str.format`` syntax: ``Message("record {record} created").format(record=public_id)``.

Stored messages (import reports, …) keep the msgid and parameters (``to_json``) and are
translated again when read (``from_json``), so a better translation reaches old reports too.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import Translations

TRANSLATIONS = Path(__file__).parent / "translations"
CHINESE = "zh_Hans_CN"


@cache
def catalogue() -> Translations:
    """The compiled Chinese catalogue, loaded once per process (works outside a request)."""
    return Translations.load(str(TRANSLATIONS), [CHINESE])


def translate(msgid: str, context: str | None = None) -> str:
    """``msgid`` in Chinese; the English itself when the catalogue lacks it."""
    if not msgid:  # gettext("") would be the catalogue's header
        return msgid
    if context:
        return catalogue().pgettext(context, msgid)
    return catalogue().gettext(msgid)


class Message(str):
    """An English message whose Chinese is looked up in the catalogue when shown.

    ``Message("Not found.")`` is the form to use. The older ``Message(en, zh)`` still works,
    with ``zh`` taking the place of the catalogue, until every module has moved to the
    catalogue (tests/repository/test_messages.py lists the ones that have not yet).
    """

    msgid: str
    context: str | None
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    base: Message | None  # the message that ``format`` filled in, if any
    _zh: str | None  # Chinese given in the code (old form) or by data, not the catalogue

    def __new__(cls, en: str, zh: str | None = None, *, context: str | None = None) -> Message:
        message = super().__new__(cls, en)
        message.msgid = en
        message.context = context
        message.args = ()
        message.kwargs = {}
        message.base = None
        message._zh = zh
        return message

    @classmethod
    def pair(cls, en: str, zh: str) -> Message:
        """Both texts given, for words that come from data (a profile's field labels), not code."""
        return cls(en, zh)

    @classmethod
    def verbatim(cls, text: str) -> Message:
        """Text that reads the same in both languages: a path, a tool's own error output."""
        return cls(text, text)

    @classmethod
    def join(cls, messages: list[Message], en: str = "; ", zh: str = "；") -> Message:
        """The messages one after another, each in the reader's language."""
        template = cls(en.join(["{}"] * len(messages)), zh.join(["{}"] * len(messages)))
        return template.format(*messages)

    @property
    def zh(self) -> str:
        if self.base is not None:
            return self.base.zh.format(
                *map(_chinese, self.args), **{k: _chinese(v) for k, v in self.kwargs.items()}
            )
        if self._zh is not None:
            return self._zh
        return translate(self.msgid, self.context)

    def format(self, *args: Any, **kwargs: Any) -> Message:
        """Fill in both texts; arguments that are Messages contribute the matching language."""
        message = Message(str.format(self, *args, **kwargs))
        message.msgid = self.msgid
        message.base, message.args, message.kwargs = self, args, kwargs
        return message

    def localized(self, locale: str) -> str:
        """Chinese for any ``zh…`` locale (``zh``, ``zh_Hans_CN``, ``zh-TW``), else English."""
        return self.zh if locale.lower().startswith("zh") else str.__str__(self)

    def to_json(self) -> dict[str, Any]:
        """What to store: the msgid and parameters, or both texts when they are not in the
        catalogue (old form, data) or a parameter cannot be stored as JSON."""
        if self.base is not None:
            try:
                args = [_param_to_json(value) for value in self.args]
                kwargs = {key: _param_to_json(value) for key, value in self.kwargs.items()}
            except TypeError:
                return {"en": str.__str__(self), "zh": self.zh}
            stored: dict[str, Any] = {"base": self.base.to_json()}
            if args:
                stored["args"] = args
            if kwargs:
                stored["kwargs"] = kwargs
            return stored
        if self._zh is not None:
            return {"en": str.__str__(self), "zh": self._zh}
        return (
            {"msgid": self.msgid, "context": self.context}
            if self.context
            else {"msgid": self.msgid}
        )

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Message:
        """The message ``to_json`` stored."""
        if "base" in stored:
            base = cls.from_json(stored["base"])
            args = [_param_from_json(value) for value in stored.get("args", ())]
            kwargs = {
                key: _param_from_json(value) for key, value in stored.get("kwargs", {}).items()
            }
            return base.format(*args, **kwargs)
        if "msgid" in stored:
            return cls(stored["msgid"], context=stored.get("context"))
        return cls(stored.get("en", ""), stored.get("zh", ""))

    def __reduce__(self) -> tuple[Any, ...]:
        # Lets pickle and copy.deepcopy rebuild the message with its msgid and parameters.
        if self.base is not None:
            return (_formatted, (self.base, self.args, self.kwargs))
        return (_plain, (self.msgid, self._zh, self.context))

    def __repr__(self) -> str:
        if self.base is not None:
            return f"{self.base!r}.format(*{self.args!r}, **{self.kwargs!r})"
        if self._zh is not None:
            return f"Message.pair({str.__repr__(self)}, {self._zh!r})"
        context = f", context={self.context!r}" if self.context else ""
        return f"Message({str.__repr__(self)}{context})"


def pmessage(context: str, en: str) -> Message:
    """A message whose English has another Chinese elsewhere: ``context`` tells them apart."""
    return Message(en, context=context)


def stored_texts(entry: dict[str, Any], key: str) -> tuple[str, str]:
    """English and Chinese of a stored message: ``entry[key]`` as ``to_json`` wrote it, or the
    ``{key}_en``/``{key}_zh`` pair that older rows hold."""
    stored = entry.get(key)
    if isinstance(stored, dict):
        message = Message.from_json(stored)
        return str.__str__(message), message.zh
    return entry.get(f"{key}_en") or "", entry.get(f"{key}_zh") or ""


def readable(entry: dict[str, Any], keys: tuple[str, ...] = ("message", "fix")) -> dict[str, Any]:
    """A stored entry with each message of ``keys`` as ``{key}_en``/``{key}_zh`` texts, in
    whichever shape it was stored."""
    shown = dict(entry)
    for key in keys:
        shown[f"{key}_en"], shown[f"{key}_zh"] = stored_texts(entry, key)
    return shown


def _chinese(value: Any) -> Any:
    return value.zh if isinstance(value, Message) else value


def _param_to_json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"message": value.to_json()}
    if value is None or isinstance(value, bool | int | float):
        return value
    if type(value) is str:
        return value
    raise TypeError(f"{type(value).__name__} is not stored as a message parameter")


def _param_from_json(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return Message.from_json(value["message"])
    return value


def _plain(msgid: str, zh: str | None, context: str | None) -> Message:
    return Message(msgid, zh, context=context)


def _formatted(base: Message, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Message:
    return base.format(*args, **kwargs)
