"""What records are compared on: names folded across scripts, scientific names without authority,
places that contain one another."""

import pytest

from ingest.duplicates.keys import (
    match_keys,
    normalized_text,
    pair_signature,
    places_agree,
    reasons_for,
    taxon_key,
)
from repository.profiles import get_profile


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Panax ginseng C. A. Mey.", "panax ginseng"),
        ("Panax ginseng", "panax ginseng"),
        ("panax  ginseng", "panax ginseng"),
        (
            "Ｐａｎａｘ ｇｉｎｓｅｎｇ",
            "panax ginseng",
        ),  # full-width, as typed on a Chinese keyboard
        ("人参 Panax ginseng C. A. Mey.", "panax ginseng"),
        ("Taxus cuspidata Sieb. et Zucc.", "taxus cuspidata"),
        ("Acer pictum subsp. mono (Maxim.) Ohashi", "acer pictum subsp. mono"),
        ("Acer pictum Thunb. ssp. mono", "acer pictum subsp. mono"),
        ("Populus × canadensis Moench", "populus canadensis"),
    ],
)
def test_scientific_names_lose_their_authority(written, key):
    assert taxon_key(written) == key


@pytest.mark.parametrize("written", ["Panax sp.", "Panax spp.", "Panax", "Panax L.", "", "人参"])
def test_a_name_that_stops_at_the_genus_identifies_nothing(written):
    assert taxon_key(written) is None


def test_names_fold_script_case_punctuation_and_spaces():
    assert normalized_text("長白山") == normalized_text("长白山") == "长白山"
    assert normalized_text("長白山 · Changbai") == "长白山changbai"
    assert normalized_text("《吉林通志》") == normalized_text("吉林 通志")
    assert normalized_text("——") == ""


def test_names_come_from_title_fields_and_places_from_one_line_coverage_fields():
    keys = match_keys(
        get_profile("natural_history"),
        {
            "title": "人参",
            "scientific_name": "Panax ginseng C. A. Mey.",
            "aliases": ["棒槌", "山參"],
            "locality": "吉林省安图县",
            "distribution": "长白山区各县",  # a range, not where this record was made
        },
    )
    assert keys.names == {"人参", "棒槌", "山参"}
    assert keys.taxon == "panax ginseng"
    assert keys.places == {"吉林省安图县"}
    ich = match_keys(get_profile("ich"), {"title": "农乐舞", "region": ["吉林省", "辽宁省"]})
    assert ich.places == {"吉林省", "辽宁省"} and ich.taxon is None
    generic = match_keys(
        get_profile("generic"), {"title": "吉林通志", "alternative": ["吉林通誌"], "coverage": []}
    )
    assert generic.names == {"吉林通志"} and generic.places == frozenset()


def test_places_agree_when_one_lies_within_the_other():
    assert places_agree(frozenset({"吉林省延边朝鲜族自治州"}), frozenset({"延边朝鲜族自治州"}))
    assert places_agree(frozenset({"长白山北坡"}), frozenset({"长白山"}))
    assert not places_agree(frozenset({"吉林省延边朝鲜族自治州"}), frozenset({"辽宁省丹东市"}))
    assert places_agree(frozenset(), frozenset({"长白山"})) is None


def test_reasons_say_why_and_veto_what_cannot_be_one_thing():
    profile = get_profile("natural_history")

    def keys(**metadata):
        return match_keys(profile, {"scientific_name": "", **metadata})

    ginseng = keys(title="人参", scientific_name="Panax ginseng C. A. Mey.", locality="安图县")
    assert reasons_for(ginseng, keys(title="人參", scientific_name="Panax ginseng")) == [
        "name",
        "scientific_name",
    ]
    # The same species photographed elsewhere is still the same species.
    assert reasons_for(
        ginseng, keys(title="野山参", scientific_name="Panax ginseng", locality="抚松县")
    ) == [
        "scientific_name",
        "different_place",
    ]
    # One folk name, two species: never a pair.
    assert (
        reasons_for(ginseng, keys(title="人参", scientific_name="Panax quinquefolius L.")) is None
    )
    ich = get_profile("ich")
    yanbian = match_keys(ich, {"title": "农乐舞", "region": ["吉林省延边朝鲜族自治州"]})
    dandong = match_keys(ich, {"title": "农乐舞", "region": ["辽宁省丹东市"]})
    unknown = match_keys(ich, {"title": "农乐舞"})
    assert reasons_for(yanbian, dandong) is None
    assert reasons_for(yanbian, unknown) == ["name"]
    assert reasons_for(
        yanbian, match_keys(ich, {"title": "農樂舞", "region": ["延边朝鲜族自治州"]})
    ) == [
        "name",
        "place",
    ]


def test_the_signature_changes_only_with_what_records_are_matched_on():
    profile = get_profile("ich")
    first = match_keys(profile, {"title": "农乐舞", "description": "一"})
    second = match_keys(profile, {"title": "农乐舞", "description": "二"})
    other = match_keys(profile, {"title": "农乐舞", "region": ["吉林省"]})
    assert pair_signature(first, other) == pair_signature(second, other)
    assert pair_signature(first, other) != pair_signature(
        first, match_keys(profile, {"title": "农乐舞", "region": ["延边"]})
    )
