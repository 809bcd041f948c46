"""Draw fieldapp's PNG icons (192, 512, maskable 512) with the standard library only.

    python offline/make_icons.py      # writes static/icons/icon-*.png
"""

import struct
import zlib
from pathlib import Path

BLUE = (0x1B, 0x4D, 0x89)
WHITE = (255, 255, 255)
# The "F" of static/icons/icon.svg on its 64-unit grid: (x0, y0, x1, y1) rectangles.
F_SHAPE = [(18, 18, 25, 46), (18, 18, 44, 24), (18, 30, 41, 36)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def write_png(path: Path, size: int, rows: list[list[tuple]]) -> None:
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
                     + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def icon(size: int, safe: float) -> list[list[tuple]]:
    """White F on blue; the F fills `safe` of the width (maskable icons keep to the centre)."""
    scale = size * safe / 64
    offset = size / 2 - 32 * scale
    rows = []
    for y in range(size):
        gy = (y + 0.5 - offset) / scale
        row = []
        for x in range(size):
            gx = (x + 0.5 - offset) / scale
            inside = any(x0 <= gx <= x1 and y0 <= gy <= y1 for x0, y0, x1, y1 in F_SHAPE)
            row.append(WHITE if inside else BLUE)
        rows.append(row)
    return rows


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "static" / "icons"
    write_png(out / "icon-192.png", 192, icon(192, 0.9))
    write_png(out / "icon-512.png", 512, icon(512, 0.9))
    write_png(out / "icon-maskable-512.png", 512, icon(512, 0.62))
