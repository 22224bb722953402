"""Loading Qt Designer files from ui/ (checkout or installed wheel) with our custom widgets."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from ..paths import ui_dir
from .pickers import CommuneEdit, ListPicker
from .widgets import RecordPicker

W = TypeVar("W", bound=QWidget)


def load_ui(name: str, parent: QWidget | None = None) -> QWidget:
    """Build the widget tree of ui/<name>; a parent embeds it (no separate window)."""
    loader = QUiLoader()
    for custom in (RecordPicker, CommuneEdit, ListPicker):
        loader.registerCustomWidget(custom)
    path = ui_dir() / name
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"Formulaire introuvable\u00a0: {path}")
    try:
        widget = loader.load(file, parent)
    finally:
        file.close()
    if widget is None:
        raise RuntimeError(f"Formulaire illisible ({path})\u00a0: {loader.errorString()}")
    return widget


def child(root: QWidget, kind: type[W], name: str) -> W:
    """A named child that the .ui file must provide (a clear error names the file's omission)."""
    found = root.findChild(kind, name)
    if found is None:
        raise LookupError(f"{root.objectName()}: no {kind.__name__} named {name!r} in the .ui file")
    return found
