"""Related records for a record page: the same collection, ranked by the facet values they share
with the record (subjects, taxa, places, people weigh more than a closed list's term such as a
kingdom or a protection level), then in pinyin order; records sharing nothing fill the list up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from repository.profiles import Kind, get_profile

RELATED_COUNT = 5
#: Weight of a shared value of a free field (a subject, a family, a locality, a person).
FREE_WEIGHT = 3
#: Weight of a shared term of a closed list or a year: alike, but loosely.
LIST_WEIGHT = 1


@dataclass(frozen=True)
class SharedValue:
    facet: str
    value: str
    weight: int


def shared_values(profile_name: str, facets: Mapping[str, Sequence[str]]) -> list[SharedValue]:
    """The record's facet values with the weight a record sharing each one gains."""
    profile = get_profile(profile_name)
    kinds = {field.key: field.kind for field in profile.facet_fields}
    return [
        SharedValue(
            name,
            value,
            LIST_WEIGHT if kinds.get(name) in (Kind.VOCABULARY, Kind.YEAR) else FREE_WEIGHT,
        )
        for name, values in facets.items()
        for value in dict.fromkeys(values)
    ]
