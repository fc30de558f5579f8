"""Profiles declare fields once; validation, headers and Dublin Core all come from that."""

import pytest

from repository.profiles import MetadataInvalid, get_profile, profiles

NATURAL = get_profile("natural_history")
ICH = get_profile("ich")


def valid_natural(**changes):
    return {
        "local_id": "NH-1",
        "title": "人参",
        "scientific_name": "Panax ginseng C. A. Mey.",
        "kingdom": "植物",
        **changes,
    }


def errors_of(profile, data) -> dict[str, str]:
    with pytest.raises(MetadataInvalid) as caught:
        profile.validate(data)
    return {
        key: " ".join(str(m) for m in messages) for key, messages in caught.value.errors.items()
    }


def test_the_three_profiles_share_identifier_images_and_rights():
    for profile in profiles():
        keys = [field.key for field in profile.fields]
        assert keys[0] == "local_id"
        assert {"images", "rights", "title"} <= set(keys)


def test_a_valid_record_is_cleaned_not_rewritten():
    cleaned = NATURAL.validate(
        valid_natural(
            aliases="棒槌；山参; 棒槌 ",
            elevation_m="800-1800",
            latitude=" 42.05 ",
            longitude="128.06",
        )
    )
    assert cleaned["aliases"] == ["棒槌", "山参"]
    assert cleaned["elevation_m"] == "800-1800"
    assert cleaned["latitude"] == 42.05
    assert "habitat" not in cleaned  # empty fields are simply absent


def test_missing_required_fields_are_named():
    errors = errors_of(NATURAL, {"local_id": "NH-1", "title": "人参"})
    assert set(errors) == {"scientific_name", "kingdom"}
    assert "Scientific name (scientific_name) is required" in errors["scientific_name"]


def test_values_outside_a_vocabulary_list_the_allowed_ones():
    errors = errors_of(
        ICH, {"local_id": "I-1", "title": "农乐舞", "category": "舞蹈", "level": "国家级"}
    )
    assert "'舞蹈' is not one of the allowed values" in errors["category"]
    assert "传统舞蹈" in errors["category"]


def test_vocabulary_accepts_the_english_label_and_stores_the_chinese_term():
    cleaned = ICH.validate(
        {"local_id": "I-1", "title": "农乐舞", "category": "Traditional dance", "level": "national"}
    )
    assert (cleaned["category"], cleaned["level"]) == ("传统舞蹈", "国家级")


def test_impossible_date_is_refused():
    errors = errors_of(NATURAL, valid_natural(date="2011-02-30"))
    assert "not a real calendar date" in errors["date"]


def test_coordinates_must_be_numbers_in_range_and_come_in_pairs():
    assert (
        "not a decimal number"
        in errors_of(NATURAL, valid_natural(latitude="北纬42度", longitude="128"))["latitude"]
    )
    assert (
        "outside -90…90"
        in errors_of(NATURAL, valid_natural(latitude="142", longitude="128"))["latitude"]
    )
    assert "go together" in errors_of(NATURAL, valid_natural(latitude="42.1"))["longitude"]


def test_unknown_fields_and_control_characters_are_refused():
    assert (
        "not a field of the natural_history profile"
        in errors_of(NATURAL, valid_natural(colour="red"))["colour"]
    )
    assert (
        "control character U+0007"
        in errors_of(NATURAL, valid_natural(habitat="林下\x07"))["habitat"]
    )


def test_line_breaks_are_refused_in_one_line_fields_but_kept_in_paragraphs():
    assert (
        "must be on one line"
        in errors_of(NATURAL, valid_natural(locality="长白山\n北坡"))["locality"]
    )
    cleaned = NATURAL.validate(valid_natural(description="第一段\r\n\t第二段"))
    assert cleaned["description"] == "第一段\n\t第二段"


def test_metadata_that_is_not_an_object_is_refused_with_a_message():
    with pytest.raises(MetadataInvalid) as caught:
        NATURAL.validate(["local_id", "A-1"])
    assert caught.value.errors["_"][0].zh == "metadata 应为 JSON 对象"


def test_year_fields_take_four_digits():
    errors = errors_of(
        ICH,
        {"local_id": "I-1", "title": "x", "category": "民俗", "level": "省级", "batch_year": "06"},
    )
    assert "is not a year" in errors["batch_year"]


def test_spreadsheet_headers_may_be_keys_or_labels():
    assert NATURAL.field_for_header("学名").key == "scientific_name"
    assert NATURAL.field_for_header(" Scientific name ").key == "scientific_name"
    assert NATURAL.field_for_header("海拔（米）").key == "elevation_m"
    assert NATURAL.field_for_header("colour") is None


def test_dublin_core_crosswalk_follows_the_declaration():
    cleaned = NATURAL.validate(
        valid_natural(aliases=["棒槌"], photographer=["王明"], date="2011-06")
    )
    dc = NATURAL.dublin_core(cleaned)
    assert dc["title"] == ["人参", "Panax ginseng C. A. Mey.", "棒槌"]
    assert dc["creator"] == ["王明"]
    assert dc["identifier"] == ["NH-1"]
    assert dc["date"] == ["2011-06"]


def test_year_range_comes_from_the_date_field():
    years = NATURAL.year_range_of(NATURAL.validate(valid_natural(date="20世纪50年代")))
    assert (years.start, years.end) == (1950, 1959)
