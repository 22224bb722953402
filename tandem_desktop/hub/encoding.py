"""Compressed bodies (protocol 5, PROTOCOL.md "Compression"): gzip always, zstd when the `zstandard`
package is there.

Answers are compressed as the client's Accept-Encoding allows. A push body may come compressed
(Content-Encoding); it is decompressed with a hard cap on the DECOMPRESSED size, so a few kilobytes
that would inflate to gigabytes (a zip bomb) cost the hub no more than a body at the limit: the
decompressor is asked for at most cap + 1 bytes, and one byte more is a 413.
"""

from __future__ import annotations

from ..domain import compression
from ..domain.compression import ENCODINGS, compress
from ..texts.french import NBSP
from .errors import HubError, bad_request

MIN_SIZE = 512  # smaller answers go as they are: compressing them gains nothing
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


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """`body` as sent, decoded; 413 when it would pass `limit` bytes decoded, 415 for an encoding this
    hub does not take, 400 for a body that is not what it claims (truncated, trailing bytes)."""
    try:
        return compression.decompress(body, encoding, limit)
    except compression.UnknownEncoding:
        raise HubError(415, "unsupported_encoding", MSG_ENCODING) from None
    except compression.TooLarge:
        raise HubError(413, "too_large", MSG_BOMB) from None
    except compression.Corrupt:
        raise bad_request(MSG_CORRUPT) from None


__all__ = ["ENCODINGS", "MIN_SIZE", "accepted", "compress", "decompress"]
