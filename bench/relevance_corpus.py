"""The relevance benchmark's corpus and judged queries (bench/relevance.py runs them).

Corpus: the demo's 73 records (demo/data/records) and synthetic natural-history records from
bench/search.py's generator (same seed, same records), turned into index documents the way
Huiku indexes them (search.documents), without a database.

Judged queries: for each class, queries written from the records' own metadata by a fixed rule,
with graded judgments (2: the record the query names; 1: a record a reader would also accept).
The rules are stated beside each class below; seeded choices make the set the same every run.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import opencc

from demo.dataset import rows as demo_rows
from repository.chinese import pinyin_sort_key
from repository.profiles import get_profile, split_repeatable
from search.documents import Document, IndexSource, document_from, field_values
from search.synonyms import read_directory
from search.text import fold, is_han

CLASSES = (
    "exact",
    "traditional",
    "short",
    "pinyin",
    "synonyms",
    "near_misses",
    "latin_names",
    "people",
    "places",
)
PER_CLASS = 20
SEED = 17
# Characters put in place of one of a title's: common, and in no title of the corpus.
SLIPS = "传侍凉阅鲜绕躲挪"


@dataclass(frozen=True)
class Entry:
    """A record as the judgments see it."""

    id: str
    profile: str
    title: str
    metadata: dict[str, Any]
    demo: bool


@dataclass(frozen=True)
class Judged:
    kind: str
    query: str
    gains: dict[str, int] = field(default_factory=dict)  # record id → 2 or 1


def _metadata_of(profile_name: str, cells: dict[str, str]) -> dict[str, Any]:
    profile = get_profile(profile_name)
    metadata: dict[str, Any] = {}
    for each in profile.metadata_fields:
        value = (cells.get(each.key) or "").strip()
        if value:
            metadata[each.key] = split_repeatable(value) if each.repeatable else value
    return metadata


def _source(public_id: str, collection: str, profile_name: str, metadata: dict[str, Any]):
    profile = get_profile(profile_name)
    try:
        years = profile.year_range_of(metadata)
    except ValueError:
        years = None
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    title = profile.title_of(metadata)
    return IndexSource(
        public_id=public_id,
        local_id=str(metadata.get("local_id", public_id)),
        collection=collection,
        profile=profile_name,
        libraries=["BENCH"],
        metadata=metadata,
        title=title,
        title_sort=pinyin_sort_key(title),
        year_start=years.start if years else None,
        year_end=years.end if years else None,
        published_at=moment,
        updated_at=moment,
        thumbnail=None,
    )


def corpus(generated: int, make_metadata: Callable[[str], dict[str, Any]]) -> list[Entry]:
    """The demo records, then ``generated`` synthetic ones (natural history)."""
    profiles = {"changbaishan": "natural_history", "jilin-ich": "ich"}
    entries = []
    for number, row in enumerate(demo_rows()):
        profile = profiles.get(row.collection, "generic")
        metadata = _metadata_of(profile, row.cells)
        entries.append(Entry(f"demo{number:03d}", profile, metadata["title"], metadata, True))
    for number in range(generated):
        metadata = make_metadata(f"GEN-{number:06d}")
        entries.append(
            Entry(f"gen{number:06d}", "natural_history", metadata["title"], metadata, False)
        )
    return entries


def documents(entries: list[Entry]) -> Iterator[Document]:
    for entry in entries:
        collection = "demo-" + entry.profile if entry.demo else "generated"
        yield document_from(_source(entry.id, collection, entry.profile, entry.metadata))


def _values(entry: Entry, *keys: str) -> list[str]:
    return [value for key in keys for value in field_values(entry.metadata.get(key))]


def judged_queries(entries: list[Entry]) -> list[Judged]:
    """PER_CLASS queries of every class, demo records first, then generated ones."""
    rng = random.Random(SEED)
    by_title: dict[str, list[Entry]] = {}
    for entry in entries:
        by_title.setdefault(fold(entry.title), []).append(entry)
    ordered = [e for e in entries if e.demo] + rng.sample(
        [e for e in entries if not e.demo], k=min(400, sum(not e.demo for e in entries))
    )
    titles = list(dict.fromkeys(e.title for e in ordered))
    to_traditional = opencc.OpenCC("s2t")

    def named(title: str, also_containing: bool = True) -> dict[str, int]:
        folded = fold(title)
        gains = {e.id: 2 for e in by_title.get(folded, ())}
        if also_containing:
            for other, group in by_title.items():
                if folded in other and other != folded:
                    gains.update({e.id: 1 for e in group})
        return gains

    def having(keys: tuple[str, ...], value: str) -> dict[str, int]:
        return {e.id: 2 for e in entries if value in _values(e, *keys)}

    made: dict[str, list[Judged]] = {kind: [] for kind in CLASSES}

    def add(kind: str, query: str, gains: dict[str, int]) -> None:
        if gains and len(made[kind]) < PER_CLASS and query not in {j.query for j in made[kind]}:
            made[kind].append(Judged(kind, query, gains))

    for title in titles:
        han = [c for c in title if is_han(c)]
        # exact: the title as catalogued; records whose titles contain it count half.
        add("exact", title, named(title))
        # traditional: the title in traditional characters, when they differ.
        traditional = to_traditional.convert(title)
        if traditional != title:
            add("traditional", traditional, named(title))
        # short: the first two characters of the title; titles beginning with them count fully.
        if len(han) >= 2:
            short = "".join(han[:2])
            add(
                "short",
                short,
                {
                    e.id: 2 if fold(e.title).startswith(short) else 1
                    for e in entries
                    if short in fold(e.title)
                },
            )
        # pinyin: the title's toneless pinyin, joined, as the librarian's reading gives it.
        if han and len(han) == len(title):
            reading = re.sub(r"\d", "", pinyin_sort_key(title)).replace(" ", "")
            add("pinyin", reading, named(title, also_containing=False))
        # near misses: one character of a title of three or more replaced by an unrelated one.
        if len(han) >= 3 and len(han) == len(title):
            position = rng.randrange(len(title))
            slip = rng.choice([c for c in SLIPS if c not in title])
            add("near_misses", title[:position] + slip + title[position + 1 :], named(title, False))
    # synonyms: each everyday word of the synonym files whose record is in the corpus.
    for word, targets in sorted(read_directory().items()):
        gains = {e.id: 2 for target in targets for e in by_title.get(fold(target), ())}
        add("synonyms", word, gains)
    for entry in ordered:
        # Latin names: the binomial of a scientific name, in lower case.
        for name in _values(entry, "scientific_name"):
            binomial = " ".join(name.split()[:2]).lower()
            add(
                "latin_names",
                binomial,
                {
                    e.id: 2
                    for e in entries
                    if any(n.lower().startswith(binomial) for n in _values(e, "scientific_name"))
                },
            )
        # people: a photographer, inheritor or creator; every record naming them.
        for person in _values(entry, "inheritors", "photographer", "creator"):
            person = person.split()[0]
            add(
                "people",
                person,
                {
                    e.id: 2
                    for e in entries
                    if any(
                        person in value
                        for value in _values(e, "inheritors", "photographer", "creator")
                    )
                },
            )
        # places: a locality, region or coverage; every record with that place.
        for place in _values(entry, "locality", "region", "coverage"):
            add("places", place, having(("locality", "region", "coverage"), place))
    return [judged for kind in CLASSES for judged in made[kind]]
