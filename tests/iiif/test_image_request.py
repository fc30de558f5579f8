"""Image request syntax and its meaning for one image: pixels, output size, canonical form."""

from __future__ import annotations

import pytest

from iiif.image_request import ImageRequestError, Limits, parse_image_request, resolve

LIMITS = Limits(max_width=10_000, max_height=10_000, max_area=40_000_000)


def canonical(path: str, width: int = 400, height: int = 300, limits: Limits = LIMITS) -> str:
    return resolve(parse_image_request(*path.split("/")), width, height, limits).canonical


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("full/max/0/default.jpg", "full/max/0/default.jpg"),
        ("0,0,400,300/400,/0/default.jpg", "full/max/0/default.jpg"),
        ("pct:0,0,100,100/pct:100/360/default.jpg", "full/max/0/default.jpg"),
        ("square/max/0/default.png", "50,0,300,300/max/0/default.png"),
        ("pct:50,50,50,50/max/0/gray.webp", "200,150,200,150/max/0/gray.webp"),
        ("300,200,500,500/max/0/default.jpg", "300,200,100,100/max/0/default.jpg"),
        ("full/200,/0/default.jpg", "full/200,150/0/default.jpg"),
        ("full/,150/0/default.jpg", "full/200,150/0/default.jpg"),
        ("full/pct:50/0/default.jpg", "full/200,150/0/default.jpg"),
        ("full/!100,100/0/default.jpg", "full/100,75/0/default.jpg"),
        ("full/100,100/0/default.jpg", "full/100,100/0/default.jpg"),
        ("full/^800,/0/default.jpg", "full/^800,600/0/default.jpg"),
        ("full/^!800,900/0/default.jpg", "full/^800,600/0/default.jpg"),
        ("full/^pct:50/0/default.jpg", "full/200,150/0/default.jpg"),
        ("full/^max/0/default.jpg", "full/^7302,5477/0/default.jpg"),
        ("full/max/!90/bitonal.png", "full/max/!90/bitonal.png"),
        ("full/max/22.50/color.jpg", "full/max/22.5/color.jpg"),
        ("full/max/!0/default.jpg", "full/max/!0/default.jpg"),
    ],
)
def test_equivalent_requests_share_one_canonical_form(path: str, expected: str) -> None:
    assert canonical(path) == expected


def test_square_of_a_square_image_is_the_full_region() -> None:
    assert canonical("square/max/0/default.jpg", 500, 500) == "full/max/0/default.jpg"


def test_max_stays_within_the_limits_and_is_canonical_there() -> None:
    small = Limits(max_width=200, max_height=1000, max_area=1_000_000)
    plan = resolve(parse_image_request("full", "max", "0", "default.jpg"), 400, 300, small)
    assert (plan.width, plan.height) == (200, 150)
    assert plan.canonical == "full/max/0/default.jpg"
    assert canonical("full/200,/0/default.jpg", limits=small) == "full/max/0/default.jpg"


def test_area_limit_keeps_the_shape() -> None:
    limits = Limits(max_width=10_000, max_height=10_000, max_area=30_000)
    plan = resolve(parse_image_request("full", "max", "0", "default.jpg"), 400, 300, limits)
    assert plan.width * plan.height <= 30_000
    assert abs(plan.width / plan.height - 4 / 3) < 0.02


def test_region_and_output_pixels() -> None:
    plan = resolve(parse_image_request("10,20,30,40", "^60,", "90", "gray.png"), 400, 300, LIMITS)
    assert (plan.x, plan.y, plan.region_width, plan.region_height) == (10, 20, 30, 40)
    assert (plan.width, plan.height) == (60, 80)
    assert plan.scale == 2
    assert (plan.degrees, plan.mirror, plan.quality, plan.format) == (90, False, "gray", "png")
    assert plan.media_type == "image/png"


@pytest.mark.parametrize(
    ("segments", "status", "words"),
    [
        (("fuII", "max", "0", "default.jpg"), 400, "region"),
        (("0,0,10", "max", "0", "default.jpg"), 400, "region"),
        (("-1,0,10,10", "max", "0", "default.jpg"), 400, "region"),
        (("0,0,10.5,10", "max", "0", "default.jpg"), 400, "region"),
        (("pct:a,0,10,10", "max", "0", "default.jpg"), 400, "region"),
        (("0,0,12345678901,10", "max", "0", "default.jpg"), 400, "region"),
        (("full", "full", "0", "default.jpg"), 400, "size"),
        (("full", "", "0", "default.jpg"), 400, "size"),
        (("full", ",", "0", "default.jpg"), 400, "size"),
        (("full", "^", "0", "default.jpg"), 400, "size"),
        (("full", "!100,", "0", "default.jpg"), 400, "!w,h"),
        (("full", "0,", "0", "default.jpg"), 400, "above zero"),
        (("full", "10,0", "0", "default.jpg"), 400, "above zero"),
        (("full", "pct:0", "0", "default.jpg"), 400, "above zero"),
        (("full", "max", "361", "default.jpg"), 400, "rotation"),
        (("full", "max", "-90", "default.jpg"), 400, "rotation"),
        (("full", "max", "!!90", "default.jpg"), 400, "rotation"),
        (("full", "max", "90deg", "default.jpg"), 400, "rotation"),
        (("full", "max", "0", "default"), 400, "{quality}.{format}"),
        (("full", "max", "0", "grey.jpg"), 400, "quality"),
        (("full", "max", "0", "native.jpg"), 400, "quality"),
        (("full", "max", "0", "default.jpeg"), 400, "format"),
        (("full", "max", "0", "default.bmp"), 400, "format"),
        (("full", "max", "0", "default."), 400, "format"),
        (("full", "max", "0", "default.tif"), 501, "tif"),
        (("full", "max", "0", "default.gif"), 501, "gif"),
        (("full", "max", "0", "default.jp2"), 501, "jp2"),
        (("full", "max", "0", "default.pdf"), 501, "pdf"),
    ],
)
def test_malformed_requests_are_refused_with_a_reason(
    segments: tuple[str, ...], status: int, words: str
) -> None:
    with pytest.raises(ImageRequestError) as refused:
        parse_image_request(*segments)
    assert refused.value.status == status
    assert words in refused.value.reason


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("0,0,0,10/max/0/default.jpg", "above zero"),
        ("0,0,10,0/max/0/default.jpg", "above zero"),
        ("400,0,10,10/max/0/default.jpg", "outside"),
        ("0,300,10,10/max/0/default.jpg", "outside"),
        ("pct:0,0,0,10/max/0/default.jpg", "above zero"),
        ("pct:100,0,10,10/max/0/default.jpg", "outside"),
        ("full/401,/0/default.jpg", "prefix the size with ^"),
        ("full/,301/0/default.jpg", "prefix the size with ^"),
        ("full/pct:101/0/default.jpg", "prefix the size with ^"),
        ("full/400,301/0/default.jpg", "prefix the size with ^"),
        ("full/!800,600/0/default.jpg", "prefix the size with ^"),
        ("0,0,10,10/11,/0/default.jpg", "prefix the size with ^"),
        ("full/^10001,/0/default.jpg", "limits"),
        ("full/^7000,7000/0/default.jpg", "limits"),
        ("full/^pct:10000/0/default.jpg", "limits"),
    ],
)
def test_requests_that_do_not_fit_the_image_or_limits_are_400(path: str, words: str) -> None:
    with pytest.raises(ImageRequestError) as refused:
        canonical(path)
    assert refused.value.status == 400
    assert words in refused.value.reason


def test_a_tiny_percentage_region_is_still_one_pixel() -> None:
    plan = resolve(
        parse_image_request("pct:0,0,0.01,0.01", "max", "0", "default.jpg"), 400, 300, LIMITS
    )
    assert (plan.region_width, plan.region_height) == (1, 1)
