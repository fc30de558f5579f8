"""Bulk writes to Elasticsearch: the versioned upserts and deletions of ``apply``, and the load
of a rebuild.

A rebuild sends hundreds of thousands of documents. Its documents are encoded into bulk bodies
(NDJSON, about ``REBUILD_BODY_BYTES`` each) in the thread that reads them from the database, and
``REBUILD_SENDERS`` threads send the finished bodies, each over a connection of its own: reading,
encoding and the engine's indexing overlap, and no document is turned into an intermediate
action dictionary and re-encoded by the client. The benchmark's anchor (bench/search.py) sends
bodies made by the same ``encoded_chunks``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from elasticsearch import Elasticsearch, helpers

from search.backends import Deletion, SearchUnavailable
from search.documents import Document

BULK_CHUNK = 500
#: A rebuild's bulk bodies are this large, or a little larger (the document that passes it is
#: the last). Large: the sending thread waits its turn for the interpreter several times per
#: request while the producing thread keeps it busy, and the engine sits idle meanwhile; with
#: 500 documents (0.7 MB) a request, that idle time made up a third of a rebuild.
REBUILD_BODY_BYTES = 4_000_000
#: Bulk requests a rebuild keeps in flight at once, each on its own connection. One: building
#: the documents in Python is slower than the engine indexes them (bench/search.py), so a second
#: request in flight would only compete with the producer for the processor.
REBUILD_SENDERS = 1
#: Answered 429 (the engine's write queue is full), a rebuild's request is sent again, after
#: 1, 2, 4 … seconds, this many times.
REBUILD_RETRIES = 4
#: What a bulk answer needs to say for its failures to be found (not every field of every item).
ANSWER_FIELDS = "errors,items.*.status,items.*.error,items.*._id,items.*._index,items.*.result"


def is_expected(operation: str, item: Mapping[str, Any], vanishing: Sequence[str]) -> bool:
    """Write outcomes that are not failures.

    409: the index holds a newer version (versions make writes idempotent). 404 on delete: the
    record was never indexed. A missing rebuilding alias: that rebuild has just finished.
    """
    status = item.get("status")
    if status == 409:
        return True
    if operation == "delete" and status == 404 and item.get("result") == "not_found":
        return True
    error_type = (item.get("error") or {}).get("type")
    return error_type == "index_not_found_exception" and item.get("_index") in vanishing


def _refused(failures: Sequence[Mapping[str, Any]]) -> SearchUnavailable:
    first = failures[0]
    error = first.get("error") or {}
    return SearchUnavailable(
        f"Elasticsearch refused {len(failures)} write(s); first: {first.get('_id')} "
        f"(HTTP {first.get('status')}) {error.get('type')}: {error.get('reason')}"
    )


def bulk_write(
    client: Elasticsearch,
    actions: Iterable[dict[str, Any]],
    *,
    vanishing: Sequence[str] = (),
    **options: Any,
) -> None:
    """Send the actions in chunks; raise SearchUnavailable naming the first real failure."""
    failures = []
    for _ok, result in helpers.streaming_bulk(
        client,
        actions,
        chunk_size=BULK_CHUNK,
        raise_on_error=False,
        yield_ok=False,
        **options,
    ):
        ((operation, item),) = result.items()
        if not is_expected(operation, item, vanishing):
            failures.append(item)
    if failures:
        raise _refused(failures)


def index_action(document: Document, target: str | None = None) -> dict[str, Any]:
    """external_gte: the same version again (a retried task) is accepted, an older one refused."""
    action = {
        "_op_type": "index",
        "_id": document["id"],
        "version": document["version"],
        "version_type": "external_gte",
        "_source": document,
    }
    if target is not None:
        action["_index"] = target
    return action


def write_actions(
    documents: Iterable[Document], deletions: Iterable[Deletion], targets: Sequence[str]
) -> Iterator[dict[str, Any]]:
    for document in documents:
        for target in targets:
            yield index_action(document, target)
    for deletion in deletions:
        for target in targets:
            # external: a deletion leaves a versioned tombstone, so a late, older write of the
            # record is refused too (for index.gc_deletes, 60 s by default).
            yield {
                "_op_type": "delete",
                "_index": target,
                "_id": deletion.id,
                "version": deletion.version,
                "version_type": "external",
            }


# One encoder each, made once: json.dumps with options builds a new one for every call.
_META_ENCODER = json.JSONEncoder()
_DOCUMENT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encoded_chunks(documents: Iterable[Document]) -> Iterator[tuple[int, bytes]]:
    """Bulk bodies of about ``REBUILD_BODY_BYTES`` of versioned index actions each, for
    whichever index the request names, and how many documents each holds."""
    lines: list[bytes] = []
    size = 0
    encode_meta = _META_ENCODER.encode
    encode = _DOCUMENT_ENCODER.encode
    for document in documents:
        meta = {
            "_id": document["id"],
            "version": document["version"],
            "version_type": "external_gte",
        }
        action = f"{encode_meta({'index': meta})}\n{encode(document)}\n".encode()
        lines.append(action)
        size += len(action)
        if size >= REBUILD_BODY_BYTES:
            yield len(lines), b"".join(lines)
            lines.clear()
            size = 0
    if lines:
        yield len(lines), b"".join(lines)


def send_chunk(client: Elasticsearch, index: str, body: bytes) -> None:
    """One bulk body, sent again while the engine answers 429; any other failure raises."""
    for attempt in range(REBUILD_RETRIES + 1):
        answer = client.bulk(index=index, operations=body, filter_path=ANSWER_FIELDS).body
        if not answer.get("errors"):
            return
        items = [item for entry in answer.get("items", ()) for item in entry.values()]
        failures = [item for item in items if item.get("status") not in (200, 201, 409)]
        if not failures:
            return
        if attempt < REBUILD_RETRIES and all(item.get("status") == 429 for item in failures):
            time.sleep(2**attempt)  # all the documents again: versions make that harmless
            continue
        raise _refused(failures)


def pipelined_load(client: Elasticsearch, index: str, chunks: Iterable[tuple[int, bytes]]) -> int:
    """Send the bodies from ``REBUILD_SENDERS`` threads while this one keeps encoding them;
    returns the documents sent.

    The bodies are made here, in the caller's thread, because their documents come from the
    caller's database session.
    """
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2 * REBUILD_SENDERS)
    failures: list[BaseException] = []

    def send() -> None:
        while (body := pending.get()) is not None:
            if failures:
                continue  # drain: the producer must never block on a full queue
            try:
                send_chunk(client, index, body)
            except BaseException as error:  # handed to the producing thread
                failures.append(error)

    senders = [
        threading.Thread(target=send, name=f"search-rebuild-sender-{n}", daemon=True)
        for n in range(REBUILD_SENDERS)
    ]
    for sender in senders:
        sender.start()
    sent = 0
    try:
        for count, body in chunks:
            if failures:
                break
            pending.put(body)
            sent += count
    finally:
        for _ in senders:
            pending.put(None)
        for sender in senders:
            sender.join()
    if failures:
        raise failures[0]
    return sent
