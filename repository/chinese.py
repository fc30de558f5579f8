"""Chinese text helpers shared by records and search: script folding and pinyin sort keys."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin
from pypinyin.seg.simpleseg import simple_seg


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Fold traditional characters (and full-width forms) to simplified, so 長白山 meets 长白山."""
    if not text:
        return text
    return _traditional_to_simplified().convert(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=8_192)
def pinyin_sort_key(text: str) -> str:
    """A key that orders Chinese titles by pinyin (人参 before 松茸) and mixes in Latin titles.

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
