"""Near misses: what a search falls back to when every word together finds (almost) nothing,
and the "did you mean" offered with it.

The fallback is a second query, made of *units* of which most must match: the query's words,
except that a Chinese word of three or more characters counts each of its characters, so that
one wrong character (二人传 for 二人转) still leaves most of them. The word's character pairs are
asked for too, but only to rank: records keeping more of the word's pairs in order come first.
Records that match every word rank above all others in the fallback (the backends add a large
constant to their score). Both backends read the same ``Relaxation``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from search.query import Hit
from search.text import ParsedQuery, QueryTerm, fold, is_han, tokens

#: Fewer hits than this for all the words together, and the search falls back.
FALLBACK_BELOW = 3
#: What matching every word adds to a record's score in the fallback: above any other score.
EXACT_BOOST = 1000.0
#: What a title that is exactly the query (or a synonym of it) adds to a record's score.
WHOLE_TITLE_BOOST = 10.0
#: A word longer than this is not split into characters (200 of one character is no word).
MAX_SPLIT_LENGTH = 12
#: More units than this and no fallback is tried: the query is not a slip of the keyboard.
MAX_UNITS = 16


@dataclass(frozen=True)
class Relaxation:
    units: tuple[QueryTerm, ...]  # at least ``required`` of them must match
    required: int
    pairs: tuple[QueryTerm, ...]  # character pairs of split words: they rank, never required

    @property
    def scored(self) -> tuple[QueryTerm, ...]:
        return self.units + self.pairs

    @property
    def highlighted(self) -> tuple[QueryTerm, ...]:
        """What hits highlight: the pairs and whole words, not single characters everywhere."""
        return self.pairs + tuple(unit for unit in self.units if len(unit.tokens) > 1)


def relax(query: ParsedQuery) -> Relaxation | None:
    """The fallback for the query, or None when there is none that differs from the query."""
    units: list[QueryTerm] = []
    pairs: list[QueryTerm] = []
    for term in query.included:
        words = term.tokens
        if _splittable(term, words):
            units += [QueryTerm(character) for character in words]
            pairs += [QueryTerm(a + b) for a, b in pairwise(words)]
        else:
            units.append(term)
    units = list(dict.fromkeys(units))
    if len(units) < 2 or len(units) > MAX_UNITS:
        return None
    required = len(units) - max(1, len(units) // 3)
    return Relaxation(tuple(units), required, tuple(dict.fromkeys(pairs)))


def _splittable(term: QueryTerm, words: Sequence[str]) -> bool:
    return (
        not term.quoted
        and 3 <= len(words) <= MAX_SPLIT_LENGTH
        and all(is_han(word) for word in words)
        and len(set(words)) > 1
    )


def did_you_mean(query: ParsedQuery, hits: Iterable[Hit]) -> str | None:
    """A title or other name of the fallback's hits one slip away from what was typed (a
    Chinese query), or the query with its misspelt Latin words put right; None when nothing
    is close enough or the query is already what they say."""
    terms = query.included
    if not terms:
        return None
    names = [name for hit in hits for name in (hit.title, *hit.names)]
    typed = "".join(term.text for term in terms)
    if all(is_han(word) for term in terms for word in term.tokens):
        return _closest_name(typed, names)
    return _corrected_words(terms, names)


def _closest_name(typed: str, names: Iterable[str]) -> str | None:
    allowed = max(1, len(typed) // 3)
    best: tuple[int, str] | None = None
    for name in names:
        folded = fold(name)
        if folded == typed or abs(len(folded) - len(typed)) > allowed:
            continue
        distance = edit_distance(typed, folded)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, name)
    return best[1] if best else None


def _corrected_words(terms: Sequence[QueryTerm], names: Iterable[str]) -> str | None:
    known = {word for name in names for word in tokens(fold(name)) if not is_han(word[0])}
    corrected, changed = [], False
    for term in terms:
        word = term.text
        if len(term.tokens) == 1 and not is_han(word[0]) and word not in known and len(word) > 3:
            allowed = 1 if len(word) <= 5 else 2
            near = sorted(
                (edit_distance(word, other), other)
                for other in known
                if abs(len(other) - len(word)) <= allowed
            )
            if near and near[0][0] <= allowed:
                word, changed = near[0][1], True
        corrected.append(word)
    return " ".join(corrected) if changed else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of single characters."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def whole_titles(query: ParsedQuery) -> tuple[str, ...]:
    """The folded titles a one-word query names outright: the word and its synonyms. A record
    with such a title ranks above records whose titles merely contain it (红松 before 红松鼠)."""
    included = query.included
    if len(included) != 1 or query.excluded:
        return ()
    return tuple(dict.fromkeys((included[0].text, *included[0].synonyms)))
