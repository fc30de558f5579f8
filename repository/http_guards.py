"""Hostile input stopped at the door, once for every endpoint, as a 4xx instead of a 500.

PostgreSQL text holds any Unicode character except NUL, and a lone surrogate (half of a UTF-16
pair) is not text at all: it cannot even be encoded as UTF-8. Both can still reach Flask: NUL as
``%00`` in a path, surrogates as ``"\\ud800"`` escapes in JSON. So:

- a URL whose variable parts hold such a character names nothing that can exist: 404;
- a JSON body with a lone surrogate, or nested deeper than any request needs (a hundred
  thousand levels exhaust the parser's stack), is refused with 400;
- a multipart part without a name (browsers never send one) is kept under the name ``""``, so
  code that sorts or looks up field names sees only strings; control characters are dropped
  from uploaded file names;
- text that the database refuses for its characters anyway (a NUL typed into a form field that
  no validation looks at) ends as 400, with the transaction rolled back.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, current_app
from sqlalchemy.exc import DataError
from werkzeug.datastructures import FileStorage
from werkzeug.formparser import FormDataParser

from repository.errors import BadInput, NotFound
from repository.extensions import db
from repository.messages import Message

#: Deeper than any body the API takes (``{"metadata": {"aliases": ["…"]}}`` is three levels).
MAX_JSON_DEPTH = 64

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_FILENAME_CONTROLS = re.compile("[\x00-\x1f\x7f]")
# PostgreSQL's untranslatable_character and character_not_in_repertoire.
_CHARACTER_SQLSTATES = frozenset({"22P05", "22021"})

NO_SUCH_PAGE = Message("There is no such page.")
TOO_DEEP = Message(
    "The JSON body is nested more than {depth} levels deep; no request needs that many."
).format(depth=MAX_JSON_DEPTH)
LONE_SURROGATE = Message(
    "The JSON body holds a lone surrogate (an escape such as \\ud800 without its pair) in {where}; "
    "that is not a character and cannot be stored. Send the text as UTF-8, or escape characters "
    "beyond U+FFFF as a complete pair."
)
UNSTORABLE_TEXT = Message(
    "The request holds a character that cannot be stored (the NUL character U+0000, or half of "
    "a surrogate pair); remove it and send the request again."
)


def has_unstorable_characters(text: str) -> bool:
    """Whether ``text`` holds NUL or a lone surrogate, which no PostgreSQL text column can."""
    return _UNSTORABLE.search(text) is not None


class _NamedPartsParser(FormDataParser):
    """Form parsing that never hands ``None`` out as a field name or junk as a file name."""

    def parse(self, stream, mimetype, content_length, options=None):
        stream, form, files = super().parse(stream, mimetype, content_length, options)
        if mimetype == "multipart/form-data":
            if None in form:
                form = self.cls((name or "", value) for name, value in form.items(multi=True))
            if None in files or any(_needs_cleaning(f) for f in files.values()):
                files = self.cls(
                    (name or "", _cleaned(storage)) for name, storage in files.items(multi=True)
                )
        return stream, form, files


def _needs_cleaning(storage: FileStorage) -> bool:
    return bool(storage.filename and _FILENAME_CONTROLS.search(storage.filename))


def _cleaned(storage: FileStorage) -> FileStorage:
    storage.name = storage.name or ""
    if storage.filename:
        storage.filename = _FILENAME_CONTROLS.sub("", storage.filename)
    return storage


class GuardedRequest(Request):
    """The request class of the app: form parsing and JSON bodies as described above."""

    form_data_parser_class = _NamedPartsParser

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The parsed body, refused with ``BadInput`` (400) when it is too deep or not text.

        ``silent`` still silences a body that is not JSON at all; these refusals concern bodies
        that are JSON but cannot be taken, so they are raised either way.
        """
        try:
            body = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise BadInput(TOO_DEEP) from None
        check_json_body(body)
        return body


def check_json_body(body: Any) -> None:
    """Walk a parsed body without recursion: ``BadInput`` for depth or a lone surrogate."""
    pending: list[tuple[Any, int, str]] = [(body, 1, "")]
    while pending:
        value, depth, path = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BadInput(LONE_SURROGATE.format(where=_where(path)))
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadInput(TOO_DEEP)
        if isinstance(value, list):
            pending.extend((item, depth + 1, f"{path}[{n}]") for n, item in enumerate(value))
            continue
        for key, item in value.items():
            if _SURROGATE.search(key):
                raise BadInput(LONE_SURROGATE.format(where=_where(path, key=True)))
            pending.append((item, depth + 1, f"{path}.{key}" if path else key))


def _where(path: str, *, key: bool = False) -> Message:
    shown = Message.verbatim(path[:200]) if path else Message("the body")
    return Message("a key of {where}").format(where=shown) if key else shown


def _refuse_unstorable_view_args(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A path variable with NUL or a lone surrogate cannot name anything stored: 404."""
    if values and any(
        isinstance(value, str) and has_unstorable_characters(value) for value in values.values()
    ):
        raise NotFound(NO_SUCH_PAGE)


def _is_unstorable_text(error: DataError) -> bool:
    original = error.orig
    if getattr(original, "sqlstate", None) in _CHARACTER_SQLSTATES:
        return True
    # psycopg refuses NUL itself, before anything reaches the server, without a SQLSTATE.
    return "NUL (0x00)" in str(original)


def _unstorable_text(error: DataError) -> Any:
    if not _is_unstorable_text(error):
        raise error
    db.session.rollback()
    return current_app.handle_user_exception(BadInput(UNSTORABLE_TEXT))


def init_app(app: Flask) -> None:
    app.request_class = GuardedRequest
    app.url_value_preprocessor(_refuse_unstorable_view_args)
    app.register_error_handler(DataError, _unstorable_text)
