"""Reading a request body with a size cap: the one rule for every route that takes a body.

Content-Length is checked first (a malformed one is 400, one beyond the cap 413 before any byte is
read), then the stream is read at most `limit` bytes far (413 beyond, also without Content-Length),
and a body the client cut off is a 400 `body_incomplete`, never an unhandled ClientDisconnect.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from .errors import MSG_BODY_CUT, HubError, bad_request


async def read_capped(request: Request, limit: int, too_large: str) -> bytes:
    """The raw body, at most `limit` bytes; `too_large` is the French message of the 413."""
    length = request.headers.get("content-length")
    if length is not None and not (length.isascii() and length.isdigit()):
        raise bad_request("En-tête Content-Length invalide.")
    if length is not None and int(length) > limit:
        raise HubError(413, "too_large", too_large)
    body = bytearray()
    try:
        async for part in request.stream():
            body += part
            if len(body) > limit:
                raise HubError(413, "too_large", too_large)
    except ClientDisconnect:  # a cut connection: nothing is kept or applied, the device sends it again
        raise HubError(400, "body_incomplete", MSG_BODY_CUT) from None
    return bytes(body)
