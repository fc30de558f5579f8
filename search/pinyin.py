"""Pinyin for search, made in Python at index and at query time, the same for both backends.

Titles and other names are indexed a second time as toneless pinyin syllables read word by word
(``hong song`` for 红松; 长白 as cháng bái, see ``repository.chinese``) and as the initials of
each name (``rs`` for 人参), in fields of their own that weigh less than the characters. A query
word of Latin letters that splits into pinyin syllables (``hongsong``, ``hóngsōng``, or a quoted
``"nong yue wu"``) is also looked for there as a phrase of those syllables, and a short one as
initials. Latin words that are not pinyin (``panax``, ``tiger``) split into nothing and are only
looked for as text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from repository.chinese import load_place_names, to_simplified

MAX_SEGMENTATIONS = 3  # ways of splitting one query word that are searched at once
MAX_WORD = 60  # longer Latin words are not pinyin anyone types
INITIALS_LENGTH = range(2, 9)  # initials queries: rs (人参) … up to eight characters

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_LETTERS = re.compile(r"[a-zv]+")
# Interjection readings (m, n, ng, hm …) would let English words split into "pinyin".
_NOT_SYLLABLES = {"m", "n", "ng", "hm", "hng", "r", "ê"}


@cache
def syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows, ü written v (as on keyboards)."""
    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            plain = strip_tones(reading)
            if plain and _LETTERS.fullmatch(plain):
                found.add(plain)
    return frozenset(found - _NOT_SYLLABLES)


def strip_tones(text: str) -> str:
    """hóngsōng → hongsong, lǜ → lv: what people type for pinyin, tone marks or not."""
    text = text.replace("ü", "v").replace("Ü", "v")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("u\u0308", "v")


@lru_cache(maxsize=50_000)
def reading(text: str) -> tuple[str, ...]:
    """The toneless syllables of the Han characters in a name, read word by word."""
    load_place_names()
    folded = to_simplified(text)
    found: list[str] = []
    for run in _HAN.findall(folded):
        found += lazy_pinyin(run, style=Style.NORMAL, v_to_u=False, errors="ignore")
    return tuple(strip_tones(s).lower() for s in found if s)


def name_pinyin(names: list[str]) -> tuple[str, str]:
    """The pinyin of names (one a line) and their initials (one word per name)."""
    lines, initials = [], []
    for name in names:
        spoken = reading(name)
        if spoken:
            lines.append(" ".join(spoken))
            if len(spoken) >= 2:
                initials.append("".join(s[0] for s in spoken))
    return "\n".join(lines), " ".join(dict.fromkeys(initials))


@lru_cache(maxsize=4096)
def segmentations(word: str, *, partial_last: bool = False) -> tuple[tuple[str, ...], ...]:
    """Ways to read Latin letters as pinyin syllables, fewest syllables first.

    ``partial_last`` lets the last piece be the start of a syllable (``hongs`` → hong s…),
    for suggestions while typing. Nothing when the word is not pinyin.
    """
    word = strip_tones(word).lower().replace(" ", "")
    if not word or len(word) > MAX_WORD or not _LETTERS.fullmatch(word):
        return ()
    known = syllables()
    longest = max(len(s) for s in known)
    found: list[tuple[str, ...]] = []

    def walk(start: int, taken: tuple[str, ...]) -> None:
        if len(found) >= 20:
            return
        if start == len(word):
            found.append(taken)
            return
        for end in range(min(len(word), start + longest), start, -1):
            piece = word[start:end]
            if piece in known or (
                partial_last and end == len(word) and any(s.startswith(piece) for s in known)
            ):
                walk(end, (*taken, piece))

    walk(0, ())
    found.sort(key=len)
    return tuple(found[:MAX_SEGMENTATIONS])


def initials_query(word: str) -> str | None:
    """A word that may be typed initials (rs for 人参): consonant-led Latin letters, short."""
    word = strip_tones(word).lower()
    if len(word) in INITIALS_LENGTH and _LETTERS.fullmatch(word):
        return word
    return None
