"""Chinese-aware text handling shared by both search backends.

Everything language-specific happens here, in Python, so that any Elasticsearch 9 (standard
analyzer only) and SQLite FTS5 see the same thing: text folded to simplified Chinese and lower
case, Han characters as one-character tokens. A query word of several Han characters becomes a
phrase of those characters, so 红豆杉 finds 东北红豆杉 but not a text that merely has 红 and 杉
somewhere.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from markupsafe import Markup

from repository.chinese import to_simplified
from repository.messages import Message
from search.pinyin import initials_query, segmentations

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 12

_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "＂": "＂"}
_HAN = (
    r"\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff"
    r"\uf900-\ufaff\U00020000-\U0003134f"
)
_TOKEN = re.compile(rf"[{_HAN}]|[^\W{_HAN}]+")
_HAN_CHAR = re.compile(rf"[{_HAN}]")


#: Simplified characters that OpenCC keeps apart but writers use for one another, folded to one:
#: 長白山江岡志略 becomes 江冈志略, while catalogues usually print it 江岗志略.
VARIANTS = {"岗": "冈"}


def fold(text: str) -> str:
    """Simplified, NFKC-normalised, case-folded: the form both index and queries are compared in."""
    if not text:
        return ""
    folded = to_simplified(text).casefold()
    for variant, common in VARIANTS.items():  # replace: much quicker than str.translate
        folded = folded.replace(variant, common)
    return folded


def tokens(text: str) -> list[str]:
    """The search tokens of a text: each Han character alone, other words whole (folded)."""
    return _TOKEN.findall(fold(text))


def is_han(character: str) -> bool:
    return bool(_HAN_CHAR.fullmatch(character))


@dataclass(frozen=True)
class QueryTerm:
    """One thing the user asked for: a word or a quoted phrase, possibly excluded with ``-``."""

    text: str  # folded
    excluded: bool = False
    quoted: bool = False
    synonyms: tuple[str, ...] = ()  # folded everyday meanings also searched (search.synonyms)

    @property
    def tokens(self) -> list[str]:
        return tokens(self.text)

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        """The term's tokens in order, separated by anything that is not a token character (and
        the same for each synonym searched with it); kept with the term, which a page of hits
        matches against a hundred texts."""
        return tuple(
            pattern for text in (self.text, *self.synonyms) if (pattern := _tokens_pattern(text))
        )

    @property
    def pinyin(self) -> tuple[tuple[str, ...], ...]:
        """Readings of a Latin-letter term as pinyin syllables (hongsong → hong song), if any."""
        words = self.tokens
        if not words or any(is_han(word[0]) for word in words):
            return ()
        return segmentations("".join(words))

    @property
    def initials(self) -> str | None:
        """The term as pinyin initials (rs for 人参), when it could be typed as such."""
        words = self.tokens
        return initials_query(words[0]) if len(words) == 1 and not self.quoted else None


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[QueryTerm, ...] = ()
    notices: tuple[Message, ...] = field(default=())

    @property
    def included(self) -> tuple[QueryTerm, ...]:
        return tuple(term for term in self.terms if not term.excluded)

    @property
    def excluded(self) -> tuple[QueryTerm, ...]:
        return tuple(term for term in self.terms if term.excluded)

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def also_searched(self) -> tuple[str, ...]:
        """The synonyms searched besides what was typed, for "also searched: …"."""
        return tuple(word for term in self.included for word in term.synonyms)


def parse_query(raw: str) -> ParsedQuery:
    """Read what users type into a search box: words, "quoted phrases" and -exclusions.

    Never fails: control characters are dropped, an unbalanced quote closes at the end, lone
    operators are ignored, and an over-long query is cut, each with a notice saying so.
    """
    notices: list[Message] = []
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in raw or "")
    text = text.replace("\u3000", " ").strip()
    if len(text) > MAX_QUERY_LENGTH:
        text = text[:MAX_QUERY_LENGTH]
        notices.append(
            Message("The query was cut to its first {n} characters.").format(n=MAX_QUERY_LENGTH)
        )
    terms: list[QueryTerm] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
            continue
        excluded = False
        if char in "-－" and position + 1 < len(text) and not text[position + 1].isspace():
            excluded = True
            position += 1
            char = text[position]
        if char in _QUOTES:
            closing = _QUOTES[char]
            end = text.find(closing, position + 1)
            if end < 0:
                notices.append(
                    Message("A quotation mark was not closed; the phrase runs to the end.")
                )
                end = len(text)
            _add_term(terms, text[position + 1 : end], excluded, quoted=True)
            position = end + 1
            continue
        end = position
        while end < len(text) and not text[end].isspace() and text[end] not in _QUOTES:
            end += 1
        _add_term(terms, text[position:end], excluded, quoted=False)
        position = end
    if len(terms) > MAX_QUERY_TERMS:
        terms = terms[:MAX_QUERY_TERMS]
        notices.append(
            Message("Only the first {n} words of the query were used.").format(n=MAX_QUERY_TERMS)
        )
    return ParsedQuery(tuple(terms), tuple(notices))


def _add_term(terms: list[QueryTerm], text: str, excluded: bool, *, quoted: bool) -> None:
    folded = fold(text).strip()
    if tokens(folded):  # a lone "-", quotes around nothing or bare punctuation ask for nothing
        terms.append(QueryTerm(folded, excluded=excluded, quoted=quoted))


@lru_cache(maxsize=4096)
def _fold_character(character: str) -> str:
    folded = fold(character)
    return folded if len(folded) == 1 else character


@lru_cache(maxsize=4096)
def _aligned_fold(text: str) -> str:
    """``fold`` keeping one output character per input character, to mark matches in place."""
    folded = fold(text)
    if len(folded) == len(text):
        return folded
    return "".join(_fold_character(ch) for ch in text)


def match_spans(text: str, terms: tuple[QueryTerm, ...]) -> list[tuple[int, int]]:
    """Where the terms (or their synonyms) occur in the text, as merged character spans."""
    folded = _aligned_fold(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        for token_run in term.patterns:
            spans.extend(match.span() for match in token_run.finditer(folded))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _tokens_pattern(text: str) -> re.Pattern[str] | None:
    found = tokens(text)
    if not found:
        return None
    joined = r"[\W_]*".join(re.escape(token) for token in found)
    boundary_start = "" if is_han(found[0][0]) else r"(?<![^\W_])"
    boundary_end = "" if is_han(found[-1][-1]) else r"(?![^\W_])"
    return re.compile(boundary_start + joined + boundary_end)


def highlight(
    text: str,
    terms: tuple[QueryTerm, ...],
    *,
    length: int = 0,
    spans: list[tuple[int, int]] | None = None,
) -> Markup:
    """The text (or, with ``length``, a window of it around the first match) with matches marked.

    Matching is done on the folded text, so a traditional original shows its own characters
    with the match marked. ``spans`` are the terms' ``match_spans`` when already found.
    """
    if not text:
        return Markup("")
    if spans is None:
        spans = match_spans(text, terms) if terms else []
    start, end = 0, len(text)
    if length and len(text) > length:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - length // 4, len(text) - length))
        end = start + length
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        pieces += (
            html.escape(text[cursor:span_start], quote=True),
            "<mark>",
            html.escape(text[span_start:span_end], quote=True),
            "</mark>",
        )
        cursor = span_end
    pieces.append(html.escape(text[cursor:end], quote=True))
    if end < len(text):
        pieces.append("…")
    return Markup("".join(pieces))  # every piece of the text above is escaped


def has_match(text: str, terms: tuple[QueryTerm, ...]) -> bool:
    return bool(text) and bool(match_spans(text, terms))
