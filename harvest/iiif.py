"""IIIF sources: a Presentation 3 Collection walked for its manifests, or a Change Discovery 1.0
stream read from its newest page back to the last visit.

Both end in the same pages of items as OAI-PMH: a manifest is fetched (through the guarded
client) when its page is stored, so a manifest that cannot be fetched or read is counted failed
and named in the run's errors while the others are stored.

A Collection says nothing about what changed, so each run walks all of it; a manifest it no
longer lists is marked deleted once a walk has gone through to the end. The walk follows
nested collections, each once (a collection listing itself or an ancestor is not gone round),
and stops at ``HARVEST_MAX_MANIFESTS``.

A Change Discovery stream is read as its specification says: the ``last`` page first, then
``prev`` pages, until activities older than the source's cursor. Only the newest activity of
each object counts: ``Create``/``Update`` (and ``Add``, ``Move``, ``Refresh``) fetch the
manifest, ``Delete``/``Remove`` mark it deleted. The activities are stored oldest first, in
pages whose last activity time is the run's ``resume_from``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2

from harvest.addresses import get, guarded_client, snippet
from harvest.mapping import Mapped, MappingFailed, map_manifest
from harvest.runs import HarvestFailed, add_error, clip
from harvest.settings import setting
from harvest.store import INCOMPLETE, Item, Page
from repository.messages import Message
from repository.models.harvest import HarvestRun, HarvestSource

ACCEPT = "application/ld+json, application/json;q=0.9"
BATCH = 25  # manifests fetched and stored per page
DELETING = {"Delete", "Remove"}


def fetch_json(client: httpx2.Client, url: str) -> dict[str, Any]:
    response = get(client, url)
    try:
        document = response.json()
    except ValueError as error:
        html = b"<html" in response.content[:1000].lower()
        raise HarvestFailed(
            (_HTML if html else _NOT_JSON).format(url=url, answer=snippet(response.content))
        ) from error
    if not isinstance(document, dict):
        raise HarvestFailed(_NOT_IIIF.format(url=url))
    return document


def _id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id") or value.get("@id")
    return value if isinstance(value, str) else ""


def _type(value: dict[str, Any]) -> str:
    return str(value.get("type") or value.get("@type") or "")


def _manifest_mapper(client: httpx2.Client, url: str) -> Callable[[], Mapped]:
    """The manifest fetched now, before its page's transaction (requests renew the run's lease,
    which a transaction must not commit half-way), mapped when the page is stored."""
    try:
        manifest: dict[str, Any] | None = fetch_json(client, url)
        failure: Message | None = None
    except HarvestFailed as error:
        manifest, failure = None, error.message

    def mapped() -> Mapped:
        if manifest is None:
            raise MappingFailed(failure or Message.verbatim(url))
        return map_manifest(url, manifest)

    return mapped


# --- Collections --------------------------------------------------------------------------


def walk_collection(
    client: httpx2.Client, url: str, run: HarvestRun | None = None
) -> tuple[list[str], bool]:
    """The manifests of a Collection and its nested ones, in order, and whether the walk went
    through to the end (not stopped by the cap)."""
    cap = int(setting("HARVEST_MAX_MANIFESTS"))
    manifests: dict[str, None] = {}
    visited: set[str] = set()
    stack = [url]
    while stack:
        current = stack.pop()
        if current in visited:
            continue
        visited.add(current)
        document = fetch_json(client, current)
        if _type(document) != "Collection":
            raise HarvestFailed(_NOT_COLLECTION.format(url=current, type=clip(_type(document))))
        nested = []
        for item in document.get("items") or []:
            if not isinstance(item, dict):
                continue
            target = _id(item)
            if not target:
                continue
            if _type(item) == "Manifest":
                manifests.setdefault(target, None)
                if len(manifests) >= cap:
                    if run is not None:
                        add_error(run, url, _TOO_MANY_MANIFESTS.format(limit=cap))
                    return list(manifests), False
            elif _type(item) == "Collection":
                if target in visited and run is not None:
                    add_error(run, current, _CYCLE.format(url=clip(target)))
                nested.append(target)
        stack.extend(reversed(nested))
        if len(visited) > int(setting("HARVEST_MAX_PAGES")):
            raise HarvestFailed(_TOO_DEEP.format(url=url))
    return list(manifests), True


def collection_pages(source: HarvestSource, run: HarvestRun) -> Iterator[Page]:
    with guarded_client(source.base_url, accept=ACCEPT) as client:
        manifests, complete = walk_collection(client, source.base_url, run)
        done = int(run.resume_from) if run.resume_from.isdigit() else 0
        for start in range(done, len(manifests), BATCH):
            batch = manifests[start : start + BATCH]
            yield Page(
                items=[Item(url, mapped=_manifest_mapper(client, url)) for url in batch],
                resume_after=str(start + len(batch)),
                where=source.base_url,
            )
        if not complete:
            run.message = INCOMPLETE  # finish_listing then deletes nothing


# --- Change Discovery ---------------------------------------------------------------------


def parse_time(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def time_text(value: datetime) -> str:
    """One fixed-width form, so cursors compare as text."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def newest_activities(
    client: httpx2.Client, url: str, since: datetime | None
) -> list[tuple[datetime, str, str]]:
    """(time, type, manifest URL) of each object's newest activity not older than ``since``,
    oldest first."""
    stream = fetch_json(client, url)
    if _type(stream) != "OrderedCollection":
        raise HarvestFailed(_NOT_STREAM.format(url=url))
    page_url = _id(stream.get("last"))
    if not page_url:
        raise HarvestFailed(_NO_LAST.format(url=url))
    newest: dict[str, tuple[datetime, str, str]] = {}
    visited: set[str] = set()
    while page_url:
        if page_url in visited:
            raise HarvestFailed(_STREAM_CYCLE.format(url=clip(page_url)))
        visited.add(page_url)
        if len(visited) > int(setting("HARVEST_MAX_PAGES")):
            raise HarvestFailed(_TOO_MANY_PAGES.format(url=url))
        page = fetch_json(client, page_url)
        reached_cursor = False
        for activity in reversed(page.get("orderedItems") or []):
            if not isinstance(activity, dict):
                continue
            when = parse_time(str(activity.get("endTime") or activity.get("startTime") or ""))
            target = activity.get("object")
            if when is None or not isinstance(target, dict):
                continue
            if since is not None and when < since:
                reached_cursor = True
                continue
            if _type(target) not in ("Manifest", ""):
                continue
            manifest = _id(target)
            if manifest and manifest not in newest:
                newest[manifest] = (when, _type(activity), manifest)
        if reached_cursor:
            break
        page_url = _id(page.get("prev"))
    return sorted(newest.values(), key=lambda entry: entry[0])


def discovery_pages(source: HarvestSource, run: HarvestRun) -> Iterator[Page]:
    cursors = [parse_time(c) for c in (run.from_cursor, run.resume_from) if c]
    since = max((c for c in cursors if c is not None), default=None)
    with guarded_client(source.base_url, accept=ACCEPT) as client:
        activities = newest_activities(client, source.base_url, since)
        for start in range(0, len(activities), BATCH):
            batch = activities[start : start + BATCH]
            items = []
            for when, kind, url in batch:
                stamp = time_text(when)
                if kind in DELETING:
                    items.append(Item(url, stamp, deleted=True))
                else:
                    items.append(Item(url, stamp, mapped=_manifest_mapper(client, url)))
            last = time_text(batch[-1][0])
            yield Page(items=items, resume_after=last, highest=last, where=source.base_url)


def check_iiif(source: HarvestSource) -> Message:
    with guarded_client(source.base_url, accept=ACCEPT) as client:
        document = fetch_json(client, source.base_url)
        kind = _type(document)
        if source.kind.value == "iiif_discovery":
            if kind != "OrderedCollection" or not _id(document.get("last")):
                raise HarvestFailed(_NOT_A_STREAM.format(url=source.base_url, type=clip(kind)))
            return _OK_STREAM.format(count=clip(document.get("totalItems", "?")))
        if kind != "Collection":
            raise HarvestFailed(_NOT_COLLECTION.format(url=source.base_url, type=clip(kind)))
        return _OK_COLLECTION.format(count=len(document.get("items") or []))


_HTML = Message("{url}: an HTML page came back instead of IIIF JSON ({answer})")
_NOT_JSON = Message("{url}: not JSON came back instead of IIIF JSON ({answer})")
_NOT_IIIF = Message("{url}: the answer is JSON but not a IIIF document")
_NOT_COLLECTION = Message("{url}: not a IIIF Collection (type '{type}')")
_TOO_MANY_MANIFESTS = Message(
    "the collection lists more than {limit} manifests (HARVEST_MAX_MANIFESTS); the rest were left "
    "out"
)
_CYCLE = Message("{url} is listed again (a cycle); not walked twice")
_TOO_DEEP = Message("{url}: more nested collections than HARVEST_MAX_PAGES")
_NOT_STREAM = Message("{url}: not a Change Discovery OrderedCollection")
_NO_LAST = Message("{url}: the stream names no last page")
_STREAM_CYCLE = Message("{url}: the stream leads back to a page already read (a cycle); stopped")
_TOO_MANY_PAGES = Message("{url}: more pages than HARVEST_MAX_PAGES")
_NOT_A_STREAM = Message(
    "{url}: not a Change Discovery stream (type '{type}', a last page is needed)"
)
_OK_STREAM = Message("OK: a Change Discovery stream of {count} activities.")
_OK_COLLECTION = Message("OK: a IIIF Collection listing {count} items.")
