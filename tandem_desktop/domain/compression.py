"""Compressed bodies of protocol 5 (PROTOCOL.md, "Compression"), one codec for the device and the hub.

gzip always, zstd when the `zstandard` package is there. Decoding has a hard cap on the DECOMPRESSED
size: the decoder is asked for at most `limit + 1` bytes, never for all it can give, so a few
kilobytes that would inflate to gigabytes (a zip bomb) cost no more than a body at the limit. Each
side turns the errors below into its own answer (the hub a 413/415/400, the device a HubError).
"""

from __future__ import annotations

import io
import zlib

try:  # optional: gzip is always there
    import zstandard
except ImportError:  # pragma: no cover - depends on the installation
    zstandard = None

ENCODINGS: tuple[str, ...] = ("zstd", "gzip") if zstandard is not None else ("gzip",)  # preferred first
GZIP_LEVEL = 4
ZSTD_LEVEL = 3
ZSTD_MAX_WINDOW = 8 * 1024 * 1024  # a frame asking the decoder for a bigger window is refused


class UnknownEncoding(ValueError):
    """An encoding this side does not take."""


class Corrupt(ValueError):
    """Not what its encoding claims: truncated, trailing bytes, not compressed at all."""


class TooLarge(ValueError):
    """It would pass the limit once decoded."""


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "zstd" and zstandard is not None:
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """`body` decoded, at most `limit` bytes; `identity` (or none) as it is."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return body
    if name not in ENCODINGS:
        raise UnknownEncoding(name[:20])
    out = _gunzip(body, limit) if name == "gzip" else _unzstd(body, limit)
    if len(out) > limit:
        raise TooLarge()
    return out


def _gunzip(body: bytes, limit: int) -> bytes:
    unpacker = zlib.decompressobj(31)
    try:
        out = unpacker.decompress(body, limit + 1)
    except zlib.error:
        raise Corrupt() from None
    if len(out) <= limit and (not unpacker.eof or unpacker.unused_data):
        raise Corrupt()
    return out


def _unzstd(body: bytes, limit: int) -> bytes:
    assert zstandard is not None
    try:
        reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).stream_reader(io.BytesIO(body))
        out = bytearray()
        while len(out) <= limit and (chunk := reader.read(limit + 1 - len(out))):
            out += chunk
    except zstandard.ZstdError:
        raise Corrupt() from None
    return bytes(out)  # a truncated frame gives truncated JSON: the caller's « illisible »
