"""What a signed-in user works on: their library's records and the records awaiting their review,
page by page, searched and filtered on the database (drafts never enter the public index).

Pages are read off ``(updated_at, id)`` with a keyset cursor, so the last page of 100,000
records costs what the first does; "last" reads the same index backwards. The total comes from
the kept counts (``record_count``) whenever the filter is one they can answer, and a search
word narrows the rows by the characters it holds first (a GIN index on PostgreSQL), so neither
counts nor searches read every record of the library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import defer

from repository import permissions
from repository.extensions import db
from repository.models import (
    Collection,
    ImportReportEntry,
    IngestJob,
    Record,
    RecordStatus,
    User,
)
from repository.models.records import RecordCount
from repository.models.workflow import PendingEdit, PendingEditState

PAGE_SIZE = 50
SCOPES = ("library", "review")
MAX_QUERY = 200


class FilterSchema(Schema):
    """The workspace's query string; a value it cannot read is named in a 400, never a 500."""

    class Meta:
        unknown = EXCLUDE

    scope = fields.String(load_default="library", validate=validate.OneOf(SCOPES))
    q = fields.String(load_default="", validate=validate.Length(max=MAX_QUERY))
    collection = fields.String(load_default="", validate=validate.Length(max=64))
    status = fields.String(
        load_default="", validate=validate.OneOf(["", *(s.value for s in RecordStatus)])
    )
    job = fields.String(load_default="", validate=validate.Length(max=16))
    contributor = fields.Integer(load_default=None, allow_none=True, strict=False)
    since = fields.Date(load_default=None, allow_none=True)
    until = fields.Date(load_default=None, allow_none=True)
    pending = fields.Boolean(load_default=False)
    after = fields.String(load_default="", validate=validate.Length(max=40))
    before = fields.String(load_default="", validate=validate.Length(max=40))
    last = fields.Boolean(load_default=False)


@dataclass(frozen=True)
class Filter:
    scope: str = "library"
    q: str = ""
    collection: str = ""
    status: str = ""
    job: str = ""
    contributor: int | None = None
    since: date | None = None
    until: date | None = None
    pending: bool = False

    def as_args(self) -> dict[str, Any]:
        """The filter as query-string arguments (for links and for a bulk job's selection)."""
        args = {
            "scope": self.scope,
            "q": self.q,
            "collection": self.collection,
            "status": self.status,
            "job": self.job,
            "contributor": self.contributor,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "pending": "1" if self.pending else None,
        }
        return {key: value for key, value in args.items() if value not in (None, "")}


def parse_filter(args: Any) -> tuple[Filter, dict[str, Any], dict[str, list[str]]]:
    """The filter and paging arguments; bad values are dropped and reported by name."""
    schema = FilterSchema()
    raw = {key: args.get(key) for key in schema.fields if args.get(key) not in (None, "")}
    errors: dict[str, list[str]] = {}
    try:
        loaded = schema.load(raw)
    except ValidationError as error:
        errors = {key: list(map(str, value)) for key, value in error.messages.items()}
        loaded = schema.load({k: v for k, v in raw.items() if k not in errors})
    paging = {key: loaded.pop(key) for key in ("after", "before", "last")}
    return Filter(**loaded), paging, errors


@dataclass
class Page:
    records: list[Record]
    total: int
    next_cursor: str | None = None
    previous_cursor: str | None = None
    filter: Filter = field(default_factory=Filter)


def encode_cursor(record: Record) -> str:
    stamp = record.updated_at.astimezone(UTC)
    return f"{int(stamp.timestamp() * 1_000_000)}.{record.id}"


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    micros, _, record_id = cursor.partition(".")
    if not (micros.isdigit() and record_id.isdigit()):
        return None
    try:
        stamp = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return stamp, int(record_id)


def selection(user: User, chosen: Filter) -> Select:
    """``select(Record.id)`` of what the filter matches within the user's scope."""
    return select(Record.id).where(*conditions(user, chosen))


def conditions(user: User, chosen: Filter) -> list[ColumnElement[bool]]:
    """The filter as conditions on ``Record``, within the user's scope."""
    where: list[ColumnElement[bool]] = []
    if chosen.scope == "review":
        if not user.is_admin:
            reviewed = [collection.id for collection in user.reviewed_collections]
            where.append(Record.collection_id.in_(reviewed) if reviewed else false())
    else:
        where.append(_libraries_records(user))
    if chosen.status:
        where.append(Record.status == RecordStatus(chosen.status))
    if chosen.collection:
        where.append(
            Record.collection_id
            == select(Collection.id).where(Collection.slug == chosen.collection).scalar_subquery()
        )
    if chosen.contributor is not None:
        where.append(Record.created_by_id == chosen.contributor)
    if chosen.since is not None:
        where.append(Record.updated_at >= _day_start(chosen.since))
    if chosen.until is not None:
        where.append(Record.updated_at < _day_start(chosen.until + timedelta(days=1)))
    if chosen.job:
        where.append(Record.public_id.in_(_written_by_job(user, chosen.job)))
    if chosen.pending:
        where.append(
            exists().where(
                PendingEdit.record_id == Record.id, PendingEdit.state == PendingEditState.PENDING
            )
        )
    indexed = bool(chosen.q) and db.session.get_bind().dialect.name == "postgresql"
    for word in chosen.q.split()[:5]:
        where.append(_matches(word, indexed))
    return where


def _libraries_records(user: User) -> ColumnElement[bool]:
    """The user's library's records, and its partners' in the collections where paired support
    (结对扶持) is in force for it."""
    own = Record.library_id == user.library_id
    pairs = permissions.supported_pairs(user)
    if pairs is None:
        return own
    return or_(own, tuple_(Record.library_id, Record.collection_id).in_(pairs))


def _matches(word: str, indexed: bool = False) -> ColumnElement[bool]:
    """Title containing the word, or local identifier starting with it. Case is folded only
    for words with Latin letters: folding Chinese text costs a third more and changes nothing.

    ``indexed`` (PostgreSQL): a case-kept word first needs every one of its characters among
    those of title and identifier, which the ``ix_record_search_chars`` GIN index answers for
    one or two Chinese characters too (trigrams need three); LIKE then checks the order."""
    like = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if word.isascii() and any(c.isalpha() for c in word):
        return or_(
            Record.title.ilike(f"%{like}%", escape="\\"),
            Record.local_id.ilike(f"{like}%", escape="\\"),
        )
    found = or_(
        Record.title.like(f"%{like}%", escape="\\"),
        Record.local_id.like(f"{like}%", escape="\\"),
    )
    if not indexed:
        return found
    characters = bindparam(None, sorted(set(word)), type_=postgresql.ARRAY(Text))
    return and_(search_characters().op("@>")(characters), found)


def search_characters() -> ColumnElement[Any]:
    """The characters of a record's title and local identifier: the expression the
    ``ix_record_search_chars`` index holds, written the same way so the planner matches it."""
    joined = Record.title.op("||")(literal_column("' '")).op("||")(Record.local_id)
    return func.string_to_array(joined, null(), type_=postgresql.ARRAY(Text))


def _written_by_job(user: User, job_public_id: str) -> Select:
    """Public ids of the records an import job created or updated (the library's own jobs)."""
    job = select(IngestJob.id).where(IngestJob.public_id == job_public_id)
    if not user.is_admin:
        job = job.where(IngestJob.library_id == user.library_id)
    return select(ImportReportEntry.entry["record_id"].as_string()).where(
        ImportReportEntry.job_id == job.scalar_subquery(),
        ImportReportEntry.outcome.in_(("created", "updated")),
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def records_page(
    user: User,
    chosen: Filter,
    *,
    after: str = "",
    before: str = "",
    last: bool = False,
    size: int = PAGE_SIZE,
) -> Page:
    """One page, newest change first; ``after``/``before`` are cursors from a previous page."""
    where = conditions(user, chosen)
    total = count(user, chosen, where)
    # No eager loading: the page's collections were read with the filter's choices and its
    # libraries are a handful, so each record finds them in the session without a query.
    # The metadata (the largest column) is not shown in the list, so it is not read.
    query = select(Record).options(defer(Record.metadata_)).where(*where)
    key = tuple_(Record.updated_at, Record.id)
    newest_first = True
    if after and (cursor := decode_cursor(after)):
        query = query.where(key < tuple_(*cursor))
    elif before and (cursor := decode_cursor(before)):
        query = query.where(key > tuple_(*cursor))
        newest_first = False
    elif last:
        newest_first = False
    order = (
        (Record.updated_at.desc(), Record.id.desc())
        if newest_first
        else (Record.updated_at.asc(), Record.id.asc())
    )
    rows = list(db.session.scalars(query.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if not newest_first:
        rows.reverse()
    page = Page(rows, total, filter=chosen)
    if rows:
        if newest_first:
            has_next, has_previous = more, bool(after)
        else:  # read backwards: more rows means newer ones remain
            has_next, has_previous = not last, more
        page.next_cursor = encode_cursor(rows[-1]) if has_next else None
        page.previous_cursor = encode_cursor(rows[0]) if has_previous else None
    return page


def count(user: User, chosen: Filter, where: list[ColumnElement[bool]]) -> int:
    """How many records the filter matches: summed from the kept counts when it only names
    scope, status, collection and contributor (what ``record_count`` is keyed by), else
    counted over ``where``."""
    if chosen.q or chosen.job or chosen.pending or chosen.since or chosen.until:
        return db.session.scalar(select(func.count(Record.id)).where(*where)) or 0
    kept: list[ColumnElement[bool]] = []
    if chosen.scope == "review":
        if not user.is_admin:
            reviewed = [collection.id for collection in user.reviewed_collections]
            kept.append(RecordCount.collection_id.in_(reviewed) if reviewed else false())
    else:
        own = RecordCount.library_id == user.library_id
        pairs = permissions.supported_pairs(user)
        pair = tuple_(RecordCount.library_id, RecordCount.collection_id)
        kept.append(own if pairs is None else or_(own, pair.in_(pairs)))
    if chosen.status:
        kept.append(RecordCount.status == chosen.status)
    if chosen.collection:
        kept.append(
            RecordCount.collection_id
            == select(Collection.id).where(Collection.slug == chosen.collection).scalar_subquery()
        )
    if chosen.contributor is not None:
        kept.append(RecordCount.contributor_id == chosen.contributor)
    return int(db.session.scalar(select(func.sum(RecordCount.records)).where(*kept)) or 0)


def review_queue_count(user: User) -> int:
    """How many submitted records wait in the collections this user reviews (kept counts)."""
    chosen = Filter(scope="review", status=RecordStatus.SUBMITTED.value)
    return count(user, chosen, [])


def contributable_collections(
    user: User, every: list[Collection] | None = None
) -> list[Collection]:
    """Collections the user may add records to (from ``every``, when already loaded)."""
    if every is None:
        every = list(db.session.scalars(select(Collection).order_by(Collection.id)))
    return [collection for collection in every if user.is_admin or collection.published]


def filter_choices(user: User) -> dict[str, list[Any]]:
    """What the filter's drop-downs offer: collections, the library's people, its import jobs.

    Loaded before the page, so the page's records find their collections already in the session.
    """
    people = db.session.scalars(
        select(User).where(User.library_id == user.library_id).order_by(User.name, User.id)
    ).all()
    jobs = db.session.scalars(
        select(IngestJob)
        .where(IngestJob.library_id == user.library_id, IngestJob.dry_run.is_(False))
        .order_by(IngestJob.created_at.desc())
        .limit(30)
    ).all()
    collections = db.session.scalars(select(Collection).order_by(Collection.id)).all()
    return {"collections": list(collections), "people": list(people), "jobs": list(jobs)}
