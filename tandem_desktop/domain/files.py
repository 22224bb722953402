"""What kind of file a charter's scan or PDF is, from its first bytes (never from its name): the one
rule the device that stores it, the hub that keeps it and the access dossier that names it all follow."""

from __future__ import annotations

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))


def media_type(data: bytes) -> str | None:
    """PDF, PNG or JPEG by their signature; None for anything else. A PDF may start anywhere in its
    first kilobyte, as PDF readers allow."""
    if b"%PDF-" in data[:1024] or data.startswith(b"%PDF"):
        return PDF
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
