"""Errors raised by the domain, with messages in French for the counsellor."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors whose message is meant for the user as it is."""


class ValidationError(DomainError):
    """One or more fields are invalid; `errors` maps each field name to its French message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("\n".join(f"{field}\u00a0: {message}" for field, message in self.errors.items()))
