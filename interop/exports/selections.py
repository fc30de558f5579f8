"""What an export holds: a collection, a library's contribution, or the matches of a record
source another package registered (the search page's results, with their filters).

Whatever the selection, only published records of published collections are read, straight
from the database in batches of plain columns (no ORM objects pile up in the session), so
memory stays flat however many records there are. See ``repository.record_sources`` for why
searches come in through a registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

from sqlalchemy import Select, func, select

from interop.exports.formats import ExportedRecord
from interop.web import url_template
from repository.errors import HuikuError, NotFound
from repository.extensions import db
from repository.messages import Message
from repository.models import Collection, Library, Record, RecordStatus
from repository.profiles import Profile
from repository.record_sources import record_source
from repository.services.collections import get_collection

BATCH = 500
COLLECTION = "collection"
LIBRARY = "library"
Arguments = Mapping[str, list[str]]


class UnknownSelection(HuikuError):
    status = 404


@dataclass(frozen=True)
class _Public:
    """The published collections: slug and profile by id, and library codes by id."""

    collections: dict[int, tuple[str, Profile]]
    libraries: dict[int, str]

    @classmethod
    def load(cls) -> _Public:
        collections = {
            c.id: (c.slug, c.profile)
            for c in db.session.scalars(select(Collection).where(Collection.published))
        }
        libraries = {
            row.id: row.code for row in db.session.execute(select(Library.id, Library.code))
        }
        return cls(collections, libraries)


@dataclass
class Selected:
    """A resolved selection: how many records, the columns, and the records themselves."""

    name: str  # for the file name: a collection slug, a library code, "search"
    total: int
    columns: tuple[str, ...]
    _public: _Public
    _query: Select | None = None  # keyset-paged by record id
    _public_ids: Iterable[str] | None = None  # in the source's order

    def records(self) -> Iterator[ExportedRecord]:
        url = url_template("public.record", "public_id")
        batches = self._by_query() if self._query is not None else self._by_ids()
        for rows in batches:
            for row in rows:
                slug, profile = self._public.collections[row.collection_id]
                yield ExportedRecord(
                    public_id=row.public_id,
                    local_id=row.local_id,
                    metadata=row.metadata,
                    profile=profile,
                    collection=slug,
                    library=self._public.libraries.get(row.library_id, ""),
                    modified=row.updated_at,
                    url=url.format(row.public_id),
                )

    def _by_query(self) -> Iterator[list]:
        last = 0
        while True:
            rows = db.session.execute(
                self._query.where(Record.id > last).order_by(Record.id).limit(BATCH)
            ).all()
            if not rows:
                return
            yield rows
            last = rows[-1].id

    def _by_ids(self) -> Iterator[list]:
        ids = iter(self._public_ids or ())
        while chunk := list(islice(ids, BATCH)):
            rows = db.session.execute(_published().where(Record.public_id.in_(chunk))).all()
            found = {row.public_id: row for row in rows}
            yield [found[public_id] for public_id in chunk if public_id in found]


def _published() -> Select:
    return (
        select(
            Record.id,
            Record.public_id,
            Record.local_id,
            Record.metadata_.label("metadata"),
            Record.updated_at,
            Record.collection_id,
            Record.library_id,
        )
        .join(Collection, Collection.id == Record.collection_id)
        .where(Record.status == RecordStatus.PUBLISHED, Collection.published)
    )


def _count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _columns(profiles: Iterable[Profile]) -> tuple[str, ...]:
    """The columns of these profiles, each once, in the order the profiles declare them."""
    seen: dict[str, None] = {}
    for profile in profiles:
        for key in profile.columns:
            seen.setdefault(key, None)
    return tuple(seen)


def _single(arguments: Arguments, name: str) -> str:
    values = arguments.get(name) or [""]
    return values[0]


def resolve(source: str, arguments: Arguments) -> Selected:
    """The records a selection names; NotFound for a hidden collection or unknown source."""
    public = _Public.load()
    if source == COLLECTION:
        collection = get_collection(_single(arguments, "slug"), public=True)
        query = _published().where(Record.collection_id == collection.id)
        return Selected(collection.slug, _count(query), collection.profile.columns, public, query)
    if source == LIBRARY:
        code = _single(arguments, "code")
        library = db.session.scalar(select(Library).where(Library.code == code))
        if library is None:
            raise NotFound(Message("no library {code}").format(code=code))
        query = _published().where(Record.library_id == library.id)
        used = db.session.scalars(query.with_only_columns(Record.collection_id).distinct()).all()
        profiles = [public.collections[c][1] for c in sorted(used)]
        return Selected(library.code, _count(query), _columns(profiles), public, query)
    found_by = record_source(source)
    if found_by is None:
        raise UnknownSelection(Message("nothing to export called {name}").format(name=source))
    found = found_by(arguments)
    wanted = set(found.collections) if found.collections is not None else None
    profiles = [
        profile for slug, profile in public.collections.values() if wanted is None or slug in wanted
    ]
    return Selected(source, found.total, _columns(profiles), public, _public_ids=found.public_ids)
