"""Synonym files: what librarians write, and what is refused before the app serves anything."""

from __future__ import annotations

import pytest

from search.query import SearchRequest
from search.synonyms import SynonymsError, read_directory


def write(directory, name: str, text: str):
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def test_the_shipped_files_read():
    table = read_directory()
    assert table["tiger"] == ("东北虎",)
    assert table["sable"] == ("紫貂",)


def test_words_are_folded_like_queries(tmp_path):
    write(tmp_path, "natural_history.txt", "# comment\nTIGER, 老虎 => 東北虎  # trailing\n")
    assert read_directory(tmp_path) == {"tiger": ("东北虎",), "老虎": ("东北虎",)}


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("tiger => 东北虎\n虎王 => 东北虎\n东北虎 => 老虎\n老虎 => tiger\n", 4, "loop"),
        ("a => b\nb => a\n", 2, "loop"),
        ("tiger 东北虎\n", 1, "=>"),
        ("tiger => \n", 1, "both sides"),
        ("tiger, 东北虎 => 东北虎\n", 1, "itself"),
    ],
)
def test_broken_lines_are_refused_naming_the_line(tmp_path, text, line, says):
    write(tmp_path, "natural_history.txt", text)
    with pytest.raises(SynonymsError, match=rf"natural_history.txt, line {line}: .*{says}"):
        read_directory(tmp_path)


def test_a_file_for_no_profile_is_refused(tmp_path):
    write(tmp_path, "natural_histroy.txt", "tiger => 东北虎\n")
    with pytest.raises(SynonymsError, match=r"natural_histroy\.txt, line 1: 'natural_histroy'"):
        read_directory(tmp_path)


def test_the_expansion_is_one_level_and_named_in_a_notice():
    query = SearchRequest(text="sable").query
    assert query.also_searched == ("紫貂",)
    assert [str(notice) for notice in query.notices] == ["Also searched: 紫貂"]
    assert SearchRequest(text="紫貂").query.also_searched == ()


@pytest.mark.parametrize("text", ["ˉˊˇˋ", "，。", "ｔｉｇｅｒ", "老" * 200, "tiger虎"])
def test_odd_queries_parse(text):
    SearchRequest(text=text).query  # noqa: B018 - parsing must not raise
