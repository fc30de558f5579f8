"""Search backends: Elasticsearch for deployments, SQLite FTS5 for the quick start.

Both implement ``SearchBackend`` and pass the same contract tests (tests/search/test_contract.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from repository.errors import HuikuError
from repository.messages import Message
from search.documents import Document
from search.query import Hit, SearchRequest, SearchResult, Suggestion
from search.related import SharedValue


class SearchUnavailable(HuikuError):
    """The engine cannot be reached or failed; pages say so, writes wait in the outbox."""

    status = 503

    def __init__(self, detail: str = "") -> None:
        super().__init__(Message("Search is unavailable at the moment; please try again later."))
        self.detail = detail


@dataclass(frozen=True)
class Deletion:
    id: str
    version: int  # newer than any version the record had when it was last indexed


@dataclass(frozen=True)
class IndexStatus:
    name: str  # the physical index (or file) behind the alias
    documents: int


class SearchBackend(Protocol):
    """What Huiku needs from a search engine. Writes are idempotent and versioned: a document or
    deletion with an older version than what the index holds is ignored."""

    def ensure_index(self) -> None:
        """Create the index (and alias) when it does not exist yet."""

    def apply(
        self,
        documents: Iterable[Document],
        deletions: Iterable[Deletion] = (),
        *,
        refresh: bool = False,
    ) -> None:
        """Upsert the documents and remove the deleted ids; raise SearchUnavailable on failure.

        With ``refresh`` the call returns only once searches see the change.
        """

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Build a new index from scratch and switch searches to it at once; returns the count."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def suggest(
        self, prefix: str, collection: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        """Titles that contain the typed text as a phrase prefix (best matches first)."""

    def related(
        self, record_id: str, collection: str, shared: Sequence[SharedValue], limit: int
    ) -> list[Hit]:
        """Records of the collection, the record aside, by the weight of the facet values they
        share with it, then in pinyin order (search.related)."""

    def status(self) -> IndexStatus: ...

    def ids(self) -> set[str]:
        """Every indexed record id (for consistency checks)."""

    def drop(self) -> None:
        """Remove the index entirely (tests, `huiku search reindex --drop`)."""
