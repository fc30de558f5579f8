"""The statistics pages' reports: records and images by collection, library, contributor,
status and month, read from the counts kept by ``repository.services.record_counts`` (so no
report counts the records table), and harvested records by source."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from repository.extensions import db
from repository.messages import Message, pmessage
from repository.models import (
    Collection,
    HarvestedRecord,
    HarvestSource,
    Library,
    User,
)
from repository.models.records import RecordCount


@dataclass(frozen=True)
class Scope:
    """Which counts a statistics page shows.

    The public sees published (and the number of withdrawn) records of published collections.
    Members of a library (``private``) see every status of their library's records, drafts
    included, and who contributed them. ``start``/``end`` (``YYYY-MM``) limit the months the
    records were created in."""

    library_id: int | None = None
    private: bool = False
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Row:
    key: str
    label: Message
    records: int
    images: int
    cumulative: int | None = None  # months: records up to and including this month


@dataclass(frozen=True)
class SourceRow:
    """Records harvested from one source, counted apart from contributed records."""

    key: str  # the source's slug
    name: str
    library: str  # the owning library's code
    library_label: Message
    records: int


@dataclass(frozen=True)
class Report:
    scope: Scope
    records: int
    images: int
    tables: dict[str, list[Row]] = field(default_factory=dict)
    harvested: list[SourceRow] = field(default_factory=list)


TABLES = {
    "library": Message("By library"),
    "collection": Message("By collection"),
    "status": Message("By status"),
    "month": Message("By month created"),
    "contributor": Message("Top contributors"),
}
STATUS_LABELS = {
    "draft": Message("draft"),
    "submitted": pmessage("record status", "submitted"),
    "published": pmessage("record status", "published"),
    "withdrawn": pmessage("record status", "withdrawn"),
}
TOP_CONTRIBUTORS = 10


def report(scope: Scope) -> Report:
    """Every table of a statistics page, each one grouped sum over the kept counts."""
    shown = _where(scope, statuses=True)
    counted = (*_where(scope, statuses=False), RecordCount.status == "published")
    if scope.private:
        counted = _where(scope, statuses=False)
    total = _sums(None, counted)
    records, images = total[0][1:] if total else (0, 0)
    tables = {
        "library": _named(_sums(RecordCount.library_id, counted), Library, Library.name),
        "collection": _named(
            _sums(RecordCount.collection_id, counted), Collection, Collection.title
        ),
        "status": [
            Row(key, STATUS_LABELS[key], n, i) for key, n, i in _sums(RecordCount.status, shown)
        ],
        "month": _months(scope, counted),
    }
    if scope.private:
        people = _sums(RecordCount.contributor_id, counted)
        tables["contributor"] = _people(sorted(people, key=lambda r: -r[1])[:TOP_CONTRIBUTORS])
    else:
        tables["contributor"] = sorted(tables["library"], key=lambda r: -r.records)[
            :TOP_CONTRIBUTORS
        ]
    return Report(scope, records, images, tables, harvested_by_source(scope))


def harvested_by_source(scope: Scope) -> list[SourceRow]:
    """Each source's harvested records not deleted there, whatever the month range (they were
    not made here). The public sees enabled sources; a library's members see all of theirs."""
    query = (
        select(HarvestSource, func.count(HarvestedRecord.id))
        .outerjoin(
            HarvestedRecord,
            and_(HarvestedRecord.source_id == HarvestSource.id, HarvestedRecord.deleted.is_(False)),
        )
        .group_by(HarvestSource.id)
        .order_by(HarvestSource.name, HarvestSource.id)
    )
    if not scope.private:
        query = query.where(HarvestSource.enabled)
    if scope.library_id is not None:
        query = query.where(HarvestSource.library_id == scope.library_id)
    return [
        SourceRow(
            source.slug,
            source.name,
            source.library.code,
            _both(Library.name, source.library),
            int(n),
        )
        for source, n in db.session.execute(query)
    ]


def _where(scope: Scope, *, statuses: bool) -> tuple[ColumnElement[bool], ...]:
    where: list[ColumnElement[bool]] = []
    if not scope.private:
        where.append(Collection.published)
        if statuses:
            where.append(RecordCount.status.in_(["published", "withdrawn"]))
    if scope.library_id is not None:
        where.append(RecordCount.library_id == scope.library_id)
    if scope.start:
        where.append(RecordCount.month >= scope.start)
    if scope.end:
        where.append(RecordCount.month <= scope.end)
    return tuple(where)


def _sums(column, where) -> list[tuple]:
    """(group, records, images) for the rows ``where`` selects, without empty groups."""
    columns = [column] if column is not None else []
    query = (
        select(*columns, func.sum(RecordCount.records), func.sum(RecordCount.images))
        .join(Collection, Collection.id == RecordCount.collection_id)
        .where(*where)
    )
    if column is not None:
        query = query.group_by(column).order_by(column)
    rows = [(*row[:-2], int(row[-2] or 0), int(row[-1] or 0)) for row in db.session.execute(query)]
    if column is None:
        return [(None, *rows[0])] if rows else []
    return [row for row in rows if row[1] or row[2]]


def _named(rows: list[tuple], model, name) -> list[Row]:
    found = {
        o.id: o for o in db.session.scalars(select(model).where(model.id.in_([r[0] for r in rows])))
    }
    return [
        Row(
            str(found[key].code if model is Library else found[key].slug),
            _both(name, found[key]),
            n,
            i,
        )
        for key, n, i in rows
        if key in found
    ]


def _both(name, item) -> Message:
    return Message.pair(name(item, "en"), name(item, "zh"))


def _people(rows: list[tuple]) -> list[Row]:
    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows])))
    }
    unknown = Message("not recorded")
    return [
        Row(
            str(key),
            Message.verbatim(users[key].name or users[key].email) if key in users else unknown,
            n,
            i,
        )
        for key, n, i in rows
    ]


def _months(scope: Scope, where) -> list[Row]:
    """Every month from the first to the last with records, and the running total (growth),
    which starts from the records created before ``start``."""
    rows = {key: (n, i) for key, n, i in _sums(RecordCount.month, where)}
    if not rows:
        return []
    before = 0
    if scope.start:
        earlier = [w for w in where if not _is_month_bound(w)]
        found = _sums(None, (*earlier, RecordCount.month < scope.start))
        before = found[0][1] if found else 0
    out, running = [], before
    for month in _month_range(min(rows), max(rows)):
        n, i = rows.get(month, (0, 0))
        running += n
        out.append(Row(month, Message.verbatim(month), n, i, running))
    return out


def _is_month_bound(clause) -> bool:
    return getattr(getattr(clause, "left", None), "key", None) == "month"


def _month_range(first: str, last: str) -> Iterable[str]:
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
