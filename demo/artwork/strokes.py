"""Shapes and finishes shared by the motifs, drawn with Pillow primitives only.

No per-pixel Python loops: gradients, blur on a reduced copy and noise are whole-image
operations, so a 1600x1200 picture takes a few tens of milliseconds.
"""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]


def mix(a: Color, b: Color, t: float) -> Color:
    return (
        int(a[0] + (b[0] - a[0]) * t),
        int(a[1] + (b[1] - a[1]) * t),
        int(a[2] + (b[2] - a[2]) * t),
    )


def jitter(c: Color, rng: random.Random, amount: int = 18) -> Color:
    return tuple(max(0, min(255, v + rng.randint(-amount, amount))) for v in c)  # type: ignore[return-value]


def rgba(c: Color, alpha: int) -> tuple[int, int, int, int]:
    return (c[0], c[1], c[2], alpha)


def vertical_gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def soft_light(img: Image.Image, rng: random.Random, pal: dict[str, Color]) -> None:
    """Blurred glowing discs (bokeh), drawn small and scaled up."""
    w, h = img.size
    small = (max(1, w // 8), max(1, h // 8))
    layer = Image.new("RGBA", small, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    for _ in range(rng.randint(6, 12)):
        r = rng.uniform(0.03, 0.12) * small[0]
        x, y = rng.uniform(0, small[0]), rng.uniform(0, small[1] * 0.8)
        c = rng.choice([pal["light"], pal["secondary"], pal["sky_bottom"]])
        d.ellipse((x - r, y - r, x + r, y + r), fill=rgba(c, rng.randint(30, 80)))
    layer = layer.filter(ImageFilter.GaussianBlur(3)).resize(img.size, Image.Resampling.BILINEAR)
    img.paste(layer, (0, 0), layer)


def finish(img: Image.Image, rng: random.Random, pal: dict[str, Color]) -> Image.Image:
    """Vignette and a little film grain so the picture reads as a photograph-like plate."""
    w, h = img.size
    vignette = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: max(0, v - 120) * 90 // 135)
    img = Image.composite(Image.new("RGB", (w, h), pal["dark"]), img, vignette)
    gsize = (max(1, w // 3), max(1, h // 3))
    grain = Image.frombytes("L", gsize, rng.randbytes(gsize[0] * gsize[1])).resize((w, h))
    grain_rgb = Image.merge("RGB", (grain, grain, grain))
    return Image.blend(img, grain_rgb, 0.03 + rng.random() * 0.015)


def ground(d: ImageDraw.ImageDraw, w: int, h: int, rng: random.Random, color: Color, y0: float):
    """A gently rolling ground band from y0 (fraction of height) to the bottom."""
    pts = [(0, h)]
    steps = 12
    phase = rng.uniform(0, math.tau)
    for i in range(steps + 1):
        x = w * i / steps
        y = h * y0 + math.sin(phase + i * 0.7) * h * 0.02 + rng.uniform(-1, 1) * h * 0.008
        pts.append((x, y))
    pts.append((w, h))
    d.polygon(pts, fill=color)


def ridge(w: int, h: int, rng: random.Random, base: float, rough: float, n: int = 64):
    """Midpoint-displacement ridge line across the width."""
    heights = [0.0] * (n + 1)
    heights[0], heights[n] = rng.uniform(-1, 1), rng.uniform(-1, 1)
    step, scale = n, 1.0
    while step > 1:
        half = step // 2
        for i in range(half, n, step):
            heights[i] = (heights[i - half] + heights[i + half]) / 2 + rng.uniform(-scale, scale)
        step, scale = half, scale * 0.55
    return [(w * i / n, h * (base + rough * heights[i])) for i in range(n + 1)]


def rotate(points, cx: float, cy: float, angle: float):
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points]


def leaf_shape(length: float, width: float, n: int = 20):
    upper, lower = [], []
    for i in range(n + 1):
        t = i / n
        half = width * (math.sin(math.pi * t) ** 0.85) * (1.0 - 0.25 * t)
        upper.append((t * length, -half))
        lower.append((t * length, half))
    return upper + lower[::-1]


def draw_leaf(d, cx, cy, length, width, angle, fill: Color, vein: Color) -> None:
    d.polygon(rotate(leaf_shape(length, width), cx, cy, angle), fill=fill)
    tip = rotate([(0, 0), (length * 0.95, 0)], cx, cy, angle)
    d.line(tip, fill=vein, width=max(1, int(width * 0.08)))


def petal_flower(d, cx, cy, radius, petals, angle, fill: Color, center: Color) -> None:
    for k in range(petals):
        a = angle + k * math.tau / petals
        shape = leaf_shape(radius, radius * 0.42, 14)
        d.polygon(rotate(shape, cx, cy, a), fill=fill)
    r = radius * 0.28
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=center)


def conifer(d, x, base, height, width, fill: Color, trunk: Color) -> None:
    d.rectangle((x - width * 0.05, base - height * 0.2, x + width * 0.05, base), fill=trunk)
    tiers = 4
    for i in range(tiers):
        y1 = base - height * (0.15 + 0.2 * i)
        y0 = y1 - height * 0.35
        half = width * (0.5 - 0.1 * i)
        d.polygon([(x - half, y1), (x + half, y1), (x, y0)], fill=fill)


def figure(d, x, base, height, body: Color, skin: Color, arm_angle: float, rng) -> None:
    head_r = height * 0.09
    d.polygon(
        [(x - height * 0.22, base), (x + height * 0.22, base), (x, base - height * 0.62)], fill=body
    )
    d.rectangle(
        (x - height * 0.06, base - height * 0.78, x + height * 0.06, base - height * 0.5), fill=body
    )
    for side in (-1, 1):
        a = -math.pi / 2 + side * arm_angle
        ax, ay = x, base - height * 0.72
        d.line(
            [(ax, ay), (ax + math.cos(a) * height * 0.35, ay + math.sin(a) * height * 0.35)],
            fill=body,
            width=max(3, int(height * 0.04)),
        )
    hy = base - height * 0.78 - head_r
    d.ellipse((x - head_r, hy - head_r, x + head_r, hy + head_r), fill=skin)
