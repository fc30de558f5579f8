"""What administrators do to harvested sources, each change audited in its transaction.

A source belongs to a member library: its administrators manage it, alliance administrators
manage every source. A source outside the actor's reach answers "not found", as accounts do.
Disabling, enabling and deleting a source queue its records for the search index in one
INSERT … SELECT each, so a source of a hundred thousand records loads none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert, literal, select

from harvest import runs
from repository import permissions
from repository.errors import Conflict, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import IndexTask, Library, Record, User
from repository.models.base import UTCDateTime, utcnow
from repository.models.harvest import HarvestedRecord, HarvestRun, HarvestSource, SourceKind
from repository.services import audit
from repository.services.accounts import InvalidField, clean_text
from repository.transactions import INDEX_TASKS_QUEUED, unit_of_work

RUNS_PER_PAGE = 20
MAX_INTERVAL_HOURS = 8760  # a year
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")

SLUG = Message("the identifier")
NAME = Message("the name")
BASE_URL = Message("the address")
SET_SPEC = Message("the set")
PREFIX = Message("the metadata prefix")


def _not_found(slug: str) -> NotFound:
    return NotFound(Message("no harvested source {slug}").format(slug=slug))


# Reading ----------------------------------------------------------------------------------------


def sources_for(actor: User) -> list[HarvestSource]:
    """The sources the actor manages: every one for the alliance, else their library's."""
    query = select(HarvestSource).order_by(HarvestSource.name, HarvestSource.slug)
    if not permissions.can_administer_alliance(actor):
        if not (actor.is_active and actor.is_admin):
            return []
        query = query.where(HarvestSource.library_id == actor.library_id)
    return list(db.session.scalars(query))


def source_for(actor: User, slug: str) -> HarvestSource:
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.slug == slug))
    if source is None or not permissions.can_administer(actor, source.library):
        raise _not_found(slug)
    return source


def run_for(actor: User, source: HarvestSource, public_id: str) -> HarvestRun:
    run = db.session.scalar(
        select(HarvestRun).where(
            HarvestRun.public_id == public_id, HarvestRun.source_id == source.id
        )
    )
    if run is None or not permissions.can_administer(actor, source.library):
        raise NotFound(Message("no run {id}").format(id=public_id))
    return run


def libraries_for(actor: User) -> list[Library]:
    """The libraries a source of the actor's may belong to."""
    if permissions.can_administer_alliance(actor):
        return list(
            db.session.scalars(select(Library).where(Library.active).order_by(Library.code))
        )
    return [actor.library] if actor.library is not None else []


def last_runs(sources: list[HarvestSource]) -> dict[int, HarvestRun]:
    """Each source's newest run, in one query, for the list of sources."""
    if not sources:
        return {}
    newest = (
        select(HarvestRun.source_id, func.max(HarvestRun.id).label("id"))
        .where(HarvestRun.source_id.in_([s.id for s in sources]))
        .group_by(HarvestRun.source_id)
        .subquery()
    )
    rows = db.session.scalars(select(HarvestRun).join(newest, HarvestRun.id == newest.c.id))
    return {run.source_id: run for run in rows}


def record_count(source: HarvestSource) -> int:
    """Records harvested from the source and not deleted there."""
    return (
        db.session.scalar(
            select(func.count(HarvestedRecord.id)).where(
                HarvestedRecord.source_id == source.id, HarvestedRecord.deleted.is_(False)
            )
        )
        or 0
    )


@dataclass(frozen=True)
class RunPage:
    runs: list[HarvestRun]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def runs_of(source: HarvestSource, page: int = 1) -> RunPage:
    """A page of the source's runs, newest first."""
    total = (
        db.session.scalar(
            select(func.count(HarvestRun.id)).where(HarvestRun.source_id == source.id)
        )
        or 0
    )
    pages = max(1, -(-total // RUNS_PER_PAGE))
    number = min(max(1, page), pages)
    rows = db.session.scalars(
        select(HarvestRun)
        .where(HarvestRun.source_id == source.id)
        .order_by(HarvestRun.created_at.desc(), HarvestRun.id.desc())
        .offset((number - 1) * RUNS_PER_PAGE)
        .limit(RUNS_PER_PAGE)
    )
    return RunPage(list(rows), number, pages, total)


# Validation -------------------------------------------------------------------------------------


def _required(field: str, value: str, label: Message) -> str:
    if not value:
        raise InvalidField(field, Message("{label} is required").format(label=label))
    return value


def clean_slug(value: str | None) -> str:
    slug = _required("slug", clean_text("slug", value, 40, SLUG), SLUG)
    if not _SLUG.match(slug):
        raise InvalidField(
            "slug",
            Message(
                "the identifier {slug!r} must be lower-case letters, digits and hyphens"
            ).format(slug=slug),
        )
    return slug


def clean_kind(value: SourceKind | str | None) -> SourceKind:
    try:
        return SourceKind(value)
    except ValueError:
        raise InvalidField(
            "kind",
            Message("kind {kind!r} is unknown").format(kind=value),
        ) from None


def clean_base_url(value: str | None) -> str:
    """An http(s) address with a host and without credentials, whose host is not private."""
    url = _required("base_url", clean_text("base_url", value, 2000, BASE_URL), BASE_URL)
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InvalidField(
            "base_url",
            Message("the address must not contain spaces"),
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidField(
            "base_url",
            Message("the address must start with https:// or http://"),
        )
    if "@" in parts.netloc:
        raise InvalidField(
            "base_url",
            Message("the address must not contain a user name or password"),
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise InvalidField("base_url", Message("the address has an invalid port")) from None
    if not parts.hostname:
        raise InvalidField("base_url", Message("the address has no host name"))
    refusal = _address_refusal(url)
    if refusal is not None:
        raise InvalidField("base_url", refusal)
    return url


def _address_refusal(url: str) -> Message | None:
    """Why the address's host may not be harvested (private, loopback, …), or None.

    A name that does not resolve now is let through: the check reports it, and a passing
    outage of the name service does not keep an administrator from saving.
    """
    from harvest import addresses

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        addresses.resolve(host, port)
    except addresses.AddressRefused:
        return None
    try:
        addresses.check_host(host, port)
    except addresses.AddressRefused:
        return Message(
            "{host} is a private, loopback or reserved address, which is not harvested"
        ).format(host=host)
    return None


def clean_interval(value: int | str | None) -> int:
    try:
        hours = int(value if value is not None else 24)
    except (TypeError, ValueError):
        hours = -1
    if not 0 <= hours <= MAX_INTERVAL_HOURS:
        raise InvalidField(
            "interval_hours",
            Message("the interval must be a whole number of hours from 0 to {max}").format(
                max=MAX_INTERVAL_HOURS
            ),
        )
    return hours


def _clean(
    actor: User,
    *,
    name: str,
    kind: SourceKind | str,
    base_url: str,
    set_spec: str,
    metadata_prefix: str,
    interval_hours: int | str,
    library: Library | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": _required("name", clean_text("name", name, 200, NAME), NAME),
        "kind": clean_kind(kind),
        "base_url": clean_base_url(base_url),
        "set_spec": clean_text("set_spec", set_spec, 200, SET_SPEC),
        "metadata_prefix": clean_text("metadata_prefix", metadata_prefix, 40, PREFIX) or "oai_dc",
        "interval_hours": clean_interval(interval_hours),
    }
    if not _PREFIX.match(values["metadata_prefix"]):
        raise InvalidField(
            "metadata_prefix",
            Message("the metadata prefix may hold only letters, digits, '_', '-' and '.'"),
        )
    if values["kind"] is not SourceKind.OAI:
        values["set_spec"], values["metadata_prefix"] = "", "oai_dc"
    if library is None:
        raise InvalidField("library", Message("choose the library the source belongs to"))
    if not permissions.can_administer(actor, library):
        raise InvalidField(
            "library",
            Message("you may add sources only for {code}").format(
                code=actor.library.code if actor.library else "—"
            ),
        )
    values["library"] = library
    return values


def source_summary(source: HarvestSource) -> dict[str, Any]:
    return {
        "slug": source.slug,
        "name": source.name,
        "kind": source.kind.value,
        "base_url": source.base_url,
        "set_spec": source.set_spec,
        "metadata_prefix": source.metadata_prefix,
        "interval_hours": source.interval_hours,
        "library": source.library.code,
        "enabled": source.enabled,
    }


# Changes ----------------------------------------------------------------------------------------


def create_source(
    actor: User,
    *,
    slug: str,
    name: str,
    kind: SourceKind | str,
    base_url: str,
    library: Library | None,
    set_spec: str = "",
    metadata_prefix: str = "oai_dc",
    interval_hours: int | str = 24,
) -> HarvestSource:
    """A new source, its address checked by a task once the transaction commits."""
    slug = clean_slug(slug)
    values = _clean(
        actor,
        name=name,
        kind=kind,
        base_url=base_url,
        set_spec=set_spec,
        metadata_prefix=metadata_prefix,
        interval_hours=interval_hours,
        library=library,
    )
    with unit_of_work():
        if db.session.scalar(select(HarvestSource.id).where(HarvestSource.slug == slug)):
            raise InvalidField(
                "slug",
                Message("the identifier {slug} is taken by another source").format(slug=slug),
            )
        source = HarvestSource(slug=slug, created_by_id=actor.id, **values)
        db.session.add(source)
        db.session.flush()
        runs.request_check(source)
        audit.record(
            actor, "source.create", source, library=source.library, after=source_summary(source)
        )
    return source


def update_source(
    actor: User,
    source: HarvestSource,
    *,
    name: str,
    kind: SourceKind | str,
    base_url: str,
    library: Library | None,
    set_spec: str = "",
    metadata_prefix: str = "oai_dc",
    interval_hours: int | str = 24,
) -> HarvestSource:
    """Change a source's settings; a new address, kind, set or prefix is checked again."""
    source = source_for(actor, source.slug)
    values = _clean(
        actor,
        name=name,
        kind=kind,
        base_url=base_url,
        set_spec=set_spec,
        metadata_prefix=metadata_prefix,
        interval_hours=interval_hours,
        library=library,
    )
    recheck = any(
        values[key] != getattr(source, key)
        for key in ("kind", "base_url", "set_spec", "metadata_prefix")
    )
    relabel = values["name"] != source.name or values["library"].id != source.library_id
    reschedule = values["interval_hours"] != source.interval_hours
    with unit_of_work():
        before = source_summary(source)
        for key, value in values.items():
            setattr(source, key, value)
        after = source_summary(source)
        if after != before:
            source.updated_at = utcnow()
            audit.record(
                actor, "source.update", source, library=source.library, before=before, after=after
            )
        if reschedule:
            _reschedule(source)
        if relabel and source.enabled:
            _queue_index(source, "upsert")  # the documents name the source and its library
        if recheck:
            runs.request_check(source)
    return source


def _reschedule(source: HarvestSource) -> None:
    """A new interval counts from now; a source never scheduled yet keeps its first run soon."""
    if source.interval_hours == 0:
        source.next_run_at = None
    elif source.next_run_at is not None:
        source.next_run_at = utcnow() + timedelta(hours=source.interval_hours)


def check_again(actor: User, source: HarvestSource) -> None:
    """Check the source's address again (a task, once committed)."""
    source = source_for(actor, source.slug)
    with unit_of_work():
        runs.request_check(source)


def start_run(actor: User, source: HarvestSource, *, full: bool) -> HarvestRun:
    """Queue a harvest of an enabled source; one already queued or under way is returned."""
    source = source_for(actor, source.slug)
    if not source.enabled:
        raise Conflict(Message("the source is disabled; enable it before harvesting"))
    with unit_of_work():
        run = runs.request_run(source, full=full, user=actor)
    return run


def set_enabled(actor: User, source: HarvestSource, enabled: bool) -> HarvestSource:
    """Disable a source (its records leave the search) or enable it again (they come back)."""
    source = source_for(actor, source.slug)
    if source.enabled == enabled:
        return source
    with unit_of_work():
        source.enabled = enabled
        source.updated_at = utcnow()
        _queue_index(source, "upsert" if enabled else "delete")
        audit.record(
            actor,
            "source.enable" if enabled else "source.disable",
            source,
            library=source.library,
            before={"enabled": not enabled},
            after={"enabled": enabled},
        )
    return source


def delete_source(actor: User, source: HarvestSource) -> None:
    """Delete a source with its runs and records, their documents leaving the search first."""
    source = source_for(actor, source.slug)
    with unit_of_work():
        _queue_index(source, "delete")
        audit.record(
            actor, "source.delete", source, library=source.library, before=source_summary(source)
        )
        db.session.delete(source)


def _queue_index(source: HarvestSource, action: str) -> None:
    """An outbox row per harvested record of the source, and an upsert of each contributed
    record one of them matches (its document carries the harvested origin), in two statements."""
    now = literal(utcnow(), UTCDateTime())
    columns = ["record_id", "record_public_id", "action", "created_at", "attempts", "last_error"]
    of_source = HarvestedRecord.source_id == source.id
    db.session.execute(
        insert(IndexTask).from_select(
            columns,
            select(
                HarvestedRecord.id,
                HarvestedRecord.public_id,
                literal(action),
                now,
                literal(0),
                literal(""),
            ).where(of_source),
        )
    )
    matched = select(HarvestedRecord.matched_record_id).where(
        of_source, HarvestedRecord.matched_record_id.is_not(None)
    )
    db.session.execute(
        insert(IndexTask).from_select(
            columns,
            select(
                Record.id, Record.public_id, literal("upsert"), now, literal(0), literal("")
            ).where(Record.id.in_(matched)),
        )
    )
    db.session.info[INDEX_TASKS_QUEUED] = True
