"""Synthetic illustrations for the demo dataset.

The demo records carry image *specs* (a motif, a palette, a label), not files. This module turns
a spec into a clearly synthetic picture with Pillow alone: gradients, soft light and a few shapes
that suggest the motif. No fonts are needed and nothing is read from disk, so it works anywhere.

Rendering is deterministic: the same motif, seed, label, size and palette give the same pixels.
Everything is drawn with ImageDraw primitives and whole-image operations (gradients, blur on a
reduced copy, noise), never with per-pixel Python loops, so a 1600x1200 picture takes a few tens
of milliseconds.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]

DEFAULT_SIZE = (1600, 1200)
PORTRAIT_SIZE = (1200, 1600)

# sky_top, sky_bottom, ground, primary, secondary, accent, dark, light
PALETTES: dict[str, dict[str, Color]] = {
    "forest": {
        "sky_top": (120, 170, 160),
        "sky_bottom": (220, 232, 205),
        "ground": (58, 96, 62),
        "primary": (46, 125, 70),
        "secondary": (130, 180, 90),
        "accent": (205, 60, 50),
        "dark": (28, 52, 38),
        "light": (240, 244, 225),
    },
    "alpine": {
        "sky_top": (70, 120, 190),
        "sky_bottom": (200, 225, 245),
        "ground": (120, 140, 105),
        "primary": (235, 200, 80),
        "secondary": (120, 160, 110),
        "accent": (250, 245, 235),
        "dark": (60, 70, 85),
        "light": (250, 252, 255),
    },
    "autumn": {
        "sky_top": (215, 140, 70),
        "sky_bottom": (250, 225, 170),
        "ground": (125, 80, 45),
        "primary": (200, 90, 40),
        "secondary": (230, 170, 60),
        "accent": (150, 30, 30),
        "dark": (70, 40, 25),
        "light": (255, 240, 210),
    },
    "meadow": {
        "sky_top": (140, 195, 230),
        "sky_bottom": (235, 245, 225),
        "ground": (105, 160, 80),
        "primary": (230, 110, 150),
        "secondary": (250, 215, 90),
        "accent": (140, 90, 200),
        "dark": (45, 85, 50),
        "light": (255, 252, 240),
    },
    "dusk": {
        "sky_top": (60, 50, 110),
        "sky_bottom": (240, 150, 120),
        "ground": (55, 45, 75),
        "primary": (250, 190, 110),
        "secondary": (190, 110, 150),
        "accent": (255, 230, 170),
        "dark": (30, 25, 45),
        "light": (255, 235, 215),
    },
    "snow": {
        "sky_top": (150, 180, 215),
        "sky_bottom": (240, 245, 250),
        "ground": (225, 232, 240),
        "primary": (90, 110, 140),
        "secondary": (180, 195, 215),
        "accent": (200, 70, 60),
        "dark": (55, 65, 85),
        "light": (255, 255, 255),
    },
    "river": {
        "sky_top": (90, 150, 200),
        "sky_bottom": (215, 235, 240),
        "ground": (85, 130, 95),
        "primary": (60, 130, 180),
        "secondary": (150, 200, 215),
        "accent": (240, 200, 100),
        "dark": (30, 60, 80),
        "light": (235, 248, 250),
    },
    "paper": {
        "sky_top": (225, 210, 175),
        "sky_bottom": (205, 185, 145),
        "ground": (190, 165, 125),
        "primary": (70, 55, 40),
        "secondary": (140, 115, 85),
        "accent": (180, 40, 35),
        "dark": (50, 40, 30),
        "light": (245, 235, 210),
    },
    "sepia": {
        "sky_top": (200, 180, 150),
        "sky_bottom": (150, 125, 95),
        "ground": (110, 90, 65),
        "primary": (80, 62, 45),
        "secondary": (170, 148, 115),
        "accent": (230, 215, 185),
        "dark": (50, 38, 28),
        "light": (235, 222, 195),
    },
    "festival": {
        "sky_top": (250, 215, 120),
        "sky_bottom": (250, 245, 225),
        "ground": (200, 90, 70),
        "primary": (215, 45, 60),
        "secondary": (40, 110, 190),
        "accent": (250, 190, 40),
        "dark": (60, 30, 40),
        "light": (255, 250, 240),
    },
    "ink": {
        "sky_top": (235, 232, 222),
        "sky_bottom": (205, 205, 198),
        "ground": (150, 150, 145),
        "primary": (40, 45, 50),
        "secondary": (110, 115, 120),
        "accent": (185, 45, 40),
        "dark": (20, 22, 25),
        "light": (250, 248, 242),
    },
    "earth": {
        "sky_top": (175, 160, 130),
        "sky_bottom": (235, 225, 200),
        "ground": (120, 95, 65),
        "primary": (150, 100, 60),
        "secondary": (205, 175, 120),
        "accent": (95, 130, 70),
        "dark": (60, 45, 30),
        "light": (250, 242, 225),
    },
}

DEFAULT_PALETTES: dict[str, str] = {
    "leaf": "forest",
    "flower": "meadow",
    "tree": "forest",
    "berry": "autumn",
    "mushroom": "earth",
    "animal": "forest",
    "bird": "river",
    "mountain": "alpine",
    "river": "river",
    "dance": "festival",
    "music": "dusk",
    "craft": "festival",
    "document": "paper",
    "map": "paper",
    "building": "sepia",
}


def _seed_for(motif: str, seed: int, label: str, size: tuple[int, int], palette: str) -> int:
    key = f"{motif}|{seed}|{label}|{size[0]}x{size[1]}|{palette}".encode()
    return zlib.crc32(key)


def _mix(a: Color, b: Color, t: float) -> Color:
    return (
        int(a[0] + (b[0] - a[0]) * t),
        int(a[1] + (b[1] - a[1]) * t),
        int(a[2] + (b[2] - a[2]) * t),
    )


def _jitter(c: Color, rng: random.Random, amount: int = 18) -> Color:
    return tuple(max(0, min(255, v + rng.randint(-amount, amount))) for v in c)  # type: ignore[return-value]


def _rgba(c: Color, alpha: int) -> tuple[int, int, int, int]:
    return (c[0], c[1], c[2], alpha)


def _vertical_gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _soft_light(img: Image.Image, rng: random.Random, pal: dict[str, Color]) -> None:
    """Blurred glowing discs (bokeh), drawn small and scaled up."""
    w, h = img.size
    small = (max(1, w // 8), max(1, h // 8))
    layer = Image.new("RGBA", small, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    for _ in range(rng.randint(6, 12)):
        r = rng.uniform(0.03, 0.12) * small[0]
        x, y = rng.uniform(0, small[0]), rng.uniform(0, small[1] * 0.8)
        c = rng.choice([pal["light"], pal["secondary"], pal["sky_bottom"]])
        d.ellipse((x - r, y - r, x + r, y + r), fill=_rgba(c, rng.randint(30, 80)))
    layer = layer.filter(ImageFilter.GaussianBlur(3)).resize(img.size, Image.Resampling.BILINEAR)
    img.paste(layer, (0, 0), layer)


def _finish(img: Image.Image, rng: random.Random, pal: dict[str, Color]) -> Image.Image:
    """Vignette and a little film grain so the picture reads as a photograph-like plate."""
    w, h = img.size
    vignette = Image.radial_gradient("L").resize((w, h), Image.Resampling.BILINEAR)
    vignette = vignette.point(lambda v: max(0, v - 120) * 90 // 135)
    img = Image.composite(Image.new("RGB", (w, h), pal["dark"]), img, vignette)
    gsize = (max(1, w // 3), max(1, h // 3))
    grain = Image.frombytes("L", gsize, rng.randbytes(gsize[0] * gsize[1])).resize((w, h))
    grain_rgb = Image.merge("RGB", (grain, grain, grain))
    return Image.blend(img, grain_rgb, 0.03 + rng.random() * 0.015)


def _ground(d: ImageDraw.ImageDraw, w: int, h: int, rng: random.Random, color: Color, y0: float):
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


def _ridge(w: int, h: int, rng: random.Random, base: float, rough: float, n: int = 64):
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


def _rotate(points, cx: float, cy: float, angle: float):
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points]


def _leaf_shape(length: float, width: float, n: int = 20):
    upper, lower = [], []
    for i in range(n + 1):
        t = i / n
        half = width * (math.sin(math.pi * t) ** 0.85) * (1.0 - 0.25 * t)
        upper.append((t * length, -half))
        lower.append((t * length, half))
    return upper + lower[::-1]


def _draw_leaf(d, cx, cy, length, width, angle, fill: Color, vein: Color) -> None:
    d.polygon(_rotate(_leaf_shape(length, width), cx, cy, angle), fill=fill)
    tip = _rotate([(0, 0), (length * 0.95, 0)], cx, cy, angle)
    d.line(tip, fill=vein, width=max(1, int(width * 0.08)))


def _petal_flower(d, cx, cy, radius, petals, angle, fill: Color, center: Color) -> None:
    for k in range(petals):
        a = angle + k * math.tau / petals
        shape = _leaf_shape(radius, radius * 0.42, 14)
        d.polygon(_rotate(shape, cx, cy, a), fill=fill)
    r = radius * 0.28
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=center)


# --- motifs -------------------------------------------------------------------------------


def _motif_leaf(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    _ground(d, w, h, rng, _mix(pal["ground"], pal["dark"], 0.3), 0.86)
    for _ in range(rng.randint(3, 5)):  # background foliage, faded
        cx, cy = rng.uniform(0, w), rng.uniform(h * 0.2, h * 0.9)
        c = _mix(pal["secondary"], pal["sky_bottom"], 0.55)
        _draw_leaf(d, cx, cy, s * 0.3, s * 0.08, rng.uniform(0, math.tau), c, c)
    cx, cy = w * rng.uniform(0.42, 0.58), h * rng.uniform(0.5, 0.62)
    d.line(
        [(cx, cy), (cx + rng.uniform(-0.05, 0.05) * w, h)], fill=pal["dark"], width=int(s * 0.012)
    )
    groups = rng.randint(2, 4)
    for g in range(groups):  # whorled palmate leaves, ginseng-like
        base = -math.pi / 2 + (g - (groups - 1) / 2) * 0.9
        hub = (cx + math.cos(base) * s * 0.12, cy + math.sin(base) * s * 0.12)
        d.line([(cx, cy), hub], fill=pal["dark"], width=int(s * 0.008))
        for k in range(5):
            a = base + (k - 2) * 0.42
            length = s * (0.22 if k == 2 else 0.17 if k in (1, 3) else 0.1)
            fill = _jitter(pal["primary"], rng, 14)
            _draw_leaf(d, hub[0], hub[1], length, length * 0.3, a, fill, pal["dark"])
    if rng.random() < 0.7:  # a cluster of red berries at the centre
        for _ in range(rng.randint(6, 12)):
            r = s * rng.uniform(0.012, 0.02)
            bx, by = cx + rng.gauss(0, s * 0.02), cy - s * 0.22 + rng.gauss(0, s * 0.02)
            d.ellipse((bx - r, by - r, bx + r, by + r), fill=pal["accent"])


def _motif_flower(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    _ground(d, w, h, rng, pal["ground"], 0.78)
    for _ in range(rng.randint(20, 40)):  # meadow specks
        x, y = rng.uniform(0, w), rng.uniform(h * 0.8, h)
        r = s * rng.uniform(0.004, 0.01)
        d.ellipse((x - r, y - r, x + r, y + r), fill=_jitter(pal["secondary"], rng))
    for _ in range(rng.randint(3, 6)):
        x = rng.uniform(w * 0.12, w * 0.88)
        top = rng.uniform(h * 0.2, h * 0.55)
        sway = rng.uniform(-0.06, 0.06) * w
        d.line([(x, h * 0.95), (x + sway, top)], fill=pal["dark"], width=int(s * 0.008))
        for _ in range(2):
            ly = rng.uniform(top + (h - top) * 0.3, h * 0.9)
            side = rng.choice([-1, 1])
            angle = -math.pi / 2 + side * rng.uniform(0.5, 1.1)
            _draw_leaf(d, x + sway * 0.3, ly, s * 0.12, s * 0.03, angle, pal["ground"], pal["dark"])
        petals = rng.choice([4, 5, 6, 8])
        fill = _jitter(rng.choice([pal["primary"], pal["secondary"], pal["accent"]]), rng, 12)
        radius = s * rng.uniform(0.06, 0.11)
        _petal_flower(d, x + sway, top, radius, petals, rng.uniform(0, 1), fill, pal["secondary"])


def _conifer(d, x, base, height, width, fill: Color, trunk: Color) -> None:
    d.rectangle((x - width * 0.05, base - height * 0.2, x + width * 0.05, base), fill=trunk)
    tiers = 4
    for i in range(tiers):
        y1 = base - height * (0.15 + 0.2 * i)
        y0 = y1 - height * 0.35
        half = width * (0.5 - 0.1 * i)
        d.polygon([(x - half, y1), (x + half, y1), (x, y0)], fill=fill)


def _motif_tree(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    far = _mix(pal["primary"], pal["sky_bottom"], 0.6)
    for _ in range(rng.randint(10, 18)):
        x = rng.uniform(0, w)
        _conifer(d, x, h * 0.7, s * rng.uniform(0.18, 0.3), s * 0.1, far, far)
    _ground(d, w, h, rng, pal["ground"], 0.72)
    for _ in range(rng.randint(2, 4)):
        x = rng.uniform(w * 0.1, w * 0.9)
        height = h * rng.uniform(0.55, 0.85)
        if rng.random() < 0.5:
            _conifer(d, x, h * 0.9, height, s * 0.3, _jitter(pal["primary"], rng), pal["dark"])
        else:  # a broad-leaved tree with a pale trunk (birch-like)
            tw = s * 0.025
            d.rectangle((x - tw, h * 0.92 - height * 0.6, x + tw, h * 0.92), fill=pal["light"])
            for _ in range(5):
                y = h * 0.92 - height * rng.uniform(0.1, 0.55)
                d.line(
                    [(x - tw, y), (x + tw * 0.2, y)], fill=pal["dark"], width=max(2, int(s * 0.004))
                )
            for _ in range(7):
                r = s * rng.uniform(0.08, 0.14)
                cx = x + rng.uniform(-0.12, 0.12) * s
                cy = h * 0.92 - height * rng.uniform(0.6, 0.9)
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_jitter(pal["secondary"], rng))


def _motif_berry(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    y = h * rng.uniform(0.25, 0.4)
    pts = [(0, y)]
    for i in range(1, 9):
        pts.append((w * i / 8, y + math.sin(i * 0.9 + rng.random()) * h * 0.05))
    d.line(pts, fill=pal["dark"], width=int(s * 0.014))
    for i in range(1, 8):
        px, py = pts[i]
        for side in (-1, 1):
            angle = math.pi / 2 + side * rng.uniform(0.4, 0.9)
            _draw_leaf(
                d,
                px,
                py,
                s * 0.16,
                s * 0.045,
                angle - math.pi / 2 * 0.3,
                pal["secondary"],
                pal["dark"],
            )
        if rng.random() < 0.7:
            cx, cy = px + rng.uniform(-0.02, 0.02) * w, py + s * rng.uniform(0.1, 0.18)
            d.line([(px, py), (cx, cy)], fill=pal["dark"], width=max(2, int(s * 0.004)))
            for _ in range(rng.randint(3, 9)):
                r = s * rng.uniform(0.018, 0.03)
                bx, by = cx + rng.gauss(0, s * 0.03), cy + rng.gauss(0, s * 0.025)
                d.ellipse((bx - r, by - r, bx + r, by + r), fill=_jitter(pal["accent"], rng, 20))
                hr = r * 0.3
                d.ellipse(
                    (bx - r * 0.4 - hr, by - r * 0.4 - hr, bx - r * 0.4 + hr, by - r * 0.4 + hr),
                    fill=_rgba(pal["light"], 160),
                )


def _motif_mushroom(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    _ground(d, w, h, rng, pal["ground"], 0.72)
    for _ in range(rng.randint(30, 60)):  # leaf litter
        x, y = rng.uniform(0, w), rng.uniform(h * 0.74, h)
        _draw_leaf(
            d,
            x,
            y,
            s * 0.04,
            s * 0.012,
            rng.uniform(0, math.tau),
            _jitter(pal["secondary"], rng, 25),
            pal["dark"],
        )
    count = rng.randint(1, 4)
    for i in range(count):
        x = w * (i + 1) / (count + 1) + rng.uniform(-0.05, 0.05) * w
        base = h * rng.uniform(0.82, 0.92)
        stem_h = s * rng.uniform(0.18, 0.34)
        stem_w = s * rng.uniform(0.035, 0.06)
        d.rounded_rectangle(
            (x - stem_w, base - stem_h, x + stem_w, base),
            radius=int(stem_w * 0.6),
            fill=pal["light"],
        )
        cap_w = stem_w * rng.uniform(3.0, 4.5)
        cap_h = cap_w * rng.uniform(0.5, 0.8)
        top = base - stem_h - cap_h * 0.6
        cap = _jitter(pal["primary"], rng, 15)
        d.chord((x - cap_w, top, x + cap_w, top + cap_h * 2), 180, 360, fill=cap)
        d.ellipse(
            (x - cap_w, top + cap_h - cap_h * 0.12, x + cap_w, top + cap_h + cap_h * 0.12),
            fill=_mix(cap, pal["dark"], 0.35),
        )
        for _ in range(rng.randint(4, 9)):  # cap speckles
            sx = x + rng.uniform(-0.7, 0.7) * cap_w
            sy = top + cap_h * rng.uniform(0.25, 0.8)
            r = s * rng.uniform(0.006, 0.014)
            d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=_rgba(pal["light"], 150))


def _motif_animal(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    for _ in range(rng.randint(6, 12)):
        x = rng.uniform(0, w)
        c = _mix(pal["primary"], pal["sky_bottom"], 0.55)
        _conifer(d, x, h * 0.68, s * rng.uniform(0.25, 0.4), s * 0.12, c, c)
    _ground(d, w, h, rng, pal["ground"], 0.68)
    body_w, body_h = s * rng.uniform(0.36, 0.46), s * rng.uniform(0.17, 0.22)
    cx, cy = w * rng.uniform(0.4, 0.6), h * 0.66
    fur = _jitter(
        rng.choice([pal["dark"], _mix(pal["accent"], pal["dark"], 0.5), (150, 105, 60)]), rng, 10
    )
    facing = rng.choice([-1, 1])
    leg_w = body_w * 0.08
    for k in range(4):
        lx = cx - body_w * 0.38 + k * body_w * 0.25
        d.rounded_rectangle(
            (lx - leg_w, cy, lx + leg_w, cy + body_h * 1.3), radius=int(leg_w * 0.6), fill=fur
        )
    d.ellipse((cx - body_w / 2, cy - body_h / 2, cx + body_w / 2, cy + body_h / 2), fill=fur)
    hx, hy = cx + facing * body_w * 0.52, cy - body_h * 0.45
    hr = body_h * 0.42
    d.polygon(
        [
            (cx + facing * body_w * 0.25, cy - body_h * 0.3),
            (hx, hy - hr * 0.5),
            (hx, hy + hr * 0.6),
            (cx + facing * body_w * 0.3, cy + body_h * 0.1),
        ],
        fill=fur,
    )
    d.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=fur)
    for side in (-1, 1):
        ex = hx + side * hr * 0.5
        d.polygon(
            [(ex - hr * 0.3, hy - hr * 0.6), (ex + hr * 0.3, hy - hr * 0.6), (ex, hy - hr * 1.3)],
            fill=fur,
        )
    eye = hr * 0.12
    d.ellipse(
        (hx + facing * hr * 0.35 - eye, hy - eye * 2, hx + facing * hr * 0.35 + eye, hy),
        fill=pal["light"],
    )
    tx = cx - facing * body_w * 0.5
    d.line(
        [(tx, cy - body_h * 0.1), (tx - facing * body_w * 0.2, cy - body_h * 0.5)],
        fill=fur,
        width=int(body_h * 0.12),
    )
    if rng.random() < 0.5:  # stripes or spots
        for _ in range(rng.randint(5, 9)):
            sx = cx + rng.uniform(-0.35, 0.35) * body_w
            if rng.random() < 0.5:
                d.line(
                    [(sx, cy - body_h * 0.45), (sx + body_w * 0.03, cy + body_h * 0.1)],
                    fill=pal["dark"],
                    width=int(body_h * 0.06),
                )
            else:
                r = body_h * 0.06
                sy = cy + rng.uniform(-0.3, 0.2) * body_h
                d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=pal["light"])


def _motif_bird(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    y = h * rng.uniform(0.6, 0.7)
    d.line([(0, y + h * 0.05), (w, y - h * 0.03)], fill=pal["dark"], width=int(s * 0.02))
    for i in range(6):
        x = w * (i + 0.5) / 6
        _draw_leaf(
            d,
            x,
            y,
            s * 0.12,
            s * 0.035,
            -math.pi / 2 - rng.uniform(0.3, 1.2),
            pal["ground"],
            pal["dark"],
        )
    cx = w * rng.uniform(0.35, 0.65)
    cy = y - s * 0.13
    bw, bh = s * 0.22, s * 0.13
    body = _jitter(pal["primary"], rng, 12)
    facing = rng.choice([-1, 1])
    d.polygon(
        [
            (cx - facing * bw * 0.4, cy),
            (cx - facing * bw * 0.85, cy + bh * 0.5),
            (cx - facing * bw * 0.6, cy + bh * 0.15),
        ],
        fill=pal["dark"],
    )
    d.ellipse((cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2), fill=body)
    hx, hy, hr = cx + facing * bw * 0.42, cy - bh * 0.55, bh * 0.38
    d.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=_mix(body, pal["dark"], 0.5))
    d.polygon(
        [
            (hx + facing * hr * 0.8, hy - hr * 0.15),
            (hx + facing * hr * 1.8, hy + hr * 0.1),
            (hx + facing * hr * 0.8, hy + hr * 0.3),
        ],
        fill=pal["accent"],
    )
    d.polygon(
        [
            (hx - facing * hr * 0.2, hy - hr * 0.8),
            (hx - facing * hr * 1.4, hy - hr * 1.2),
            (hx - facing * hr * 0.7, hy - hr * 0.3),
        ],
        fill=_mix(body, pal["dark"], 0.5),
    )
    e = hr * 0.16
    d.ellipse(
        (
            hx + facing * hr * 0.3 - e,
            hy - hr * 0.2 - e,
            hx + facing * hr * 0.3 + e,
            hy - hr * 0.2 + e,
        ),
        fill=pal["light"],
    )
    wing = [
        (cx - facing * bw * 0.3, cy - bh * 0.2),
        (cx + facing * bw * 0.2, cy - bh * 0.1),
        (cx - facing * bw * 0.05, cy + bh * 0.35),
    ]
    d.polygon(wing, fill=_mix(body, pal["light"], 0.35))
    for side in (-0.1, 0.1):
        d.line(
            [(cx + side * bw, cy + bh * 0.45), (cx + side * bw, y)],
            fill=pal["dark"],
            width=max(2, int(s * 0.006)),
        )


def _motif_mountain(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    if rng.random() < 0.6:
        r = s * rng.uniform(0.05, 0.09)
        x, y = w * rng.uniform(0.15, 0.85), h * rng.uniform(0.12, 0.25)
        d.ellipse((x - r, y - r, x + r, y + r), fill=_rgba(pal["light"], 220))
    layers = rng.randint(3, 5)
    for i in range(layers):
        t = i / max(1, layers - 1)
        base = 0.38 + 0.14 * i
        ridge = _ridge(w, h, rng, base, 0.12 - 0.02 * i)
        c = _mix(_mix(pal["dark"], pal["sky_bottom"], 0.65), pal["ground"], t)
        d.polygon([(0, h), *ridge, (w, h)], fill=c)
        if i == 0:  # snow caps on the far range
            for j in range(1, len(ridge) - 1):
                if ridge[j][1] < ridge[j - 1][1] and ridge[j][1] < ridge[j + 1][1]:
                    x, y = ridge[j]
                    d.polygon(
                        [(x - s * 0.05, y + s * 0.04), (x, y), (x + s * 0.05, y + s * 0.04)],
                        fill=pal["light"],
                    )
    if rng.random() < 0.6:  # a crater lake in the foreground
        lx, ly = w * rng.uniform(0.3, 0.7), h * 0.86
        d.ellipse(
            (lx - w * 0.22, ly - h * 0.05, lx + w * 0.22, ly + h * 0.05), fill=pal["secondary"]
        )
        d.ellipse(
            (lx - w * 0.15, ly - h * 0.02, lx + w * 0.1, ly + h * 0.01),
            fill=_rgba(pal["light"], 90),
        )


def _motif_river(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ridge = _ridge(w, h, rng, 0.45, 0.08)
    d.polygon([(0, h), *ridge, (w, h)], fill=_mix(pal["ground"], pal["sky_bottom"], 0.4))
    _ground(d, w, h, rng, pal["ground"], 0.55)
    left, right = [], []
    phase = rng.uniform(0, math.tau)
    for i in range(41):
        t = i / 40
        y = h * (0.55 + 0.45 * t)
        cx = w * (0.5 + 0.22 * math.sin(phase + t * 4.0) * (0.4 + t))
        half = w * (0.01 + 0.2 * t**1.3)
        left.append((cx - half, y))
        right.append((cx + half, y))
    d.polygon(left + right[::-1], fill=pal["primary"])
    for _ in range(rng.randint(12, 24)):  # glints
        i = rng.randint(5, 39)
        x = rng.uniform(left[i][0], right[i][0])
        y = left[i][1]
        length = s * rng.uniform(0.02, 0.06)
        d.line(
            [(x - length, y), (x + length, y)],
            fill=_rgba(pal["light"], 150),
            width=max(2, int(s * 0.004)),
        )
    for _ in range(rng.randint(4, 8)):
        x = rng.choice([rng.uniform(0, w * 0.25), rng.uniform(w * 0.75, w)])
        c = _jitter(pal["dark"], rng, 15)
        _conifer(d, x, h * rng.uniform(0.7, 0.95), s * rng.uniform(0.2, 0.35), s * 0.1, c, c)


def _figure(d, x, base, height, body: Color, skin: Color, arm_angle: float, rng) -> None:
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


def _motif_dance(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    _ground(d, w, h, rng, _mix(pal["ground"], pal["light"], 0.2), 0.8)
    colors = [pal["primary"], pal["secondary"], pal["accent"], pal["light"]]
    n = rng.randint(3, 6)
    for i in range(n):
        x = w * (i + 0.5) / n + rng.uniform(-0.03, 0.03) * w
        base = h * rng.uniform(0.82, 0.9)
        height = s * rng.uniform(0.45, 0.6)
        body = _jitter(rng.choice(colors[:3]), rng, 10)
        _figure(d, x, base, height, body, (235, 205, 180), rng.uniform(0.4, 1.2), rng)
        hat_y = base - height * 0.95
        ribbon = rng.choice(colors)
        pts = []  # a long ribbon swirling from the hat (elephant-hat dance)
        turns = rng.uniform(1.2, 2.2)
        r0 = s * rng.uniform(0.12, 0.22)
        phase = rng.uniform(0, math.tau)
        for k in range(40):
            t = k / 39
            a = phase + t * turns * math.tau
            pts.append(
                (x + math.cos(a) * r0 * t * 1.3, hat_y + math.sin(a) * r0 * t * 0.6 - r0 * 0.3 * t)
            )
        d.line(pts, fill=ribbon, width=max(4, int(s * 0.012)), joint="curve")


def _motif_music(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    for k in range(rng.randint(3, 5)):  # sound waves
        amp = s * rng.uniform(0.02, 0.05)
        y0 = h * (0.12 + 0.07 * k)
        freq = rng.uniform(1.5, 3.0)
        step = max(8, w // 80)
        pts = [(x, y0 + math.sin(x / w * math.tau * freq + k) * amp) for x in range(0, w + 1, step)]
        d.line(pts, fill=_rgba(pal["light"], 110), width=max(2, int(s * 0.006)), joint="curve")
    # a long zither (gayageum-like) lying diagonally
    x0, y0 = w * 0.12, h * 0.78
    x1, y1 = w * 0.88, h * 0.55
    thick = s * 0.15
    ang = math.atan2(y1 - y0, x1 - x0)
    nx, ny = -math.sin(ang) * thick, math.cos(ang) * thick
    d.polygon([(x0, y0), (x1, y1), (x1 + nx, y1 + ny), (x0 + nx, y0 + ny)], fill=pal["primary"])
    strings = 12
    for k in range(strings):
        t = (k + 1) / (strings + 1)
        d.line(
            [(x0 + nx * t, y0 + ny * t), (x1 + nx * t, y1 + ny * t)],
            fill=pal["dark"],
            width=max(2, int(s * 0.003)),
        )
        bt = 0.45 + 0.3 * (k % 4) / 3
        bx = x0 + (x1 - x0) * bt + nx * t
        by = y0 + (y1 - y0) * bt + ny * t
        r = s * 0.01
        d.polygon([(bx - r, by + r), (bx + r, by + r), (bx, by - r)], fill=pal["accent"])
    # an hourglass drum
    cx, cy = w * rng.uniform(0.25, 0.4), h * 0.4
    dw, dh = s * 0.4, s * 0.2
    drum = _jitter(pal["secondary"], rng)
    d.polygon(
        [
            (cx - dw / 2, cy - dh / 2),
            (cx, cy - dh * 0.15),
            (cx, cy + dh * 0.15),
            (cx - dw / 2, cy + dh / 2),
        ],
        fill=drum,
    )
    d.polygon(
        [
            (cx + dw / 2, cy - dh / 2),
            (cx, cy - dh * 0.15),
            (cx, cy + dh * 0.15),
            (cx + dw / 2, cy + dh / 2),
        ],
        fill=drum,
    )
    for side in (-1, 1):
        ex = cx + side * dw / 2
        d.ellipse(
            (ex - dh * 0.18, cy - dh / 2, ex + dh * 0.18, cy + dh / 2),
            fill=pal["light"],
            outline=pal["dark"],
            width=max(2, int(s * 0.004)),
        )


def _motif_craft(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    side = s * 0.72
    cx, cy = w / 2, h / 2
    d.rectangle((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), fill=pal["light"])
    d.rectangle(
        (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2),
        outline=pal["dark"],
        width=int(s * 0.012),
    )
    inner = side * 0.44
    d.rectangle(
        (cx - inner, cy - inner, cx + inner, cy + inner),
        outline=pal["primary"],
        width=int(s * 0.008),
    )
    folds = rng.choice([4, 6, 8])
    colors = [pal["primary"], pal["secondary"], pal["accent"], pal["dark"]]
    rings = rng.randint(2, 4)
    for ring in range(rings, 0, -1):  # a radially symmetric rosette, like embroidery or paper-cut
        radius = inner * 0.95 * ring / rings
        fill = colors[ring % len(colors)]
        _petal_flower(
            d,
            cx,
            cy,
            radius,
            folds * (1 if ring % 2 else 2),
            rng.uniform(0, 1) * ring,
            fill,
            colors[(ring + 1) % len(colors)],
        )
    for k in range(4):  # corner motifs
        a = math.pi / 4 + k * math.pi / 2
        px, py = cx + math.cos(a) * inner * 1.25, cy + math.sin(a) * inner * 1.25
        _petal_flower(d, px, py, inner * 0.18, 4, a, pal["accent"], pal["primary"])


def _motif_document(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    pw, ph = s * 0.62, s * 0.82
    cx, cy = w / 2 + rng.uniform(-0.03, 0.03) * w, h / 2
    d.rectangle(
        (
            cx - pw / 2 + s * 0.015,
            cy - ph / 2 + s * 0.02,
            cx + pw / 2 + s * 0.015,
            cy + ph / 2 + s * 0.02,
        ),
        fill=_rgba(pal["dark"], 90),
    )
    d.rectangle((cx - pw / 2, cy - ph / 2, cx + pw / 2, cy + ph / 2), fill=pal["light"])
    margin = pw * 0.08
    d.rectangle(
        (cx - pw / 2 + margin, cy - ph / 2 + margin, cx + pw / 2 - margin, cy + ph / 2 - margin),
        outline=pal["secondary"],
        width=max(2, int(s * 0.004)),
    )
    cols = rng.randint(8, 12)
    col_w = (pw - 2 * margin) / cols
    for c in range(cols):  # vertical columns of "characters", read right to left
        x = cx + pw / 2 - margin - col_w * (c + 0.5)
        y = cy - ph / 2 + margin * 1.4
        end = cy + ph / 2 - margin * rng.uniform(1.3, 3.5)
        d.line(
            [(x + col_w / 2, cy - ph / 2 + margin), (x + col_w / 2, cy + ph / 2 - margin)],
            fill=pal["secondary"],
            width=1,
        )
        while y < end:
            gh = col_w * rng.uniform(0.45, 0.7)
            d.rectangle(
                (x - col_w * 0.28, y, x + col_w * 0.28, y + gh),
                fill=_rgba(pal["primary"], rng.randint(150, 230)),
            )
            y += gh + col_w * 0.25
    sx, sy = cx - pw / 2 + margin * 2.2, cy + ph / 2 - margin * 2.4
    sr = pw * 0.08
    d.rectangle((sx - sr, sy - sr, sx + sr, sy + sr), outline=pal["accent"], width=int(s * 0.008))
    d.rectangle(
        (sx - sr * 0.6, sy - sr * 0.6, sx + sr * 0.6, sy + sr * 0.6), fill=_rgba(pal["accent"], 170)
    )
    for k in range(4):  # stitched binding holes on the right edge
        hy = cy - ph / 2 + ph * (k + 1) / 5
        r = s * 0.007
        d.ellipse(
            (cx + pw / 2 - margin * 0.45 - r, hy - r, cx + pw / 2 - margin * 0.45 + r, hy + r),
            fill=pal["dark"],
        )


def _motif_map(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    m = s * 0.06
    d.rectangle(
        (m, m, w - m, h - m), fill=pal["light"], outline=pal["primary"], width=int(s * 0.008)
    )
    step = s * 0.12
    x = m
    while x < w - m:
        d.line([(x, m), (x, h - m)], fill=_rgba(pal["secondary"], 90), width=1)
        x += step
    y = m
    while y < h - m:
        d.line([(m, y), (w - m, y)], fill=_rgba(pal["secondary"], 90), width=1)
        y += step
    for _ in range(rng.randint(2, 4)):  # contour loops
        cx, cy = rng.uniform(w * 0.2, w * 0.8), rng.uniform(h * 0.2, h * 0.8)
        for k in range(rng.randint(3, 6)):
            r = s * (0.04 + 0.035 * k)
            d.ellipse(
                (cx - r * 1.3, cy - r, cx + r * 1.3, cy + r),
                outline=_rgba(pal["secondary"], 200),
                width=max(2, int(s * 0.003)),
            )
    pts = []
    phase = rng.uniform(0, math.tau)
    for i in range(30):  # a river
        t = i / 29
        pts.append((m + (w - 2 * m) * t, h * (0.5 + 0.25 * math.sin(phase + t * 5))))
    d.line(pts, fill=(70, 120, 170), width=int(s * 0.012), joint="curve")
    for _ in range(rng.randint(4, 8)):  # settlements
        x, y = rng.uniform(w * 0.15, w * 0.85), rng.uniform(h * 0.15, h * 0.85)
        r = s * 0.012
        d.rectangle((x - r, y - r, x + r, y + r), fill=pal["accent"])
    cx, cy, r = w - m * 3, m * 3, s * 0.06  # compass
    d.polygon(
        [(cx, cy - r), (cx + r * 0.25, cy), (cx, cy + r), (cx - r * 0.25, cy)], fill=pal["primary"]
    )
    d.polygon(
        [(cx - r, cy), (cx, cy - r * 0.25), (cx + r, cy), (cx, cy + r * 0.25)],
        fill=pal["secondary"],
    )


def _motif_building(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    _ground(d, w, h, rng, pal["ground"], 0.8)
    bw = w * rng.uniform(0.5, 0.7)
    cx = w / 2
    base = h * 0.82
    wall_h = s * rng.uniform(0.2, 0.28)
    wall = _jitter(pal["secondary"], rng, 10)
    d.rectangle(
        (cx - bw / 2 - s * 0.03, base, cx + bw / 2 + s * 0.03, base + s * 0.04), fill=pal["light"]
    )
    d.rectangle((cx - bw / 2, base - wall_h, cx + bw / 2, base), fill=wall)
    cols = rng.randint(4, 8)
    for k in range(cols + 1):  # columns and openings
        x = cx - bw / 2 + bw * k / cols
        d.rectangle((x - s * 0.012, base - wall_h, x + s * 0.012, base), fill=pal["primary"])
        if k < cols:
            x2 = x + bw / cols
            d.rectangle(
                (x + s * 0.03, base - wall_h * 0.75, x2 - s * 0.03, base - wall_h * 0.2),
                fill=_mix(pal["dark"], wall, 0.3),
            )
    roof_top = base - wall_h - s * rng.uniform(0.14, 0.2)
    over = bw * 0.12
    eave = base - wall_h
    curve = s * 0.05
    roof = [
        (cx - bw / 2 - over, eave - curve),
        (cx - bw / 2 - over * 0.6, eave),
        (cx + bw / 2 + over * 0.6, eave),
        (cx + bw / 2 + over, eave - curve),
        (cx + bw * 0.3, roof_top),
        (cx - bw * 0.3, roof_top),
    ]
    d.polygon(roof, fill=pal["dark"])
    d.line(
        [(cx - bw * 0.32, roof_top), (cx + bw * 0.32, roof_top)],
        fill=pal["primary"],
        width=int(s * 0.014),
    )
    for k in range(12):  # roof tile lines
        t = k / 11
        x = cx - bw * 0.3 + bw * 0.6 * t
        d.line(
            [(x, roof_top), (cx - bw / 2 - over * 0.6 + (bw + over * 1.2) * t, eave)],
            fill=_mix(pal["dark"], pal["light"], 0.15),
            width=max(1, int(s * 0.003)),
        )


MOTIFS: dict[str, Callable] = {
    "leaf": _motif_leaf,
    "flower": _motif_flower,
    "tree": _motif_tree,
    "berry": _motif_berry,
    "mushroom": _motif_mushroom,
    "animal": _motif_animal,
    "bird": _motif_bird,
    "mountain": _motif_mountain,
    "river": _motif_river,
    "dance": _motif_dance,
    "music": _motif_music,
    "craft": _motif_craft,
    "document": _motif_document,
    "map": _motif_map,
    "building": _motif_building,
}


def render_demo_image(
    motif: str,
    seed: int,
    label: str,
    size: tuple[int, int] = DEFAULT_SIZE,
    palette: str | None = None,
) -> Image.Image:
    """Draw a synthetic RGB illustration of ``motif`` at ``size`` (width, height).

    ``seed`` and ``label`` make each picture different but reproducible; ``palette`` names one of
    ``PALETTES`` (defaults to one suited to the motif). Unknown motifs or palettes raise
    ``ValueError``.
    """
    if motif not in MOTIFS:
        raise ValueError(f"unknown motif {motif!r}; known: {', '.join(sorted(MOTIFS))}")
    palette = palette or DEFAULT_PALETTES[motif]
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}; known: {', '.join(sorted(PALETTES))}")
    size = (int(size[0]), int(size[1]))
    if size[0] < 16 or size[1] < 16:
        raise ValueError("size must be at least 16x16")
    rng = random.Random(_seed_for(motif, seed, label, size, palette))
    pal = {k: _jitter(v, rng, 8) for k, v in PALETTES[palette].items()}
    img = _vertical_gradient(size, pal["sky_top"], pal["sky_bottom"])
    _soft_light(img, rng, pal)
    draw = ImageDraw.Draw(img, "RGBA")
    MOTIFS[motif](img, draw, rng, pal)
    return _finish(img, rng, pal)
