"""Protocol 5 on the device side: compact stamps on the wire, full stamps in the local database.

The device keeps storing full stamps (`WWWWWWWWWWWWW-CCCCC-DEVICE`): every local rule (the clock, the
versions rule of store/rows.py, the summary lines) stays as it was. Stamps are translated here, at
the boundary: a pushed batch names its devices once in a table and sends `W.C.K`; a pulled page's
record entries come with versions grouped by compact stamp and the table of the page, and leave
here as protocol 4 entries (field -> full stamp), which store/remote.py applies as before.
"""

from __future__ import annotations

import zlib
from typing import Any

from ..domain.compact import DEVICE_RE, NUMBER_RE, expand, is_compact, split_full, ungroup
from .errors import HubError

try:  # optional: gzip is always there
    import zstandard
except ImportError:  # pragma: no cover - depends on the installation
    zstandard = None

ENCODINGS: tuple[str, ...] = ("zstd", "gzip") if zstandard is not None else ("gzip",)  # preferred first
DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error, zstandard.ZstdError) if zstandard is not None \
    else (zlib.error,)


def accept_encoding() -> str:
    return ", ".join(ENCODINGS)


def decompress(raw: bytes, encoding: str | None, limit: int) -> bytes:
    """An answer's body decoded, at most `limit` bytes (HubError beyond, or for an encoding this
    device did not ask for): the decoder is asked for limit + 1 bytes, never for all it can give."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return raw
    try:
        if name == "gzip":
            unpacker = zlib.decompressobj(47)  # gzip or zlib header
            out = unpacker.decompress(raw, limit + 1)
        elif name == "zstd" and zstandard is not None:
            reader = zstandard.ZstdDecompressor(max_window_size=8 * 1024 * 1024).stream_reader(raw)
            out = bytearray()
            while len(out) <= limit and (chunk := reader.read(limit + 1 - len(out))):
                out += chunk
        else:
            raise HubError(f"réponse du hub illisible (encodage «\u00a0{name[:20]}\u00a0»)")
    except DECODE_ERRORS as exc:
        raise HubError("réponse du hub illisible (compression)") from exc
    if len(out) > limit:
        raise HubError("réponse du hub trop volumineuse")
    return bytes(out)


def compress(body: bytes, encoding: str) -> bytes:
    """A push body in `encoding` (one the hub said it takes)."""
    if encoding == "zstd" and zstandard is not None:
        return zstandard.ZstdCompressor(level=3).compress(body)
    packer = zlib.compressobj(4, zlib.DEFLATED, 31)
    return packer.compress(body) + packer.flush()


def compact_push(ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The push body for `ops` (outbox rows with full stamps): {"devices": {…}, "ops": […]}."""
    numbers: dict[str, int] = {}

    def compact(stamp: Any) -> Any:
        parts = split_full(stamp) if isinstance(stamp, str) else None
        if parts is None:
            return stamp  # not a stamp this release makes: sent as it is, the hub judges it
        number = numbers.setdefault(parts[2], len(numbers))
        return f"{parts[0]}.{parts[1]}.{number}"

    sent = []
    for op in ops:
        bases = op.get("base_versions") or {}
        sent.append({**op, "hlc": compact(op.get("hlc")),
                     "base_versions": {name: compact(base) for name, base in bases.items()}})
    return {"devices": {str(number): name for name, number in numbers.items()}, "ops": sent}


def page_devices(page: dict[str, Any]) -> dict[int, str]:
    """number -> device id of a pulled page; a table that is not that is a broken page."""
    raw = page.get("devices") or {}
    if not isinstance(raw, dict):
        raise HubError("page de changements illisible (table des appareils)")
    table = {}
    for key, name in raw.items():
        if not (isinstance(key, str) and NUMBER_RE.fullmatch(key) and isinstance(name, str)
                and DEVICE_RE.fullmatch(name)):
            raise HubError("page de changements illisible (table des appareils)")
        table[int(key)] = name
    return table


def full_entries(page: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's entries as protocol 4 has them: record versions field -> full stamp. A record entry
    whose versions are not {stamp: [field…]} is dropped, like any entry this release cannot read; a
    compact stamp naming a number the page's table lacks makes the page unreadable (HubError): it is
    not stored, so no local version is ever a stamp the device cannot read back."""
    names = page_devices(page)

    def full(stamp: str) -> str:
        if is_compact(stamp):
            expanded = expand(stamp, names)
            if expanded == stamp:
                raise HubError("page de changements illisible (numéro d’appareil inconnu)")
            return expanded
        return stamp

    entries = []
    for entry in page["entries"]:
        if not isinstance(entry, dict):
            continue
        if entry.get("type") == "record":
            versions = ungroup(entry.get("versions"), full)
            if versions is None:
                continue
            entry["versions"] = versions
        entries.append(entry)
    return entries
