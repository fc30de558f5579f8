"""The Image API over HTTP: info.json, every parameter form, errors, caching, publication."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from ingest.services import save_new_record
from ingest.uploads import ImageUpload
from repository.models import Asset, RecordStatus
from repository.services import records
from repository.transactions import unit_of_work
from tests.factories import SAMPLE_METADATA
from tests.ingest.image_factory import BLUE, GREEN, RED, YELLOW, quadrants

BASE = "/iiif/image/3"
WHITE = (255, 255, 255)
_local_ids = itertools.count(1)

Publish = Callable[..., Asset]


@pytest.fixture
def publish(make_collection, make_user) -> Publish:
    """Put one image into a new record (published unless told otherwise) and return its asset."""

    def publish_image(
        picture: Image.Image | bytes | None = None,
        *,
        format: str = "PNG",
        status: RecordStatus = RecordStatus.PUBLISHED,
    ) -> Asset:
        """``picture`` is saved in ``format``; bytes are uploaded as they are."""
        picture = picture if picture is not None else quadrants((400, 300))
        if isinstance(picture, bytes):
            upload = io.BytesIO(picture)
        else:
            upload = io.BytesIO()
            picture.save(upload, format)
            upload.seek(0)
        contributor = make_user("contributor")
        collection = make_collection()
        data = {**SAMPLE_METADATA["natural_history"], "local_id": f"IIIF-{next(_local_ids)}"}
        extension = {"JPEG": "jpg"}.get(format, format.lower())
        record = save_new_record(
            contributor, collection, data, [ImageUpload(upload, f"picture.{extension}")]
        )
        if status is not RecordStatus.DRAFT:
            records.submit_record(contributor, record)
        if status in (RecordStatus.PUBLISHED, RecordStatus.WITHDRAWN):
            admin = make_user("admin", library=contributor.library)
            records.publish_record(admin, record)
            if status is RecordStatus.WITHDRAWN:
                records.withdraw_record(admin, record)
        return record.assets[0]

    return publish_image


@pytest.fixture
def cache_root(app: Flask, tmp_path: Path) -> Path:
    root = tmp_path / "iiif-cache"
    app.config["IIIF_CACHE_ROOT"] = str(root)
    return root


@pytest.fixture(autouse=True)
def plain_configuration(app: Flask, cache_root: Path):
    """Each test starts from the default limits, no proxy hand-off and no BASE_URL."""
    keys = ("IIIF_MAX_WIDTH", "IIIF_MAX_HEIGHT", "IIIF_MAX_AREA", "IIIF_X_ACCEL_PREFIX", "BASE_URL")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(IIIF_MAX_WIDTH=10_000, IIIF_MAX_HEIGHT=10_000, IIIF_MAX_AREA=40_000_000)
    app.config["IIIF_X_ACCEL_PREFIX"] = None
    app.config["BASE_URL"] = None
    yield
    app.config.update(saved)


def fetch_image(client: FlaskClient, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def colour_at(image: Image.Image, x: int, y: int) -> tuple[int, ...]:
    return image.convert("RGB").getpixel((x, y))


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 20) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def corners(image: Image.Image) -> list[tuple[int, ...]]:
    """Colours a little inside the top-left, top-right, bottom-left and bottom-right corners."""
    w, h = image.size
    inset_x, inset_y = max(1, w // 8), max(1, h // 8)
    points = [(inset_x, inset_y), (w - 1 - inset_x, inset_y)]
    points += [(inset_x, h - 1 - inset_y), (w - 1 - inset_x, h - 1 - inset_y)]
    return [colour_at(image, x, y) for x, y in points]


def assert_corners(image: Image.Image, expected: list[tuple[int, int, int]]) -> None:
    actual = corners(image)
    assert all(near(a, e) for a, e in zip(actual, expected, strict=True)), actual


# Image Information --------------------------------------------------------------------------


def test_info_json_describes_the_image_service(client: FlaskClient, publish: Publish) -> None:
    asset = publish(quadrants((1200, 900)))

    response = client.get(f"{BASE}/{asset.public_id}/info.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "http://iiif.io/api/image/3/context.json" in response.headers["Link"]
    info = response.get_json()
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == f"http://huiku.test{BASE}/{asset.public_id}"
    assert info["type"] == "ImageService3"
    assert info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level2"
    assert (info["width"], info["height"]) == (1200, 900)
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (10_000, 10_000, 40_000_000)
    assert info["sizes"] == [
        {"width": 200, "height": 150},  # the small thumbnail (the large one is a level)
        {"width": 300, "height": 225},
        {"width": 600, "height": 450},
        {"width": 1200, "height": 900},
    ]
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}]
    assert info["extraFormats"] == ["png", "webp"]
    assert info["extraQualities"] == ["color", "gray", "bitonal"]
    for feature in ("mirroring", "rotationArbitrary", "sizeUpscaling", "regionSquare", "cors"):
        assert feature in info["extraFeatures"]


def test_every_advertised_size_and_tile_can_be_fetched(
    client: FlaskClient, publish: Publish
) -> None:
    asset = publish(quadrants((1200, 900)))
    info = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()

    for size in info["sizes"]:
        url = f"{BASE}/{asset.public_id}/full/{size['width']},{size['height']}/0/default.jpg"
        assert fetch_image(client, url).size == (size["width"], size["height"])
    tile = info["tiles"][0]["width"]
    for factor in info["tiles"][0]["scaleFactors"]:
        span = tile * factor
        width = min(span, 1200) // factor
        url = f"{BASE}/{asset.public_id}/0,0,{span},{span}/{width},/0/default.jpg"
        image = fetch_image(client, url)
        assert image.width == width
        assert near(colour_at(image, 5, 5), RED)


def test_json_ld_is_returned_when_asked_for(client: FlaskClient, publish: Publish) -> None:
    asset = publish()

    response = client.get(
        f"{BASE}/{asset.public_id}/info.json", headers={"Accept": "application/ld+json"}
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
    )
    assert response.get_json(force=True)["type"] == "ImageService3"
    browser = client.get(f"{BASE}/{asset.public_id}/info.json", headers={"Accept": "*/*"})
    assert browser.headers["Content-Type"] == "application/json"


def test_base_url_setting_names_the_service(app: Flask, client: FlaskClient, publish: Publish):
    asset = publish()
    app.config["BASE_URL"] = "https://images.example.org/huiku/"

    info = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()
    image = client.get(f"{BASE}/{asset.public_id}/full/max/0/default.jpg")

    assert info["id"] == f"https://images.example.org/huiku{BASE}/{asset.public_id}"
    assert (
        f"<https://images.example.org/huiku{BASE}/{asset.public_id}/full/max/0/default.jpg>"
        in (image.headers["Link"])
    )


def test_the_base_uri_redirects_to_info_json(client: FlaskClient, publish: Publish) -> None:
    asset = publish()

    for path in (f"{BASE}/{asset.public_id}", f"{BASE}/{asset.public_id}/"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == (
            f"http://huiku.test{BASE}/{asset.public_id}/info.json"
        )
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_info_json_answers_conditional_requests(client: FlaskClient, publish: Publish) -> None:
    asset = publish()
    first = client.get(f"{BASE}/{asset.public_id}/info.json")

    again = client.get(
        f"{BASE}/{asset.public_id}/info.json", headers={"If-None-Match": first.headers["ETag"]}
    )

    assert again.status_code == 304
    assert again.data == b""
    assert "max-age" in first.headers["Cache-Control"]


# Regions, sizes, rotations, qualities, formats ----------------------------------------------


@pytest.mark.parametrize(
    ("region", "size", "colours"),
    [
        ("full", (400, 300), [RED, GREEN, BLUE, YELLOW]),
        ("square", (300, 300), [RED, GREEN, BLUE, YELLOW]),
        ("0,0,200,150", (200, 150), [RED] * 4),
        ("200,0,200,150", (200, 150), [GREEN] * 4),
        ("0,150,200,150", (200, 150), [BLUE] * 4),
        ("200,150,900,900", (200, 150), [YELLOW] * 4),  # clipped at the image's edge
        ("pct:50,0,50,50", (200, 150), [GREEN] * 4),
        ("pct:0,50,50,50", (200, 150), [BLUE] * 4),
        ("pct:25,25,50,50", (200, 150), [RED, GREEN, BLUE, YELLOW]),
    ],
)
def test_regions(client: FlaskClient, publish: Publish, region, size, colours) -> None:
    asset = publish()

    image = fetch_image(client, f"{BASE}/{asset.public_id}/{region}/max/0/default.png")

    assert image.size == size
    assert_corners(image, colours)


def test_square_region_is_taken_from_the_middle(client: FlaskClient, publish: Publish) -> None:
    picture = Image.new("RGB", (500, 300), RED)
    picture.paste(GREEN, (100, 0, 400, 300))
    asset = publish(picture)

    image = fetch_image(client, f"{BASE}/{asset.public_id}/square/max/0/default.png")

    assert image.size == (300, 300)
    assert image.getcolors() == [(300 * 300, GREEN)]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("max", (400, 300)),
        ("200,", (200, 150)),
        (",150", (200, 150)),
        ("pct:50", (200, 150)),
        ("100,100", (100, 100)),
        ("!100,100", (100, 75)),
        ("!400,50", (67, 50)),
        ("^800,", (800, 600)),
        ("^,600", (800, 600)),
        ("^pct:150", (600, 450)),
        ("^1000,300", (1000, 300)),
        ("^!800,800", (800, 600)),
        ("^max", (400, 300)),  # limits set to the image's own size below
        ("^200,", (200, 150)),  # ^ allows upscaling, it does not demand it
    ],
)
def test_sizes(app: Flask, client: FlaskClient, publish: Publish, size, expected) -> None:
    asset = publish()
    if size == "^max":
        app.config.update(IIIF_MAX_WIDTH=400, IIIF_MAX_HEIGHT=300, IIIF_MAX_AREA=120_000)

    image = fetch_image(client, f"{BASE}/{asset.public_id}/full/{size}/0/default.png")

    assert image.size == expected
    assert_corners(image, [RED, GREEN, BLUE, YELLOW])


def test_caret_max_upscales_to_the_limits(app: Flask, client, publish: Publish) -> None:
    asset = publish()
    app.config.update(IIIF_MAX_WIDTH=1000, IIIF_MAX_HEIGHT=1000, IIIF_MAX_AREA=600_000)

    upscaled = fetch_image(client, f"{BASE}/{asset.public_id}/full/^max/0/default.jpg")
    plain = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/0/default.jpg")
    info = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()

    assert upscaled.size == (894, 670)
    assert upscaled.width * upscaled.height <= 600_000
    assert plain.size == (400, 300)
    assert (info["maxWidth"], info["maxHeight"], info["maxArea"]) == (1000, 1000, 600_000)


def test_max_of_an_image_past_the_limits_is_scaled_down(app: Flask, client, publish: Publish):
    asset = publish()
    app.config.update(IIIF_MAX_WIDTH=200)

    image = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/0/default.png")
    info = client.get(f"{BASE}/{asset.public_id}/info.json").get_json()
    too_wide = client.get(f"{BASE}/{asset.public_id}/full/300,/0/default.png")

    assert image.size == (200, 150)
    assert {"width": 400, "height": 300} not in info["sizes"]
    assert too_wide.status_code == 400


@pytest.mark.parametrize(
    ("rotation", "size", "colours"),
    [
        ("0", (400, 300), [RED, GREEN, BLUE, YELLOW]),
        ("90", (300, 400), [BLUE, RED, YELLOW, GREEN]),
        ("180", (400, 300), [YELLOW, BLUE, GREEN, RED]),
        ("270", (300, 400), [GREEN, YELLOW, RED, BLUE]),
        ("!0", (400, 300), [GREEN, RED, YELLOW, BLUE]),
        ("!90", (300, 400), [YELLOW, GREEN, BLUE, RED]),
        ("!180", (400, 300), [BLUE, YELLOW, RED, GREEN]),
        ("360", (400, 300), [RED, GREEN, BLUE, YELLOW]),
    ],
)
def test_quarter_turns_and_mirroring(client, publish: Publish, rotation, size, colours) -> None:
    asset = publish()

    image = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/{rotation}/default.png")

    assert image.size == size
    assert_corners(image, colours)


def test_arbitrary_rotation_fills_corners_with_transparency_or_white(client, publish) -> None:
    asset = publish(Image.new("RGB", (400, 300), RED))

    png = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/45/default.png")
    jpg = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/22.5/default.jpg")

    assert png.size in [(495, 495), (496, 496)]
    assert png.mode == "RGBA"
    assert png.getpixel((0, 0))[3] == 0
    assert near(png.getpixel((247, 247))[:3], RED) and png.getpixel((247, 247))[3] == 255
    assert jpg.width > 400 and jpg.height > 300
    assert near(colour_at(jpg, 1, 1), WHITE)
    assert near(colour_at(jpg, jpg.width // 2, jpg.height // 2), RED)


def test_qualities(client: FlaskClient, publish: Publish) -> None:
    asset = publish()
    url = f"{BASE}/{asset.public_id}/full/max/0"

    color = fetch_image(client, f"{url}/color.png")
    default = fetch_image(client, f"{url}/default.png")
    gray = fetch_image(client, f"{url}/gray.png")
    gray_jpeg = fetch_image(client, f"{url}/gray.jpg")
    bitonal = fetch_image(client, f"{url}/bitonal.png")
    bitonal_jpeg = fetch_image(client, f"{url}/bitonal.jpg")

    assert color.mode == default.mode == "RGB"
    assert_corners(color, [RED, GREEN, BLUE, YELLOW])
    assert gray.mode == "L" and gray_jpeg.mode == "L"
    luma = [round(0.299 * r + 0.587 * g + 0.114 * b) for r, g, b in (RED, GREEN, BLUE, YELLOW)]
    assert [gray.getpixel((50, 50)), gray.getpixel((350, 250))] == [luma[0], luma[3]]
    assert bitonal.mode == "1"
    assert sorted(value for _, value in bitonal.getcolors()) == [0, 255]
    assert bitonal.getpixel((50, 50)) == 0 and bitonal.getpixel((350, 250)) == 255  # red, yellow
    assert bitonal_jpeg.mode == "L"
    assert sum(n for n, v in bitonal_jpeg.getcolors() if v < 30 or v > 225) > 0.97 * 400 * 300


@pytest.mark.parametrize(
    ("extension", "pillow_format", "media_type"),
    [("jpg", "JPEG", "image/jpeg"), ("png", "PNG", "image/png"), ("webp", "WEBP", "image/webp")],
)
def test_formats(client, publish: Publish, extension, pillow_format, media_type) -> None:
    asset = publish()

    response = client.get(f"{BASE}/{asset.public_id}/full/200,/0/default.{extension}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == media_type
    image = Image.open(io.BytesIO(response.data))
    assert image.format == pillow_format
    assert image.size == (200, 150)
    assert_corners(image, [RED, GREEN, BLUE, YELLOW])


def test_image_responses_carry_canonical_and_profile_links(client, publish: Publish) -> None:
    asset = publish()

    response = client.get(f"{BASE}/{asset.public_id}/pct:0,0,50,50/100,/0/default.jpg")

    assert response.headers["Link"] == (
        f"<http://huiku.test{BASE}/{asset.public_id}/0,0,200,150/100,75/0/default.jpg>"
        ';rel="canonical", <http://iiif.io/api/image/3/level2.json>;rel="profile"'
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert "Vary" not in response.headers  # no Vary: Cookie, though a session exists


def test_signed_in_readers_share_the_same_cacheable_responses(
    client: FlaskClient, publish: Publish, make_user, login
) -> None:
    asset = publish()
    anonymous = client.get(f"{BASE}/{asset.public_id}/full/max/0/default.jpg")
    login(make_user("contributor"))

    signed_in = client.get(f"{BASE}/{asset.public_id}/full/max/0/default.jpg")
    info = client.get(f"{BASE}/{asset.public_id}/info.json")

    assert signed_in.data == anonymous.data
    assert signed_in.headers["ETag"] == anonymous.headers["ETag"]
    assert "Vary" not in signed_in.headers
    assert set(info.headers["Vary"].split(", ")) == {"Accept", "Accept-Encoding"}  # no Cookie
    assert "Set-Cookie" not in signed_in.headers


def test_cors_preflight(client: FlaskClient, publish: Publish) -> None:
    asset = publish()

    response = client.options(
        f"{BASE}/{asset.public_id}/info.json",
        headers={"Origin": "https://viewer.example", "Access-Control-Request-Headers": "accept"},
    )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_head_requests_get_headers_only(client: FlaskClient, publish: Publish) -> None:
    asset = publish()

    response = client.head(f"{BASE}/{asset.public_id}/full/max/0/default.jpg")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.data == b""


# Bad requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tail", "status"),
    [
        ("full/max/0", 400),
        ("full/max", 400),
        ("full", 400),
        ("info", 400),
        ("full/max/0/default", 400),
        ("full//0/default.jpg", 400),
        ("0,0,0,100/max/0/default.jpg", 400),
        ("0,0,100,0/max/0/default.jpg", 400),
        ("-10,0,100,100/max/0/default.jpg", 400),
        ("400,0,10,10/max/0/default.jpg", 400),
        ("0,300,10,10/max/0/default.jpg", 400),
        ("pct:0,0,0,50/max/0/default.jpg", 400),
        ("pct:120,0,10,10/max/0/default.jpg", 400),
        ("full/401,/0/default.jpg", 400),
        ("full/pct:200/0/default.jpg", 400),
        ("full/!800,800/0/default.jpg", 400),
        ("full/full/0/default.jpg", 400),
        ("full/0,/0/default.jpg", 400),
        ("full/^20000,/0/default.jpg", 400),
        ("full/^9000,9000/0/default.jpg", 400),
        ("full/max/400/default.jpg", 400),
        ("full/max/-90/default.jpg", 400),
        ("full/max/0/grey.jpg", 400),
        ("full/max/0/native.jpg", 400),
        ("full/max/0/default.jpeg", 400),
        ("full/max/0/default.bmp", 400),
        ("full/max/0/default.tif", 501),
        ("full/max/0/default.gif", 501),
        ("full/max/0/default.jp2", 501),
        ("full/max/0/default.pdf", 501),
    ],
)
def test_bad_requests_get_the_spec_status_with_a_reason(
    client: FlaskClient, publish: Publish, tail: str, status: int
) -> None:
    asset = publish()

    response = client.get(f"{BASE}/{asset.public_id}/{tail}")

    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    reason = response.get_data(as_text=True)
    assert reason.startswith(f"{status}: ") and len(reason) < 300


@pytest.mark.parametrize(
    "path",
    [
        "nosuchimage/info.json",
        "nosuchimage/full/max/0/default.jpg",
        "nosuchimage",
        "",
        "a/b/full/max/0/default.jpg",
        "a%2Fb/full/max/0/default.jpg",
        "a%2fb/info.json",
        "..%2F..%2Foriginals/full/max/0/default.jpg",
        "../info.json",
        "..%5Cwindows/info.json",
        "%2E%2E/full/max/0/default.jpg",
        "[frob]/full/max/0/default.jpg",
        "a b/info.json",
    ],
)
def test_unknown_or_impossible_identifiers_are_404(client: FlaskClient, path: str) -> None:
    response = client.get(f"{BASE}/{path}")

    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_data(as_text=True).startswith("404: ")


def test_an_identifier_with_slashes_around_a_real_image_is_404(client, publish: Publish):
    asset = publish()

    for path in (
        f"{asset.public_id}/{asset.public_id}/full/max/0/default.jpg",
        f"{asset.public_id}%2F{asset.public_id}/info.json",
        f"x/{asset.public_id}/info.json",
    ):
        assert client.get(f"{BASE}/{path}").status_code == 404


# Publication --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.WITHDRAWN]
)
def test_images_of_unpublished_records_are_404_like_unknown_ones(
    client: FlaskClient, publish: Publish, status: RecordStatus
) -> None:
    asset = publish(status=status)

    for tail in ("info.json", "full/max/0/default.jpg", ""):
        response = client.get(f"{BASE}/{asset.public_id}/{tail}".rstrip("/"))
        unknown = client.get(f"{BASE}/zzzzzzzzzz/{tail}".rstrip("/"))
        assert response.status_code == 404
        assert response.data == unknown.data


def test_images_of_an_unpublished_collection_are_404(client, publish: Publish) -> None:
    asset = publish()
    assert client.get(f"{BASE}/{asset.public_id}/info.json").status_code == 200

    with unit_of_work():
        asset.record.collection.published = False

    assert client.get(f"{BASE}/{asset.public_id}/info.json").status_code == 404
    assert client.get(f"{BASE}/{asset.public_id}/full/max/0/default.jpg").status_code == 404


def test_a_withdrawn_record_stops_serving_even_cached_tiles(
    client: FlaskClient, publish: Publish, make_user
) -> None:
    asset = publish()
    url = f"{BASE}/{asset.public_id}/full/max/0/default.jpg"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # now from the cache

    records.withdraw_record(make_user("admin", library=asset.record.library), asset.record)

    assert client.get(url).status_code == 404


# Caching ------------------------------------------------------------------------------------


def test_responses_are_cached_by_canonical_request(
    client: FlaskClient, publish: Publish, cache_root: Path
) -> None:
    asset = publish()
    first = client.get(f"{BASE}/{asset.public_id}/0,0,200,150/max/0/default.png")
    cached = [p for p in cache_root.rglob("*.png")]
    assert len(cached) == 1
    assert asset.sha256 in str(cached[0].relative_to(cache_root))
    assert cached[0].read_bytes() == first.data

    # Replace the cached bytes: if they come back, the file was served, not a new rendering.
    marker = io.BytesIO()
    Image.new("RGB", (200, 150), (1, 2, 3)).save(marker, "PNG")
    cached[0].write_bytes(marker.getvalue())
    for equivalent in ("0,0,200,150/max/0", "pct:0,0,50,50/200,/0", "0,0,200,150/,150/360"):
        again = client.get(f"{BASE}/{asset.public_id}/{equivalent}/default.png")
        assert again.status_code == 200
        assert again.data == marker.getvalue()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Content-Length"] == str(len(marker.getvalue()))
    assert len(list(cache_root.rglob("*.png"))) == 1


def test_different_requests_get_different_etags(client, publish: Publish) -> None:
    asset = publish()
    etags = {
        client.get(f"{BASE}/{asset.public_id}/{tail}").headers["ETag"]
        for tail in ("full/max/0/default.jpg", "full/max/0/default.png", "full/200,/0/gray.jpg")
    }
    assert len(etags) == 3


def test_conditional_requests_get_304(client: FlaskClient, publish: Publish) -> None:
    asset = publish()
    url = f"{BASE}/{asset.public_id}/full/200,/0/default.jpg"
    first = client.get(url)

    by_etag = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})

    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == first.headers["ETag"]
    assert by_etag.headers["Access-Control-Allow-Origin"] == "*"
    assert 'rel="canonical"' in by_etag.headers["Link"]
    assert by_date.status_code == 304
    assert stale.status_code == 200 and stale.data == first.data


def test_cached_files_are_handed_to_nginx_when_configured(
    app: Flask, client: FlaskClient, publish: Publish, cache_root: Path
) -> None:
    asset = publish()
    app.config["IIIF_X_ACCEL_PREFIX"] = "/_iiif_cache/"
    url = f"{BASE}/{asset.public_id}/full/max/0/default.jpg"

    first = client.get(url)
    second = client.get(url)

    assert first.status_code == 200 and Image.open(io.BytesIO(first.data)).size == (400, 300)
    assert second.status_code == 200 and second.data == b""
    target = second.headers["X-Accel-Redirect"]
    assert target.startswith("/_iiif_cache/")
    assert (cache_root / target.removeprefix("/_iiif_cache/")).read_bytes() == first.data
    assert second.headers["Content-Type"] == "image/jpeg"
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_an_unwritable_cache_does_not_stop_images(
    app: Flask, client: FlaskClient, publish: Publish, tmp_path: Path
) -> None:
    asset = publish()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache folder should be")
    app.config["IIIF_CACHE_ROOT"] = str(blocker)

    image = fetch_image(client, f"{BASE}/{asset.public_id}/full/max/0/default.jpg")

    assert image.size == (400, 300)


def test_nothing_is_written_outside_the_cache_root(client, publish: Publish, tmp_path, cache_root):
    asset = publish()
    before = {p for p in tmp_path.rglob("*") if cache_root not in p.parents and p != cache_root}

    for path in (
        "..%2F..%2Fescape/full/max/0/default.jpg",
        f"{asset.public_id}/full/max/0/default.jpg",
    ):
        client.get(f"{BASE}/{path}")

    after = {p for p in tmp_path.rglob("*") if cache_root not in p.parents and p != cache_root}
    assert after == before
