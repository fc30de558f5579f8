"""The Elasticsearch backend, for deployments: any Elasticsearch 9 node, server core only.

Huiku relies on nothing beyond the core: the ``standard`` analyzer, keyword fields, core
queries and aggregations, aliases, bulk writes and external versions. Chinese folding and
tokenising happen in Python (``search.text``), so a stock node without analysis plugins works.

Searches and writes go through an alias (``index``) that points at one concrete index
``{index}-{UTC timestamp}-{random}``. ``rebuild`` loads a fresh concrete index and swaps the alias
in one atomic step; while it loads, a second alias (``{index}-rebuilding``) points at the new
index so that writes made meanwhile by other processes reach both indices and none is lost.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TlsError
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    BadRequestError,
    Elasticsearch,
    TransportError,
    UnsupportedProductError,
)
from elasticsearch.serializer import OrjsonSerializer

from search.backends import Deletion, IndexStatus, SearchUnavailable
from search.backends.elasticsearch_bulk import (
    bulk_write,
    encoded_chunks,
    pipelined_load,
    write_actions,
)
from search.backends.elasticsearch_node import client_node_class
from search.backends.elasticsearch_query import (
    SUGGESTION_CANDIDATES,
    TOP_FIELDS,
    build_query_body,
    build_related_body,
    build_suggest_body,
    facet_values,
    year_counts,
)
from search.documents import KIND_FIELD, Document, facet_definitions
from search.hits import hit_from_document, rank_suggestions
from search.query import CursorInvalid, Hit, SearchRequest, SearchResult, Suggestion
from search.related import SharedValue
from search.relaxed import relax
from search.settings import ElasticsearchSettings, env_name, split_hosts
from search.text import fold, tokens

# Shards and replicas come from the settings (search.settings, ELASTICSEARCH_SHARDS and
# _REPLICAS). By default one shard: a library alliance's catalogue (up to a few million small
# documents) fits one shard comfortably, and with one shard relevance statistics and facet
# counts are exact; one replica as soon as a second node exists, none on a single node (so it
# stays green).
# The default shape, as the settings give it when nothing is set (benchmarks use it too).
INDEX_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
# While a rebuild loads its new index, that index has no replicas and no refreshes; both are
# restored before searches switch to it.
LOADING_SETTINGS: dict[str, Any] = {
    "number_of_replicas": 0,
    "auto_expand_replicas": False,
    "refresh_interval": "-1",
}

REBUILD_TIMEOUT = 120.0  # seconds for one bulk chunk while rebuilding (apply keeps the short one)


def index_mapping() -> dict[str, Any]:
    """The mapping, derived from the document shape (search.documents) and the facets.

    The text is already folded and split the way Huiku wants it (search.text), so the core
    ``standard`` analyzer is all the text fields need: like ``tokens``, it makes every Han
    character a token and keeps other words whole, lower-cased, and phrase queries on those
    tokens give word matches. Identifiers, facet values and sort keys are keywords (exact
    filters, counts, sorting). ``dynamic: false`` keeps everything else (``version``, new
    profile fields) in _source without growing the mapping; ``display`` and ``thumbnail`` are
    only shown, never searched, so they are not indexed at all.
    """
    keyword = {"type": "keyword"}
    text = {"type": "text", "analyzer": "standard"}
    facets = {
        facet.name: {"type": "keyword", "ignore_above": 1024}  # a longer "value" is prose
        for facet in facet_definitions()
        if facet.name not in TOP_FIELDS
    }
    facets[KIND_FIELD] = keyword  # filter only: exports keep to contributed records
    return {
        "dynamic": False,
        "properties": {
            "id": keyword,
            "collection": keyword,
            "profile": keyword,
            "libraries": keyword,
            "local_id": keyword,
            "title_sort": keyword,
            "year_start": {"type": "integer"},
            "year_end": {"type": "integer"},
            "published_at": {"type": "date"},
            "facets": {"type": "object", "dynamic": False, "properties": facets},
            # The exact folded title as a keyword too, so suggestions that begin with what was
            # typed can be fetched first (a prefix query) before rank_suggestions orders them.
            "search_title": {
                **text,
                "fields": {"keyword": {"type": "keyword", "ignore_above": 512}},
            },
            "search_names": text,
            "search_text": text,
            "pinyin_title": text,
            "pinyin_names": text,
            "pinyin_initials": text,
            "thumbnail": {"type": "keyword", "index": False, "doc_values": False},
            "display": {"type": "object", "enabled": False},
        },
    }


def _describe(error: Exception) -> str:
    if isinstance(error, ApiError):
        cause = error.info.get("error") if isinstance(error.info, dict) else None
        reason = cause.get("reason") if isinstance(cause, dict) else cause
        if reason is None and not isinstance(error.info, dict):
            reason = " ".join(re.sub(r"<[^>]*>", " ", str(error.info)).split())  # a proxy's page
        return f"HTTP {error.status_code} {error.message}: {reason or error.info}"[:500]
    return f"{type(error).__name__}: {error}"[:500]


def explain(error: Exception, settings: ElasticsearchSettings) -> str:
    """What went wrong, naming the setting to look at when one is to blame."""
    url = f"{env_name('ELASTICSEARCH_URL')} ({', '.join(settings.hosts)})"
    credentials = settings.credentials_setting
    if isinstance(error, AuthenticationException):
        if credentials:
            return f"Elasticsearch refused the credentials in {credentials} (401)"
        return (
            f"Elasticsearch asks for credentials (401): set {env_name('ELASTICSEARCH_API_KEY')} "
            f"(or {env_name('ELASTICSEARCH_USERNAME')} and {env_name('ELASTICSEARCH_PASSWORD')})"
        )
    if isinstance(error, AuthorizationException):
        return (
            f"Elasticsearch accepted the credentials in {credentials or '(none)'} but refused "
            f"the action (403; see docs/elasticsearch.md for the privileges): {_describe(error)}"
        )
    if isinstance(error, UnsupportedProductError):
        return f"{url} does not answer as Elasticsearch"
    if isinstance(error, TlsError):
        trust = settings.trust_setting or (
            f"the system's CA certificates (set {env_name('ELASTICSEARCH_CA_CERTS')} or "
            f"{env_name('ELASTICSEARCH_SSL_FINGERPRINT')})"
        )
        return f"the certificate of the node at {url} is not trusted by {trust}: {_describe(error)}"
    if isinstance(error, TransportConnectionError):
        return f"no node answers at {url}: {_describe(error)}"
    return _describe(error)


class ElasticsearchBackend:
    """Huiku's search on an Elasticsearch 9 node or cluster, behind the alias ``index``."""

    def __init__(
        self,
        url: str | Sequence[str] | None = None,
        index: str = "huiku-records",
        timeout: float = 5.0,
        *,
        settings: ElasticsearchSettings | None = None,
    ) -> None:
        """Either a URL (or several), an index and a timeout, or checked ``settings`` (with
        credentials, TLS trust, shards and replicas: search.settings)."""
        if settings is None:
            settings = ElasticsearchSettings(
                hosts=split_hosts(url or ()), index=index, timeout=timeout
            )
        self.settings = settings
        self.url = ",".join(settings.hosts)
        self.index = index = settings.index
        self.timeout = timeout = settings.timeout
        # Fail fast: a dead engine must not hold pages or saves; writes wait in the outbox.
        # A node that refuses connections is skipped for the next one (once each); a node
        # that is slow is not retried at all.
        options = settings.client_options()
        if node_class := client_node_class(settings.ssl_fingerprint):
            options["node_class"] = node_class  # http.client: see elasticsearch_node
        self._client = Elasticsearch(
            **options,
            # orjson reads a page of hits in half the time of the standard library's decoder:
            # about 1 ms of a search's 2 ms in the client.
            serializer=OrjsonSerializer(),
            request_timeout=timeout,
            max_retries=max(1, len(settings.hosts)),
            retry_on_timeout=False,
        )
        self._rebuilding = f"{index}-rebuilding"
        self._concrete_name = re.compile(rf"^{re.escape(index)}-\d{{14}}-[0-9a-f]{{8}}$")

    @contextmanager
    def _engine_errors(self, action: str) -> Iterator[None]:
        """Any transport failure or error answer becomes SearchUnavailable, saying what failed
        and, when a setting is to blame, which."""
        try:
            yield
        except (ApiError, TransportError) as error:
            raise SearchUnavailable(
                f"Elasticsearch, {action}: {explain(error, self.settings)}"
            ) from error

    def check(self) -> None:
        """Reach the engine once with the configured credentials and TLS settings (the
        start-up check); raises SearchUnavailable naming the setting at fault."""
        with self._engine_errors("connecting"):
            self._aliased()

    def close(self) -> None:
        """Close the client's connections (a backend opened for one check)."""
        self._client.close()

    def __repr__(self) -> str:
        return f"ElasticsearchBackend({self.url!r}, index={self.index!r})"

    # -- indices and aliases -------------------------------------------------------------------

    def _new_index_name(self) -> str:
        return f"{self.index}-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"

    def _create_index(self, name: str, aliases: Mapping[str, Any], **settings: Any) -> None:
        self._client.indices.create(
            index=name,
            settings={**self.settings.index_settings(), **settings},
            mappings=index_mapping(),
            aliases=dict(aliases),
        )

    def _aliased(self) -> dict[str, list[str]]:
        """The concrete indices behind the alias and behind the rebuilding alias."""
        response = self._client.options(ignore_status=404).indices.get_alias(
            name=[self.index, self._rebuilding]
        )
        found: dict[str, list[str]] = {self.index: [], self._rebuilding: []}
        for name, entry in response.body.items():
            for alias in entry.get("aliases", {}) if isinstance(entry, dict) else ():
                if alias in found:
                    found[alias].append(name)
        return found

    def ensure_index(self) -> None:
        with self._engine_errors("creating the index"):
            if self._client.indices.exists_alias(name=self.index):
                return
            try:
                # As the alias's write index: a second process racing to create its own index
                # is refused (an alias has at most one write index), so the alias never ends
                # up pointing at two indices.
                self._create_index(self._new_index_name(), {self.index: {"is_write_index": True}})
            except ApiError:
                if not self._client.indices.exists_alias(name=self.index):
                    raise

    def drop(self) -> None:
        """Delete the alias and every index behind it (and any left by an interrupted rebuild)."""
        with self._engine_errors("dropping the index"):
            aliased = self._aliased()
            names = set(aliased[self.index] + aliased[self._rebuilding])
            every = self._client.indices.get_alias(index=f"{self.index}-*", allow_no_indices=True)
            names.update(name for name in every.body if self._concrete_name.match(name))
            if names:
                self._client.indices.delete(index=sorted(names), ignore_unavailable=True)

    def status(self) -> IndexStatus:
        """The concrete index searches use and its size; an empty name when there is none."""
        with self._engine_errors("reading the index status"):
            behind = self._aliased()[self.index]
            if not behind:
                return IndexStatus(name="", documents=0)
            count = self._client.count(index=self.index)["count"]
            return IndexStatus(name=",".join(sorted(behind)), documents=count)

    # -- writes --------------------------------------------------------------------------------

    def apply(
        self,
        documents: Iterable[Document],
        deletions: Iterable[Deletion] = (),
        *,
        refresh: bool = False,
    ) -> None:
        """Versioned upserts and deletions in bulk; older versions than the index holds lose."""
        with self._engine_errors("writing to the index"):
            aliased = self._aliased()
            if not aliased[self.index]:
                self.ensure_index()  # never let a write auto-create an unmapped index
            targets = [self.index] + ([self._rebuilding] if aliased[self._rebuilding] else [])
            bulk_write(
                self._client,
                write_actions(documents, deletions, targets),
                vanishing=targets[1:],
                require_alias=True,
            )
            if refresh:
                self._client.indices.refresh(index=self.index)

    def rebuild(self, documents: Iterable[Document]) -> int:
        """Load a new index, then point the alias at it and delete the old one, atomically.

        Searches use the old index until the switch. Writes through ``apply`` meanwhile also go
        to the new index (through the rebuilding alias); versions decide between them and the
        loaded documents, whichever arrives first. If loading fails, the new index is deleted
        and the old one stays in service. A rebuild started later takes the rebuilding alias
        over; the earlier one then fails at its switch instead of replacing the later one.
        """
        new = self._new_index_name()
        try:
            with self._engine_errors("creating the new index"):
                # Loading without refreshes or replicas is much faster; both are restored
                # afterwards.
                self._create_index(new, {}, **LOADING_SETTINGS)
                self._client.indices.update_aliases(
                    actions=[
                        {"remove": {"index": "*", "alias": self._rebuilding, "must_exist": False}},
                        {"add": {"index": new, "alias": self._rebuilding, "is_write_index": True}},
                    ]
                )
            with self._engine_errors("loading the new index"):
                loader = self._client.options(request_timeout=max(self.timeout, REBUILD_TIMEOUT))
                count = pipelined_load(loader, new, encoded_chunks(documents))
                restored = {**self.settings.index_settings(), "refresh_interval": None}
                restored.pop("number_of_shards")
                self._client.indices.put_settings(index=new, settings={"index": restored})
                self._client.indices.refresh(index=new)
            with self._engine_errors("switching the alias"):
                old = self._aliased()[self.index]
                # must_exist: if anything changed meanwhile, the whole switch is refused.
                self._client.indices.update_aliases(
                    actions=[
                        *(
                            {"remove": {"index": name, "alias": self.index, "must_exist": True}}
                            for name in old
                        ),
                        {"add": {"index": new, "alias": self.index, "is_write_index": True}},
                        {"remove": {"index": new, "alias": self._rebuilding, "must_exist": True}},
                    ]
                )
        except BaseException:
            self._delete_quietly(new)
            raise
        with self._engine_errors("deleting the previous index"):
            if old:
                self._client.indices.delete(index=old, ignore_unavailable=True)
        return count

    def _delete_quietly(self, name: str) -> None:
        with suppress(ApiError, TransportError):  # if this fails too, drop() removes it
            self._client.indices.delete(index=name, ignore_unavailable=True)

    # -- reads ---------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any], action: str) -> Mapping[str, Any]:
        """Searches a missing index as unavailable: readers see "try later", not "no results"."""
        with self._engine_errors(action):
            return self._client.search(index=self.index, body=body).body

    def search(self, request: SearchRequest) -> SearchResult:
        body = build_query_body(request)
        try:
            response = self._search(body, "searching")
        except SearchUnavailable as error:
            cause = error.__cause__
            if request.after is not None and isinstance(cause, BadRequestError):
                raise CursorInvalid() from cause  # values of the wrong type for this sort
            raise
        relaxation = relax(request.query) if request.relaxed else None
        terms = relaxation.highlighted if relaxation else request.query.included
        hits = tuple(
            hit_from_document(
                hit["_source"], terms, score=hit.get("_score"), sort_values=tuple(hit["sort"])
            )
            for hit in response["hits"]["hits"]
        )
        full_page = bool(hits) and len(hits) == body["size"]
        return SearchResult(
            total=response["hits"]["total"]["value"],
            hits=hits,
            facets=facet_values(response.get("aggregations", {}), request),
            next_after=hits[-1].sort_values if full_page else None,
            years=year_counts(response.get("aggregations", {})),
        )

    def suggest(
        self, prefix: str, collection: str | None = None, limit: int = 8
    ) -> list[Suggestion]:
        folded = fold(prefix).strip()
        if limit <= 0 or not tokens(folded):
            return []
        size = max(SUGGESTION_CANDIDATES, limit)
        response = self._search(build_suggest_body(folded, collection, size), "suggesting")
        candidates = [hit["_source"] for hit in response["hits"]["hits"]]
        return rank_suggestions(prefix, candidates, limit)

    def related(
        self, record_id: str, collection: str, shared: Sequence[SharedValue], limit: int
    ) -> list[Hit]:
        body = build_related_body(record_id, collection, shared, limit)
        response = self._search(body, "finding related records")
        return [
            hit_from_document(hit["_source"], (), score=None, sort_values=())
            for hit in response["hits"]["hits"]
        ]

    def ids(self) -> set[str]:
        """Every id, page by page in id order (search_after: no scroll context to keep open)."""
        found: set[str] = set()
        with self._engine_errors("listing ids"):
            if not self._aliased()[self.index]:
                return found
            body: dict[str, Any] = {
                "query": {"match_all": {}},
                "sort": [{"id": {"order": "asc"}}],
                "size": 5000,
                "_source": False,
                "track_total_hits": False,
            }
            while True:
                hits = self._client.search(index=self.index, body=body)["hits"]["hits"]
                found.update(hit["_id"] for hit in hits)
                if len(hits) < body["size"]:
                    return found
                body["search_after"] = hits[-1]["sort"]
