"""Chinese text helpers shared by records and search: script folding and pinyin sort keys."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import seg


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional characters (and full-width forms) to simplified, so 長白山 meets 长白山."""
    if not text:
        return text
    return _traditional_to_simplified().convert(unicodedata.normalize("NFKC", text))


def pinyin_sort_key(text: str) -> str:
    """A key that orders Chinese titles by pinyin (人参 before 松茸) and mixes in Latin titles.

    Tone numbers break ties between syllables that differ only by tone. The text is cut into
    words as pypinyin cuts it, and each word's syllables are remembered: titles share most of
    their words (人参, 东北, 号), so a batch of thousands converts each word once.
    """
    folded = to_simplified(text).strip().lower()
    syllables = [syllable for word in seg(folded) for syllable in _word_syllables(word)]
    return " ".join(syllables)[:500]


@lru_cache(maxsize=50_000)
def _word_syllables(word: str) -> tuple[str, ...]:
    return tuple(
        lazy_pinyin(word, style=Style.TONE3, errors="default", neutral_tone_with_five=True)
    )
