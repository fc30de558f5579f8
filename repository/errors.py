"""Errors that services raise; each HTTP surface maps them to its own responses."""

from __future__ import annotations

from repository.messages import Message


class HuikuError(Exception):
    """Base of the errors a service raises on purpose; ``message`` is shown to the user."""

    status = 400

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


class FilesRejected(HuikuError):
    """Uploaded files that failed verification; ``messages`` has one line per file."""

    status = 422

    def __init__(self, messages: list[Message]) -> None:
        super().__init__(Message.join(messages))
        self.messages = messages


class NotFound(HuikuError):
    status = 404


class PermissionDenied(HuikuError):
    status = 403


class InvalidTransition(HuikuError):
    """A lifecycle step that the record's status does not allow (publishing a draft, …)."""

    status = 409


class Conflict(HuikuError):
    status = 409


class BadInput(HuikuError):
    """A request no endpoint can take as sent (a JSON body nested too deep, a lone surrogate)."""

    status = 400
