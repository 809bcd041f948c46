"""Draw fieldapp's PNG icons (192, 512, maskable 512) with the standard library only."""
import struct, zlib
from pathlib import Path

BLUE = (0x1b, 0x4d, 0x89); WHITE = (255, 255, 255)

def png(path, size, pixels):
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(data)

def icon(size, safe):
    # The "F" of static/icons/icon.svg (a 64-unit grid), white on blue, inside the safe zone.
    rects = [(18, 18, 25, 46), (18, 18, 44, 24), (18, 30, 41, 36)]
    scale = size * safe / 64
    offset = size / 2 - 32 * scale
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            gx, gy = (x + 0.5 - offset) / scale, (y + 0.5 - offset) / scale
            inside = any(x0 <= gx <= x1 and y0 <= gy <= y1 for x0, y0, x1, y1 in rects)
            row.append(WHITE if inside else BLUE)
        rows.append(row)
    return rows


out = Path(__file__).resolve().parent.parent / "static" / "icons"
png(out / "icon-192.png", 192, icon(192, 0.9))
png(out / "icon-512.png", 512, icon(512, 0.9))
png(out / "icon-maskable-512.png", 512, icon(512, 0.62))
