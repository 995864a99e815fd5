"""Write Dealbook's app icons as PNG files next to this script.

Uses only the standard library (zlib, struct) so the icons can be rebuilt on
any machine: ``python3 pwa/icons/make_icons.py``. The design is a white
open book on the theme colour. The maskable icon keeps the book inside the
central 80% safe zone that launchers may crop to a circle.
"""

import pathlib
import struct
import zlib

THEME = (0x1F, 0x4E, 0x79)  # the manifest's theme_color, #1f4e79
PAPER = (0xFF, 0xFF, 0xFF)
SPINE = (0xC8, 0xD6, 0xE5)

HERE = pathlib.Path(__file__).parent


def write_png(path: pathlib.Path, size: int, pixel) -> None:
    """Write a size x size RGB PNG whose colour at (x, y) is pixel(x, y)."""
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter type "None" for this scanline
        for x in range(size):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )
    path.write_bytes(png)


def book_pixel(size: int, scale: float):
    """Return a pixel function drawing the book at scale (1.0 fills the icon)."""
    half = size / 2

    def pixel(x: int, y: int):
        # Coordinates relative to the centre, in units of half the book size.
        u = (x + 0.5 - half) / (half * scale)
        v = (y + 0.5 - half) / (half * scale)
        if abs(u) <= 0.04 and abs(v) <= 0.55:
            return SPINE
        # Each page is a parallelogram that rises towards the spine.
        lift = 0.12 * (1 - abs(u) / 0.7)
        if 0.04 < abs(u) <= 0.7 and -0.45 - lift <= v <= 0.55 - lift:
            return PAPER
        return THEME

    return pixel


def main() -> None:
    write_png(HERE / "icon-192.png", 192, book_pixel(192, 0.9))
    write_png(HERE / "icon-512.png", 512, book_pixel(512, 0.9))
    write_png(HERE / "icon-maskable-512.png", 512, book_pixel(512, 0.7))
    write_png(HERE / "apple-touch-icon.png", 180, book_pixel(180, 0.8))


if __name__ == "__main__":
    main()
