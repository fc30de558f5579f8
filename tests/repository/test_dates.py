"""Dates are kept as written and read into a year range."""

import pytest

from repository.profiles.dates import DateNotUnderstood, parse_date


@pytest.mark.parametrize(
    ("written", "start", "end"),
    [
        ("2011-06-18", 2011, 2011),
        ("2011-06", 2011, 2011),
        ("2011", 2011, 2011),
        ("2011年6月18日", 2011, 2011),
        ("1950s", 1950, 1959),
        ("1950年代", 1950, 1959),
        ("20世纪50年代", 1950, 1959),
        ("二十世纪五十年代", 1950, 1959),
        ("19世纪", 1800, 1899),
        ("20世纪初", 1900, 1919),
        ("清代", 1644, 1911),
        ("清", 1644, 1911),
        ("民国", 1912, 1949),
        ("民国时期", 1912, 1949),
        ("伪满时期", 1932, 1945),
        ("约1930", 1925, 1935),
        ("1930?", 1925, 1935),
        ("光绪十七年", 1891, 1891),
        ("民国二十年", 1931, 1931),
        ("宣统元年", 1909, 1909),
        ("光绪年间", 1875, 1908),
        ("1930-1935", 1930, 1935),
        ("1930—35", 1930, 1935),
        ("清代至民国", 1644, 1949),
    ],
)
def test_cataloguers_date_forms_become_year_ranges(written, start, end):
    years = parse_date(written)
    assert (years.start, years.end) == (start, end)


def test_approximate_dates_are_marked():
    assert parse_date("约1930").approximate
    assert not parse_date("1930").approximate


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("2011-13-01", "not a real calendar date"),
        ("2011-02-30", "not a real calendar date"),
        ("3011", "future"),
        ("宣统五年", "only 3 years"),
        ("1935-1930", "ends before it starts"),
        ("某年某月", "cannot read the date"),
    ],
)
def test_impossible_or_unreadable_dates_are_refused_with_a_reason(written, complaint):
    with pytest.raises(DateNotUnderstood) as caught:
        parse_date(written)
    assert complaint in str(caught.value.message)
    assert caught.value.message.zh  # and the same in Chinese
