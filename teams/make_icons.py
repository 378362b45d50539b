"""Draw the Teams app icons: ``color.png`` (192×192) and ``outline.png`` (32×32).

    .venv/bin/python teams/make_icons.py [--out teams/]

The symbol is a speech bubble with a tick ("can I share?" — a checked decision). Drawn in pure
Python (shapes sampled 4×4 per pixel) and written with zlib/struct, so the PNGs are the same byte
for byte on every machine, with or without Pillow. Teams' rules: the colour icon fills its square
with the app's accent colour, the symbol inside the central safe area; the outline icon is white
on a transparent background only.
"""

from __future__ import annotations

import argparse
import math
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCENT = (0x1D, 0x70, 0xB8)  # GOV.UK blue; also the manifest's accentColor
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis, per pixel

Shape = Callable[[float, float], bool]  # (x, y) in 0..1 → inside?


def rounded_rect(cx: float, cy: float, w: float, h: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        dx = max(abs(x - cx) - (w / 2 - r), 0.0)
        dy = max(abs(y - cy) - (h / 2 - r), 0.0)
        return abs(x - cx) <= w / 2 and abs(y - cy) <= h / 2 and dx * dx + dy * dy <= r * r

    return inside


def triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s1, s2, s3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)

    return inside


def polyline(points: list[tuple[float, float]], width: float) -> Shape:
    segments = list(zip(points, points[1:], strict=False))

    def distance(x: float, y: float, p: tuple[float, float], q: tuple[float, float]) -> float:
        vx, vy = q[0] - p[0], q[1] - p[1]
        t = max(0.0, min(1.0, ((x - p[0]) * vx + (y - p[1]) * vy) / (vx * vx + vy * vy)))
        return math.hypot(x - (p[0] + t * vx), y - (p[1] + t * vy))

    def inside(x: float, y: float) -> bool:
        return any(distance(x, y, p, q) <= width / 2 for p, q in segments)

    return inside


def union(*shapes: Shape) -> Shape:
    return lambda x, y: any(shape(x, y) for shape in shapes)


def coverage(shape: Shape, size: int) -> list[list[float]]:
    """The fraction of each pixel inside ``shape`` (shapes use 0..1 coordinates)."""
    step = 1.0 / (size * SAMPLES)
    offsets = [(i + 0.5) * step for i in range(SAMPLES)]
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = sum(shape(px / size + ox, py / size + oy) for oy in offsets for ox in offsets)
            row.append(hits / (SAMPLES * SAMPLES))
        rows.append(row)
    return rows


def bubble(scale: float = 1.0) -> Shape:
    """A speech bubble centred in the square; ``scale`` 1 fills it edge to edge."""

    def s(v: float) -> float:
        return 0.5 + (v - 0.5) * scale

    body = rounded_rect(0.5, s(0.44), 0.92 * scale, 0.72 * scale, 0.16 * scale)
    tail = triangle((s(0.22), s(0.70)), (s(0.44), s(0.70)), (s(0.16), s(0.96)))
    return union(body, tail)


def tick(scale: float = 1.0, width: float = 0.11) -> Shape:
    def s(v: float) -> float:
        return 0.5 + (v - 0.5) * scale

    return polyline([(s(0.29), s(0.45)), (s(0.43), s(0.59)), (s(0.71), s(0.30))], width * scale)


def png(pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG of ``pixels`` (rows of (r, g, b, a))."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(v for p in row for v in p) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def color_icon(size: int = 192) -> bytes:
    """Accent-coloured square; a white bubble (in the central 120×120) with an accent tick."""
    scale = 120 / 192
    white = coverage(bubble(scale), size)
    mark = coverage(tick(scale), size)
    pixels = [
        [(*_mix(_mix(ACCENT, WHITE, w), ACCENT, m * w), 255) for w, m in zip(wr, mr, strict=True)]
        for wr, mr in zip(white, mark, strict=True)
    ]
    return png(pixels)


def outline_icon(size: int = 32) -> bytes:
    """White bubble on transparent, the tick cut out of it."""
    white = coverage(bubble(0.94), size)
    mark = coverage(tick(0.94, width=0.13), size)
    pixels = [
        [(*WHITE, round(255 * w * (1 - m))) for w, m in zip(wr, mr, strict=True)]
        for wr, mr in zip(white, mark, strict=True)
    ]
    return png(pixels)


def write_icons(out: Path = HERE) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    color, outline = out / "color.png", out / "outline.png"
    color.write_bytes(color_icon())
    outline.write_bytes(outline_icon())
    return color, outline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory (default: teams/)")
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
