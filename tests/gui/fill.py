"""Typing into a form's field as the counsellor would (import by name: `from fill import type_into`)."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit


def type_into(typist, form, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    widget = form.widget(name)
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.clear()
    typist(widget, text)
