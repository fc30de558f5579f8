"""Everyday words for what catalogues call by another name, declared per profile as data.

``search/synonyms/<profile>.txt`` (a file librarians edit) holds lines such as::

    # what readers type                  => what the records say
    tiger, 老虎, Amur tiger             => 东北虎

A query word (or quoted phrase) found on the left is also searched as the words on the right,
one level deep: the right-hand words are not expanded again. Words are compared folded
(simplified, case-folded), as search compares everything. A file whose name is no profile, a
line without ``=>``, or mappings that lead back to where they started (a loop) are refused when
the app starts, naming the file and line. The expansions of every profile's file apply to every
search.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from repository.messages import Message
from repository.profiles import profiles
from search.text import ParsedQuery, QueryTerm, fold

DIRECTORY = Path(__file__).parent
ARROW = "=>"


class SynonymsError(ValueError):
    """A synonyms file that cannot be used, naming the file and line."""


@dataclass(frozen=True)
class Entry:
    source: str  # file:line, for messages
    words: tuple[str, ...]  # folded, what readers type
    targets: tuple[str, ...]  # folded, what is searched as well


def _words(text: str) -> tuple[str, ...]:
    return tuple(
        word
        for word in (fold(" ".join(part.split())) for part in text.replace("，", ",").split(","))
        if word
    )


def read_file(path: Path) -> list[Entry]:
    mappings = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{path}, line {number}"
        if line.count(ARROW) != 1:
            raise SynonymsError(f"{where}: write 'words => what they mean' ({line!r})")
        left, right = line.split(ARROW)
        words, targets = _words(left), _words(right)
        if not words or not targets:
            raise SynonymsError(f"{where}: words are needed on both sides of => ({line!r})")
        if set(words) & set(targets):
            raise SynonymsError(f"{where}: a word cannot mean itself ({line!r})")
        mappings.append(Entry(where, words, targets))
    return mappings


def read_directory(
    directory: Path = DIRECTORY, known: Iterable[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Every profile's file read and checked; what each folded word is also searched as."""
    known = set(known) if known is not None else {profile.name for profile in profiles()}
    mappings: list[Entry] = []
    for path in sorted(directory.glob("*.txt")):
        if path.stem not in known:
            raise SynonymsError(
                f"{path}, line 1: {path.stem!r} is not a profile ({', '.join(sorted(known))})"
            )
        mappings += read_file(path)
    table: dict[str, list[str]] = {}
    declared: dict[tuple[str, str], str] = {}
    for mapping in mappings:
        for word in mapping.words:
            for target in mapping.targets:
                table.setdefault(word, [])
                if target not in table[word]:
                    table[word].append(target)
                declared.setdefault((word, target), mapping.source)
    _refuse_loops(table, declared)
    return {word: tuple(targets) for word, targets in table.items()}


def _refuse_loops(table: Mapping[str, list[str]], declared: Mapping[tuple[str, str], str]) -> None:
    done: set[str] = set()

    def visit(word: str, path: list[str]) -> None:
        if word in done:
            return
        if word in path:
            cycle = [*path[path.index(word) :], word]
            where = declared[(path[-1], word)]
            raise SynonymsError(f"{where}: a loop, {' => '.join(cycle)}")
        for target in table.get(word, ()):
            visit(target, [*path, word])
        done.add(word)

    for word in table:
        visit(word, [])


@cache
def table() -> dict[str, tuple[str, ...]]:
    return read_directory()


def check() -> None:
    """Read the files now, so a broken one stops the app at start-up, not at a search."""
    table()


def expansions(word: str) -> tuple[str, ...]:
    """What a folded query word or phrase is also searched as (one level, no further)."""
    return table().get(word, ())


def with_synonyms(parsed: ParsedQuery) -> ParsedQuery:
    """The query with each included word's everyday meanings attached, and a notice naming them.

    A whole query of several words found as one entry (``Amur tiger``) counts as that phrase.
    """
    terms = list(parsed.terms)
    included = [term for term in terms if not term.excluded]
    whole = " ".join(term.text for term in included)
    if len(included) > 1 and not any(t.quoted for t in included) and expansions(whole):
        terms = [QueryTerm(whole, quoted=True)] + [t for t in terms if t.excluded]
    expanded = tuple(
        QueryTerm(t.text, t.excluded, t.quoted, expansions(t.text)) if not t.excluded else t
        for t in terms
    )
    also = [word for term in expanded for word in term.synonyms]
    if not also:
        return parsed
    notice = Message("Also searched: {words}").format(words="、".join(also))
    return ParsedQuery(expanded, (*parsed.notices, notice))


# Read when the search package is imported, so that the app refuses to start with a broken file.
check()
