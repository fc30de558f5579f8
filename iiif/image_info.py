"""The Image Information document (``info.json``) of one image, Image API 3.0 level 2."""

from __future__ import annotations

from typing import Any

from iiif.image_request import Limits
from repository.images.derivatives import DerivativeSet, pyramid_chain

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROTOCOL = "http://iiif.io/api/image"
PROFILE = "level2"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"

#: Everything this server does, including what level 2 already implies.
FEATURES = (
    "baseUriRedirect",
    "canonicalLinkHeader",
    "cors",
    "jsonldMediaType",
    "mirroring",
    "profileLinkHeader",
    "regionByPct",
    "regionByPx",
    "regionSquare",
    "rotationArbitrary",
    "rotationBy90s",
    "sizeByConfinedWh",
    "sizeByH",
    "sizeByPct",
    "sizeByW",
    "sizeByWh",
    "sizeUpscaling",
)
EXTRA_FORMATS = ("png", "webp")
EXTRA_QUALITIES = ("color", "gray", "bitonal")


def info_document(
    service_id: str, width: int, height: int, derivatives: DerivativeSet, limits: Limits
) -> dict[str, Any]:
    """The document for an image whose service answers at ``service_id``.

    ``sizes`` are the pyramid's levels and the thumbnails, ``tiles`` use the pyramid's scale
    factors, so a viewer asks for exactly what is stored: each such answer is a stored file,
    sent as it is. They are the levels of the complete pyramid even while its task has not run
    yet (the thumbnails are made by the save), so the document does not change when it has
    (requests meanwhile render from the original).
    """
    chain = pyramid_chain(derivatives.width, derivatives.height, derivatives.tile_size)
    stored = set(chain) | {(t.width, t.height) for t in derivatives.thumbnails}
    sizes = [
        {"width": width, "height": height}
        for width, height in sorted(stored)
        if limits.allows(width, height)
    ]
    tile = derivatives.tile_size
    return {
        "@context": CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": PROTOCOL,
        "profile": PROFILE,
        "width": width,
        "height": height,
        "maxWidth": limits.max_width,
        "maxHeight": limits.max_height,
        "maxArea": limits.max_area,
        "sizes": sizes,
        "tiles": [
            {
                "width": tile,
                "height": tile,
                "scaleFactors": [2**index for index in range(len(chain))],
            }
        ],
        "extraFormats": list(EXTRA_FORMATS),
        "extraQualities": list(EXTRA_QUALITIES),
        "extraFeatures": list(FEATURES),
    }
