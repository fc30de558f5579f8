"""The demo's pictures are drawn from their recipes: every motif, reproducibly."""

import dataclasses

import pytest

from demo import dataset
from demo.artwork import MOTIFS, PALETTE_KEYS, Recipe, render, render_jpeg

PALETTES = dataset.palettes()
RECIPES = dataset.recipes()


def test_recipes_use_known_motifs_and_palettes_at_varied_sizes():
    for recipe in RECIPES.values():
        assert recipe.motif in MOTIFS, recipe.file
        assert recipe.palette in PALETTES, recipe.file
        width, height = recipe.size
        assert 800 <= width <= 4000 and 800 <= height <= 4000, recipe.file
    sizes = {recipe.size for recipe in RECIPES.values()}
    assert (1600, 1200) in sizes
    assert any(height > width for width, height in sizes)
    for name, palette in PALETTES.items():
        assert tuple(palette) == PALETTE_KEYS, name


@pytest.mark.parametrize("motif", sorted({r.motif for r in RECIPES.values()}))
@pytest.mark.parametrize("size", [(1600, 1200), (1200, 1600)])
def test_every_motif_renders(motif: str, size: tuple[int, int]):
    image = render(Recipe("test.jpg", motif, "forest", 7, size), PALETTES)
    assert image.size == size and image.mode == "RGB"
    low, high = zip(*image.getextrema(), strict=True)
    assert max(high) - min(low) > 60  # not a flat fill


def test_a_recipe_always_gives_the_same_jpeg_and_another_seed_another():
    recipe = Recipe("flower.jpg", "flower", "meadow", 1, (320, 240))
    assert render_jpeg(recipe, PALETTES) == render_jpeg(recipe, PALETTES)
    other = dataclasses.replace(recipe, seed=2)
    assert render(recipe, PALETTES).tobytes() != render(other, PALETTES).tobytes()


def test_every_recipe_renders_small():
    for recipe in RECIPES.values():
        small = (recipe.size[0] // 8, recipe.size[1] // 8)
        assert render(dataclasses.replace(recipe, size=small), PALETTES).size == small


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"motif": "spaceship"}, "unknown motif 'spaceship'"),
        ({"palette": "neon"}, "unknown palette"),
    ],
)
def test_a_bad_recipe_is_refused_naming_its_picture(change: dict, says: str):
    recipe = dataclasses.replace(Recipe("X-1/图.jpg", "leaf", "forest", 1), **change)
    with pytest.raises(ValueError, match=says) as refused:
        render(recipe, PALETTES)
    assert "X-1/图.jpg" in str(refused.value)
