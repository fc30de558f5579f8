"""Motifs of the mountain: plants, fungi, animals and landscapes.

Each motif draws on a picture already filled with its palette's sky; ``rng`` is the picture's
own random generator, so the same recipe always gives the same drawing.
"""

from __future__ import annotations

import math

from demo.artwork.strokes import conifer, draw_leaf, ground, jitter, mix, petal_flower, rgba, ridge


def leaf(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ground(d, w, h, rng, mix(pal["ground"], pal["dark"], 0.3), 0.86)
    for _ in range(rng.randint(3, 5)):  # background foliage, faded
        cx, cy = rng.uniform(0, w), rng.uniform(h * 0.2, h * 0.9)
        c = mix(pal["secondary"], pal["sky_bottom"], 0.55)
        draw_leaf(d, cx, cy, s * 0.3, s * 0.08, rng.uniform(0, math.tau), c, c)
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
            fill = jitter(pal["primary"], rng, 14)
            draw_leaf(d, hub[0], hub[1], length, length * 0.3, a, fill, pal["dark"])
    if rng.random() < 0.7:  # a cluster of red berries at the centre
        for _ in range(rng.randint(6, 12)):
            r = s * rng.uniform(0.012, 0.02)
            bx, by = cx + rng.gauss(0, s * 0.02), cy - s * 0.22 + rng.gauss(0, s * 0.02)
            d.ellipse((bx - r, by - r, bx + r, by + r), fill=pal["accent"])


def flower(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ground(d, w, h, rng, pal["ground"], 0.78)
    for _ in range(rng.randint(20, 40)):  # meadow specks
        x, y = rng.uniform(0, w), rng.uniform(h * 0.8, h)
        r = s * rng.uniform(0.004, 0.01)
        d.ellipse((x - r, y - r, x + r, y + r), fill=jitter(pal["secondary"], rng))
    for _ in range(rng.randint(3, 6)):
        x = rng.uniform(w * 0.12, w * 0.88)
        top = rng.uniform(h * 0.2, h * 0.55)
        sway = rng.uniform(-0.06, 0.06) * w
        d.line([(x, h * 0.95), (x + sway, top)], fill=pal["dark"], width=int(s * 0.008))
        for _ in range(2):
            ly = rng.uniform(top + (h - top) * 0.3, h * 0.9)
            side = rng.choice([-1, 1])
            angle = -math.pi / 2 + side * rng.uniform(0.5, 1.1)
            draw_leaf(d, x + sway * 0.3, ly, s * 0.12, s * 0.03, angle, pal["ground"], pal["dark"])
        petals = rng.choice([4, 5, 6, 8])
        fill = jitter(rng.choice([pal["primary"], pal["secondary"], pal["accent"]]), rng, 12)
        radius = s * rng.uniform(0.06, 0.11)
        petal_flower(d, x + sway, top, radius, petals, rng.uniform(0, 1), fill, pal["secondary"])


def tree(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    far = mix(pal["primary"], pal["sky_bottom"], 0.6)
    for _ in range(rng.randint(10, 18)):
        x = rng.uniform(0, w)
        conifer(d, x, h * 0.7, s * rng.uniform(0.18, 0.3), s * 0.1, far, far)
    ground(d, w, h, rng, pal["ground"], 0.72)
    for _ in range(rng.randint(2, 4)):
        x = rng.uniform(w * 0.1, w * 0.9)
        height = h * rng.uniform(0.55, 0.85)
        if rng.random() < 0.5:
            conifer(d, x, h * 0.9, height, s * 0.3, jitter(pal["primary"], rng), pal["dark"])
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
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=jitter(pal["secondary"], rng))


def berry(img, d, rng, pal):
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
            draw_leaf(
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
                d.ellipse((bx - r, by - r, bx + r, by + r), fill=jitter(pal["accent"], rng, 20))
                hr = r * 0.3
                d.ellipse(
                    (bx - r * 0.4 - hr, by - r * 0.4 - hr, bx - r * 0.4 + hr, by - r * 0.4 + hr),
                    fill=rgba(pal["light"], 160),
                )


def mushroom(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ground(d, w, h, rng, pal["ground"], 0.72)
    for _ in range(rng.randint(30, 60)):  # leaf litter
        x, y = rng.uniform(0, w), rng.uniform(h * 0.74, h)
        draw_leaf(
            d,
            x,
            y,
            s * 0.04,
            s * 0.012,
            rng.uniform(0, math.tau),
            jitter(pal["secondary"], rng, 25),
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
        cap = jitter(pal["primary"], rng, 15)
        d.chord((x - cap_w, top, x + cap_w, top + cap_h * 2), 180, 360, fill=cap)
        d.ellipse(
            (x - cap_w, top + cap_h - cap_h * 0.12, x + cap_w, top + cap_h + cap_h * 0.12),
            fill=mix(cap, pal["dark"], 0.35),
        )
        for _ in range(rng.randint(4, 9)):  # cap speckles
            sx = x + rng.uniform(-0.7, 0.7) * cap_w
            sy = top + cap_h * rng.uniform(0.25, 0.8)
            r = s * rng.uniform(0.006, 0.014)
            d.ellipse((sx - r, sy - r, sx + r, sy + r), fill=rgba(pal["light"], 150))


def animal(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    for _ in range(rng.randint(6, 12)):
        x = rng.uniform(0, w)
        c = mix(pal["primary"], pal["sky_bottom"], 0.55)
        conifer(d, x, h * 0.68, s * rng.uniform(0.25, 0.4), s * 0.12, c, c)
    ground(d, w, h, rng, pal["ground"], 0.68)
    body_w, body_h = s * rng.uniform(0.36, 0.46), s * rng.uniform(0.17, 0.22)
    cx, cy = w * rng.uniform(0.4, 0.6), h * 0.66
    fur = jitter(
        rng.choice([pal["dark"], mix(pal["accent"], pal["dark"], 0.5), (150, 105, 60)]), rng, 10
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


def bird(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    y = h * rng.uniform(0.6, 0.7)
    d.line([(0, y + h * 0.05), (w, y - h * 0.03)], fill=pal["dark"], width=int(s * 0.02))
    for i in range(6):
        x = w * (i + 0.5) / 6
        draw_leaf(
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
    body = jitter(pal["primary"], rng, 12)
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
    d.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=mix(body, pal["dark"], 0.5))
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
        fill=mix(body, pal["dark"], 0.5),
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
    d.polygon(wing, fill=mix(body, pal["light"], 0.35))
    for side in (-0.1, 0.1):
        d.line(
            [(cx + side * bw, cy + bh * 0.45), (cx + side * bw, y)],
            fill=pal["dark"],
            width=max(2, int(s * 0.006)),
        )


def mountain(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    if rng.random() < 0.6:
        r = s * rng.uniform(0.05, 0.09)
        x, y = w * rng.uniform(0.15, 0.85), h * rng.uniform(0.12, 0.25)
        d.ellipse((x - r, y - r, x + r, y + r), fill=rgba(pal["light"], 220))
    layers = rng.randint(3, 5)
    for i in range(layers):
        t = i / max(1, layers - 1)
        base = 0.38 + 0.14 * i
        skyline = ridge(w, h, rng, base, 0.12 - 0.02 * i)
        c = mix(mix(pal["dark"], pal["sky_bottom"], 0.65), pal["ground"], t)
        d.polygon([(0, h), *skyline, (w, h)], fill=c)
        if i == 0:  # snow caps on the far range
            for j in range(1, len(skyline) - 1):
                if skyline[j][1] < skyline[j - 1][1] and skyline[j][1] < skyline[j + 1][1]:
                    x, y = skyline[j]
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
            fill=rgba(pal["light"], 90),
        )


def river(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    skyline = ridge(w, h, rng, 0.45, 0.08)
    d.polygon([(0, h), *skyline, (w, h)], fill=mix(pal["ground"], pal["sky_bottom"], 0.4))
    ground(d, w, h, rng, pal["ground"], 0.55)
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
            fill=rgba(pal["light"], 150),
            width=max(2, int(s * 0.004)),
        )
    for _ in range(rng.randint(4, 8)):
        x = rng.choice([rng.uniform(0, w * 0.25), rng.uniform(w * 0.75, w)])
        c = jitter(pal["dark"], rng, 15)
        conifer(d, x, h * rng.uniform(0.7, 0.95), s * rng.uniform(0.2, 0.35), s * 0.1, c, c)


MOTIFS = {
    "leaf": leaf,
    "flower": flower,
    "tree": tree,
    "berry": berry,
    "mushroom": mushroom,
    "animal": animal,
    "bird": bird,
    "mountain": mountain,
    "river": river,
}
