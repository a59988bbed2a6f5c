"""Ogg files written the same way every time.

An Ogg stream carries a serial number in every page header, and libsndfile draws it at random when it
writes an Ogg Vorbis file, so the same audio written twice differs in those bytes and in every page's
checksum. :func:`fix_serial` sets one serial for the file's single stream and recomputes the checksums (the
Ogg CRC-32: polynomial 0x04C11DB7, no reflection, initial value 0, over the page with its CRC field zeroed).
"""
from __future__ import annotations

import struct

SERIAL = 0x6D697862   # b"bxim" read little-endian: any fixed number will do for a file with one stream
_HEADER = 27          # bytes before a page's segment table


def _table() -> list[int]:
    out = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        out.append(r & 0xFFFFFFFF)
    return out


_CRC = _table()


def ogg_crc(data: bytes | bytearray | memoryview) -> int:
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFFFFFF) ^ _CRC[((c >> 24) ^ b) & 0xFF]
    return c


def _pages(data: bytes | bytearray) -> list[tuple[int, int]]:
    """(start, end) of every page; ValueError when the bytes are not a sequence of whole Ogg pages."""
    out, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 4] != b"OggS" or pos + _HEADER > len(data):
            raise ValueError(f"no Ogg page at byte {pos}")
        n = data[pos + 26]
        end = pos + _HEADER + n + sum(data[pos + _HEADER:pos + _HEADER + n])
        if end > len(data):
            raise ValueError(f"the Ogg page at byte {pos} runs past the end")
        out.append((pos, end))
        pos = end
    return out


def fix_serial(data: bytes, serial: int = SERIAL) -> bytes:
    """The same Ogg file with ``serial`` as its stream's serial number and every page's CRC recomputed.
    A file with several logical streams (or not Ogg at all) is returned unchanged."""
    try:
        pages = _pages(data)
    except ValueError:
        return data
    if len({data[a + 14:a + 18] for a, _ in pages}) != 1:
        return data
    out = bytearray(data)
    for a, b in pages:
        out[a + 14:a + 18] = struct.pack("<I", serial)
        out[a + 22:a + 26] = b"\0\0\0\0"
        out[a + 22:a + 26] = struct.pack("<I", ogg_crc(memoryview(out)[a:b]))
    return bytes(out)
