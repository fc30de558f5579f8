"""The OAI-PMH error conditions: answered with HTTP 200 and an ``<error code="…">`` element."""

from __future__ import annotations


class OAIError(Exception):
    """One protocol error; ``code`` is one of the codes the protocol defines."""

    #: Errors after which the ``<request>`` element names only the base URL, not the arguments.
    UNTRUSTED_ARGUMENTS = frozenset({"badVerb", "badArgument"})

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def bad_argument(message: str) -> OAIError:
    return OAIError("badArgument", message)


def bad_token(message: str = "the resumption token is invalid or has expired") -> OAIError:
    return OAIError("badResumptionToken", message)


def no_records() -> OAIError:
    return OAIError("noRecordsMatch", "no records match the request")


def cannot_disseminate(prefix: str) -> OAIError:
    return OAIError("cannotDisseminateFormat", f"metadata format {prefix!r} is not supported")


def no_such_id(identifier: str) -> OAIError:
    return OAIError("idDoesNotExist", f"no item has the identifier {identifier!r}")
