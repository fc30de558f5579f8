"""Chinese text helpers shared by records and search: script folding and pinyin sort keys."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc
from pypinyin import Style, lazy_pinyin, load_phrases_dict
from pypinyin.seg.simpleseg import simple_seg

#: Readings of the region's place names, kept as a list librarians can edit.
PLACE_NAMES = Path(__file__).parent / "data" / "place_names.txt"


class ReadingsError(ValueError):
    """A line of the place-name list that cannot be read; names the file and line."""


def read_place_names(path: Path = PLACE_NAMES) -> dict[str, list[list[str]]]:
    """``name reading…`` lines as pypinyin phrases: one syllable (tone marks) per character."""
    phrases: dict[str, list[list[str]]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, *syllables = line.split()
        name = unicodedata.normalize("NFC", name)
        if len(syllables) != len(name) or not all(s.isalpha() for s in syllables):
            raise ReadingsError(
                f"{path}, line {number}: {line!r} needs one pinyin syllable per character"
            )
        phrases[name] = [[unicodedata.normalize("NFC", s.lower())] for s in syllables]
    return phrases


@lru_cache(maxsize=1)
def load_place_names() -> None:
    """Teach pypinyin the place names once, so every reading in the process (sort keys, pinyin
    search) takes 长白 as cháng bái, as a librarian would, and not as zhǎng bái."""
    load_phrases_dict(read_place_names())


load_place_names()


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional characters (and full-width forms) to simplified, so 長白山 meets 长白山."""
    if not text or text.isascii():  # Latin names and English text: nothing to convert
        return text
    if not unicodedata.is_normalized("NFKC", text):  # a quick check; most text already is
        text = unicodedata.normalize("NFKC", text)
    return _traditional_to_simplified().convert(text)


@lru_cache(maxsize=8_192)
def pinyin_sort_key(text: str) -> str:
    """A key that orders Chinese titles by pinyin (人参 before 松茸) and mixes in Latin titles.

    Syllables are read word by word (pypinyin's phrase dictionary, plus the region's place
    names in ``data/place_names.txt``), so 长白松 sorts as cháng bái sōng, beside 长白山.
    Tone numbers break ties between syllables that differ only by tone. The text is split into
    runs of Chinese and of other characters, and each run's syllables are remembered: titles
    share most of their names (人参, 东北红豆杉), so a batch of thousands converts each once.
    Whole titles are remembered too: a collection photographs the same species again and again.
    """
    folded = to_simplified(text).strip().lower()
    syllables = [syllable for run in simple_seg(folded) for syllable in _run_syllables(run)]
    return " ".join(syllables)[:500]


@lru_cache(maxsize=50_000)
def _run_syllables(run: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(run, style=Style.TONE3, errors="default", neutral_tone_with_five=True))
