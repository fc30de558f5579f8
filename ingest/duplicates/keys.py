"""What two records are compared on: names, scientific name and place, each normalised.

Which fields play which part is read from the collection profile's declaration: fields that map to
Dublin Core ``title`` are names (title, aliases, alternative titles), the ``scientific_name`` field
is the taxon, and one-line fields that map to ``coverage`` are places (locality, region,
coverage). A new profile takes part without any change here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from repository.profiles import Field, Kind, Profile
from search.text import fold

TAXON_FIELD = "scientific_name"
KEY_LENGTH = 200

# Everything but letters and digits (of any script): punctuation, spaces, brackets, middle dots.
_NOT_WORD = re.compile(r"[\W_]+")
_GENUS = re.compile(r"[A-Za-z][a-z]+")
_EPITHET = re.compile(r"[a-z][a-z-]+")
_HYBRID_SIGNS = {"×", "x"}
_UNDETERMINED = {"sp.", "spp.", "sp", "spp", "cf.", "aff.", "indet."}
_RANKS = {
    "subsp.": "subsp.",
    "ssp.": "subsp.",
    "var.": "var.",
    "f.": "f.",
    "forma": "f.",
}


@dataclass(frozen=True)
class MatchKeys:
    """A record reduced to what duplicates are recognised by."""

    names: frozenset[str]
    taxon: str | None
    places: frozenset[str]

    def as_json(self) -> dict[str, Any]:
        return {"names": sorted(self.names), "taxon": self.taxon, "places": sorted(self.places)}


#: Values remembered by the two functions below. An import meets the same places, families and
#: common names again and again, close together; a value met once (a numbered specimen's name)
#: is not worth keeping. Each entry costs some 250 bytes: at this size a worker's memory stops
#: growing after a few thousand rows instead of after a few hundred thousand.
REMEMBERED_VALUES = 8_192


@lru_cache(maxsize=REMEMBERED_VALUES)
def normalized_text(text: str) -> str:
    """Simplified, case-folded, no punctuation or spaces: 長白山 · Changbai → 长白山changbai."""
    return _NOT_WORD.sub("", fold(text))[:KEY_LENGTH]


@lru_cache(maxsize=REMEMBERED_VALUES)
def taxon_key(scientific_name: str) -> str | None:
    """Genus and species (and an infraspecific rank) without the authority, lower case.

    ``Panax ginseng C. A. Mey.`` and ``Panax ginseng`` give ``panax ginseng``;
    ``Acer pictum subsp. mono (Maxim.) Ohashi`` gives ``acer pictum subsp. mono``. A name that
    stops at the genus (``Panax sp.``) identifies nothing and gives None.
    """
    words = [w for w in unicodedata.normalize("NFKC", scientific_name).split() if w.isascii()]
    words = [w for w in words if w not in _HYBRID_SIGNS]
    if len(words) < 2 or not _GENUS.fullmatch(words[0]) or words[1].lower() in _UNDETERMINED:
        return None
    if not _EPITHET.fullmatch(words[1]):
        return None
    key = f"{words[0].lower()} {words[1]}"
    for rank, epithet in itertools.pairwise(words[2:]):
        if rank.lower() in _RANKS and _EPITHET.fullmatch(epithet):
            key += f" {_RANKS[rank.lower()]} {epithet}"
            break
    return key


@cache
def name_fields(profile: Profile) -> tuple[Field, ...]:
    return tuple(
        field
        for field in profile.metadata_fields
        if field.dc == "title" and field.key != TAXON_FIELD
    )


@cache
def place_fields(profile: Profile) -> tuple[Field, ...]:
    return tuple(
        field
        for field in profile.metadata_fields
        if field.dc == "coverage" and field.kind is not Kind.LONG_TEXT
    )


def match_keys(profile: Profile, metadata: Mapping[str, Any]) -> MatchKeys:
    names = {
        normalized_text(value)
        for field in name_fields(profile)
        for value in _values(metadata, field.key)
    }
    places = {
        normalized_text(value)
        for field in place_fields(profile)
        for value in _values(metadata, field.key)
    }
    taxa = [taxon_key(value) for value in _values(metadata, TAXON_FIELD)]
    return MatchKeys(
        names=frozenset(name for name in names if name),
        taxon=next((taxon for taxon in taxa if taxon), None),
        places=frozenset(place for place in places if place),
    )


def places_agree(first: frozenset[str], second: frozenset[str]) -> bool | None:
    """None when either has no place; True when one place lies within the other's name.

    吉林省延边朝鲜族自治州 and 延边朝鲜族自治州 agree (the shorter is contained), as do 长白山北坡
    and 长白山; 吉林省延边朝鲜族自治州 and 辽宁省桓仁满族自治县 do not.
    """
    if not first or not second:
        return None
    return any(a in b or b in a for a in first for b in second)


def reasons_for(keys: MatchKeys, other: MatchKeys) -> list[str] | None:
    """Why two records may be one, or None when they are not.

    Different scientific names rule a pair out whatever the names say (folk names are shared by
    several species). The same scientific name is enough, even photographed in different places.
    A shared name is enough unless both records name places and no place matches: 农乐舞 of one
    county and 农乐舞 of another are two items of heritage.
    """
    if keys.taxon and other.taxon and keys.taxon != other.taxon:
        return None
    same_taxon = bool(keys.taxon) and keys.taxon == other.taxon
    same_name = bool(keys.names & other.names)
    if not (same_taxon or same_name):
        return None
    agree = places_agree(keys.places, other.places)
    if agree is False and not same_taxon:
        return None
    reasons = []
    if same_name:
        reasons.append("name")
    if same_taxon:
        reasons.append("scientific_name")
    if agree is True:
        reasons.append("place")
    elif agree is False:
        reasons.append("different_place")
    return reasons


def pair_signature(low: MatchKeys, high: MatchKeys) -> str:
    """A digest of what a pair was matched on; it changes only when a record changes materially."""
    text = json.dumps([low.as_json(), high.as_json()], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _values(metadata: Mapping[str, Any], key: str) -> list[str]:
    value = metadata.get(key)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
