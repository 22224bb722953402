"""Compressed bodies (protocol 5, PROTOCOL.md "Compression"): gzip always, zstd when the `zstandard`
package is there.

Answers are compressed as the client's Accept-Encoding allows. A push body may come compressed
(Content-Encoding); it is decompressed with a hard cap on the DECOMPRESSED size, so a few kilobytes
that would inflate to gigabytes (a zip bomb) cost the hub no more than a body at the limit: the
decompressor is asked for at most cap + 1 bytes, and one byte more is a 413.
"""

from __future__ import annotations

import io
import zlib

from ..texts.french import NBSP
from .errors import HubError, bad_request

try:  # optional: gzip is always there
    import zstandard
except ImportError:  # pragma: no cover - depends on the installation
    zstandard = None

ENCODINGS: tuple[str, ...] = ("zstd", "gzip") if zstandard is not None else ("gzip",)
MIN_SIZE = 512  # smaller answers go as they are: compressing them gains nothing
GZIP_LEVEL = 4
ZSTD_LEVEL = 3
ZSTD_MAX_WINDOW = 8 * 1024 * 1024  # a frame asking the decoder for a bigger window is refused
MSG_ENCODING = (f"Encodage du corps non pris en charge{NBSP}: ce hub accepte "
                + " ou ".join(f"«{NBSP}{name}{NBSP}»" for name in ENCODINGS) + ".")
MSG_BOMB = (f"Envoi trop volumineux pour le hub{NBSP}: 4{NBSP}Mio au plus par requête, une fois décompressé. "
            "Rien n’a été enregistré.")
MSG_CORRUPT = f"Corps compressé illisible{NBSP}: rien n’a été enregistré."


def accepted(header: str | None) -> str | None:
    """The encoding to answer with for this Accept-Encoding (zstd before gzip), or None: as it is."""
    if not header:
        return None
    wanted: dict[str, float] = {}
    for part in header.split(",")[:32]:
        name, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        wanted[name.strip().lower()] = quality
    for name in ENCODINGS:
        if wanted.get(name, wanted.get("*", 0.0)) > 0:
            return name
    return None


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "zstd" and zstandard is not None:
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """`body` as sent, decoded; 413 when it would pass `limit` bytes decoded, 415 for an encoding this
    hub does not take, 400 for a body that is not what it claims (truncated, trailing bytes)."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return body
    if name not in ENCODINGS:
        raise HubError(415, "unsupported_encoding", MSG_ENCODING)
    if name == "gzip":
        return _gunzip(body, limit)
    return _unzstd(body, limit)


def _gunzip(body: bytes, limit: int) -> bytes:
    unpacker = zlib.decompressobj(31)
    try:
        out = unpacker.decompress(body, limit + 1)
    except zlib.error:
        raise bad_request(MSG_CORRUPT) from None
    if len(out) > limit:
        raise HubError(413, "too_large", MSG_BOMB)
    if not unpacker.eof or unpacker.unused_data:
        raise bad_request(MSG_CORRUPT)
    return out


def _unzstd(body: bytes, limit: int) -> bytes:
    assert zstandard is not None
    source = io.BytesIO(body)
    try:
        reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).stream_reader(source)
        out = bytearray()
        while len(out) <= limit:
            chunk = reader.read(limit + 1 - len(out))
            if not chunk:
                break
            out += chunk
    except zstandard.ZstdError:
        raise bad_request(MSG_CORRUPT) from None
    if len(out) > limit:
        raise HubError(413, "too_large", MSG_BOMB)
    return bytes(out)  # a truncated frame gives truncated JSON: the caller's 400
