"""The demo's pictures, drawn from their recipes (``demo/data/pictures.toml``) with Pillow alone.

A recipe names a motif, a palette, a size and a seed; the drawing is clearly synthetic
(gradients, soft light and a few shapes that suggest the motif), needs no fonts and reads
nothing from disk. The same recipe always gives the same pixels, so the same JPEG bytes, which
is what lets a second import of the demo find every picture unchanged.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PIL import Image, ImageDraw

from demo.artwork import culture, nature
from demo.artwork.strokes import Color, finish, jitter, soft_light, vertical_gradient

DEFAULT_SIZE = (1600, 1200)
MOTIFS: dict[str, Callable] = {**nature.MOTIFS, **culture.MOTIFS}
#: The colours every palette names.
PALETTE_KEYS = (
    "sky_top",
    "sky_bottom",
    "ground",
    "primary",
    "secondary",
    "accent",
    "dark",
    "light",
)
Palette = Mapping[str, Color]


@dataclass(frozen=True)
class Recipe:
    """One picture: ``file`` is the name the records' images column gives it."""

    file: str
    motif: str
    palette: str
    seed: int
    size: tuple[int, int] = DEFAULT_SIZE


def render(recipe: Recipe, palettes: Mapping[str, Palette]) -> Image.Image:
    """Draw the recipe as an RGB picture; an unknown motif or palette raises ``ValueError``."""
    if recipe.motif not in MOTIFS:
        known = ", ".join(sorted(MOTIFS))
        raise ValueError(f"{recipe.file}: unknown motif {recipe.motif!r}; known: {known}")
    if recipe.palette not in palettes:
        known = ", ".join(sorted(palettes))
        raise ValueError(f"{recipe.file}: unknown palette {recipe.palette!r}; known: {known}")
    size = (int(recipe.size[0]), int(recipe.size[1]))
    if size[0] < 16 or size[1] < 16:
        raise ValueError(f"{recipe.file}: a picture is at least 16x16 pixels, not {size}")
    rng = random.Random(recipe.seed)
    pal = {key: jitter(tuple(value), rng, 8) for key, value in palettes[recipe.palette].items()}
    img = vertical_gradient(size, pal["sky_top"], pal["sky_bottom"])
    soft_light(img, rng, pal)
    MOTIFS[recipe.motif](img, ImageDraw.Draw(img, "RGBA"), rng, pal)
    return finish(img, rng, pal)


def render_jpeg(recipe: Recipe, palettes: Mapping[str, Palette]) -> bytes:
    """The picture as the JPEG file the import reads."""
    buffer = io.BytesIO()
    render(recipe, palettes).convert("RGB").save(buffer, "JPEG", quality=88)
    return buffer.getvalue()
