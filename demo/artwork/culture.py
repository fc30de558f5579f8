"""Motifs of people and their works: dance, music, crafts, documents, maps, buildings."""

from __future__ import annotations

import math

from demo.artwork.strokes import figure, ground, jitter, mix, petal_flower, rgba


def dance(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ground(d, w, h, rng, mix(pal["ground"], pal["light"], 0.2), 0.8)
    colors = [pal["primary"], pal["secondary"], pal["accent"], pal["light"]]
    n = rng.randint(3, 6)
    for i in range(n):
        x = w * (i + 0.5) / n + rng.uniform(-0.03, 0.03) * w
        base = h * rng.uniform(0.82, 0.9)
        height = s * rng.uniform(0.45, 0.6)
        body = jitter(rng.choice(colors[:3]), rng, 10)
        figure(d, x, base, height, body, (235, 205, 180), rng.uniform(0.4, 1.2), rng)
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


def music(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    for k in range(rng.randint(3, 5)):  # sound waves
        amp = s * rng.uniform(0.02, 0.05)
        y0 = h * (0.12 + 0.07 * k)
        freq = rng.uniform(1.5, 3.0)
        step = max(8, w // 80)
        pts = [(x, y0 + math.sin(x / w * math.tau * freq + k) * amp) for x in range(0, w + 1, step)]
        d.line(pts, fill=rgba(pal["light"], 110), width=max(2, int(s * 0.006)), joint="curve")
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
    drum = jitter(pal["secondary"], rng)
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


def craft(img, d, rng, pal):
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
        petal_flower(
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
        petal_flower(d, px, py, inner * 0.18, 4, a, pal["accent"], pal["primary"])


def document(img, d, rng, pal):
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
        fill=rgba(pal["dark"], 90),
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
                fill=rgba(pal["primary"], rng.randint(150, 230)),
            )
            y += gh + col_w * 0.25
    sx, sy = cx - pw / 2 + margin * 2.2, cy + ph / 2 - margin * 2.4
    sr = pw * 0.08
    d.rectangle((sx - sr, sy - sr, sx + sr, sy + sr), outline=pal["accent"], width=int(s * 0.008))
    d.rectangle(
        (sx - sr * 0.6, sy - sr * 0.6, sx + sr * 0.6, sy + sr * 0.6), fill=rgba(pal["accent"], 170)
    )
    for k in range(4):  # stitched binding holes on the right edge
        hy = cy - ph / 2 + ph * (k + 1) / 5
        r = s * 0.007
        d.ellipse(
            (cx + pw / 2 - margin * 0.45 - r, hy - r, cx + pw / 2 - margin * 0.45 + r, hy + r),
            fill=pal["dark"],
        )


def old_map(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    m = s * 0.06
    d.rectangle(
        (m, m, w - m, h - m), fill=pal["light"], outline=pal["primary"], width=int(s * 0.008)
    )
    step = s * 0.12
    x = m
    while x < w - m:
        d.line([(x, m), (x, h - m)], fill=rgba(pal["secondary"], 90), width=1)
        x += step
    y = m
    while y < h - m:
        d.line([(m, y), (w - m, y)], fill=rgba(pal["secondary"], 90), width=1)
        y += step
    for _ in range(rng.randint(2, 4)):  # contour loops
        cx, cy = rng.uniform(w * 0.2, w * 0.8), rng.uniform(h * 0.2, h * 0.8)
        for k in range(rng.randint(3, 6)):
            r = s * (0.04 + 0.035 * k)
            d.ellipse(
                (cx - r * 1.3, cy - r, cx + r * 1.3, cy + r),
                outline=rgba(pal["secondary"], 200),
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


def building(img, d, rng, pal):
    w, h = img.size
    s = min(w, h)
    ground(d, w, h, rng, pal["ground"], 0.8)
    bw = w * rng.uniform(0.5, 0.7)
    cx = w / 2
    base = h * 0.82
    wall_h = s * rng.uniform(0.2, 0.28)
    wall = jitter(pal["secondary"], rng, 10)
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
                fill=mix(pal["dark"], wall, 0.3),
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
            fill=mix(pal["dark"], pal["light"], 0.15),
            width=max(1, int(s * 0.003)),
        )


MOTIFS = {
    "dance": dance,
    "music": music,
    "craft": craft,
    "document": document,
    "map": old_map,
    "building": building,
}
