"""Pinyin sort keys and script folding, as readers of a title list notice them."""

import random

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from repository.chinese import pinyin_sort_key, to_simplified


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("长白山", "chang2 bai2 shan1"),  # 长 read in its word, not as zhǎng
        ("银行行长", "yin2 hang2 hang2 zhang3"),
        ("長白山", "chang2 bai2 shan1"),  # traditional titles sort with simplified ones
        ("人参（2号）", "ren2 shen1 (2 hao4 )"),
        ("Panax ginseng", "panax ginseng"),
    ],
)
def test_titles_are_keyed_by_the_pinyin_of_their_words(title, key):
    assert pinyin_sort_key(title) == key


def test_titles_sort_in_pinyin_order():
    titles = ["松茸", "人参", "东北红豆杉", "长白山杜鹃", "Abies"]
    assert sorted(titles, key=pinyin_sort_key) == [
        "Abies",
        "长白山杜鹃",
        "东北红豆杉",
        "人参",
        "松茸",
    ]


def test_word_by_word_keys_equal_pypinyin_reading_the_whole_title():
    """Keys are built word by word (and remembered); that must not change any reading."""
    rng = random.Random(2026)
    phrases = sorted(PHRASES_DICT)
    for _ in range(2000):
        title = "".join(rng.choice(phrases) for _ in range(rng.randrange(1, 4)))
        title += rng.choice(["", "（3号）", " var. alba", "·"])
        whole = lazy_pinyin(
            to_simplified(title).strip().lower(),
            style=Style.TONE3,
            errors="default",
            neutral_tone_with_five=True,
        )
        assert pinyin_sort_key(title) == " ".join(whole)[:500], title
