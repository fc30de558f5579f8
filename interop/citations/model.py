"""What a citation of a record says, gathered once from the record and its profile's Dublin
Core crosswalk; the styles (``styles``) and the record page's meta tags only arrange it.

Authors are the crosswalk's ``creator`` values (a generic record's creators, the inheritors of
an intangible-heritage item, a photographer); a record without any is credited to its library
as a corporate author, as catalogues do. The date is the record's own date when it is a full
one (``2011-06-18``), else its first year, else the year it was published in Huiku.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import url_for

from repository.models import Record

_FULL_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_URI = re.compile(r"https?://\S+$")


@dataclass(frozen=True)
class Citation:
    public_id: str
    title: str
    authors: tuple[str, ...]
    corporate_author: bool  # the library stands in for missing creators
    year: int | None
    full_date: tuple[str, str, str] | None  # (year, month, day) when the record has one
    date_as_written: str
    library_zh: str
    library_en: str
    collection_zh: str
    collection_en: str
    url: str
    description: str
    keywords: tuple[str, ...]
    rights: str
    identifier: str  # the library's own id
    accessed: date

    @property
    def licence(self) -> str | None:
        """The rights value when it is a licence address."""
        return self.rights if _URI.match(self.rights) else None

    @property
    def scholar_date(self) -> str:
        """``citation_publication_date`` as Google Scholar reads it: 2011/06/18 or 2011."""
        if self.full_date:
            return "/".join(self.full_date)
        return str(self.year) if self.year is not None else ""


def citation_of(record: Record, accessed: date | None = None) -> Citation:
    profile = record.collection.profile
    elements = profile.dublin_core(record.metadata_)
    creators = tuple(elements.get("creator", ()))
    library = record.library
    metadata = record.metadata_
    written = str(metadata.get("date", "") or "")
    match = _FULL_DATE.fullmatch(written)
    year = record.year_start
    if year is None and record.published_at is not None:
        year = record.published_at.year
    description = metadata.get("description", "")
    return Citation(
        public_id=record.public_id,
        title=record.title,
        authors=creators or (library.name_zh,),
        corporate_author=not creators,
        year=year,
        full_date=match.groups() if match else None,
        date_as_written=written,
        library_zh=library.name_zh,
        library_en=library.name_en or library.name_zh,
        collection_zh=record.collection.title_zh,
        collection_en=record.collection.title_en or record.collection.title_zh,
        url=url_for("public.record", public_id=record.public_id, _external=True),
        description=description if isinstance(description, str) else "",
        keywords=tuple(elements.get("subject", ())),
        rights=str(metadata.get("rights", "") or ""),
        identifier=record.local_id,
        accessed=accessed or date.today(),
    )
