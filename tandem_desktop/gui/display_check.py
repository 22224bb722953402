"""Before the QApplication: can Qt's X11 display plugin load on this Linux machine?

On a bare Debian, Qt only says « xcb-cursor0 is needed » and aborts, even when what is missing is
libxcb-icccm4 and libxcb-keysyms1. We ask the dynamic linker (`ldd`) which libraries the plugin
cannot find, and name the exact Debian packages to install, in French. No Qt is imported here: the
check must run before Qt tries, and fails, to load the plugin.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

NBSP = "\u00a0"

# Shared libraries of Qt 6's xcb plugin (and of the Qt libraries it links) -> Debian / Ubuntu packages.
DEBIAN_PACKAGES: dict[str, str] = {
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
Runner = Callable[[Sequence[str]], str]  # runs ldd on a file, returns what it printed


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, found without importing Qt."""
    try:
        import PySide6
    except ImportError:
        return None
    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def _ldd(command: Sequence[str]) -> str:
    done = subprocess.run(list(command), capture_output=True, text=True, timeout=20, check=False)
    return done.stdout


def missing_libraries(plugin: Path, run: Runner = _ldd, ldd: str | None = None) -> list[str]:
    """Shared libraries the plugin (or a library it links) needs and the linker cannot find."""
    ldd = ldd or shutil.which("ldd")
    if ldd is None:
        return []  # no way to ask: let Qt try
    try:
        output = run([ldd, str(plugin)])
    except (OSError, subprocess.SubprocessError):
        return []
    found = re.findall(r"^\s*(\S+)\s+=>\s+not found", output, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def uses_xcb(environ: Mapping[str, str], qt_args: Sequence[str]) -> bool:
    """Will Qt pick its X11 plugin? Not when told another (-platform, QT_QPA_PLATFORM), nor on Wayland."""
    args = list(qt_args)
    chosen = args[args.index("-platform") + 1] if "-platform" in args[:-1] else environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_message(missing: Sequence[str]) -> str:
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[lib] for lib in missing if lib in DEBIAN_PACKAGES))
    unknown = [lib for lib in missing if lib not in DEBIAN_PACKAGES]
    text = (f"Tandem Desktop ne peut pas ouvrir sa fenêtre{NBSP}: il manque sur ce poste des bibliothèques "
            f"d’affichage (X11){NBSP}: {', '.join(missing)}.\n")
    if packages:
        text += (f"Sous Debian ou Ubuntu, installez-les puis relancez{NBSP}:\n\n"
                 f"    sudo apt install {' '.join(packages)}\n")
    if unknown:
        text += f"\nÀ trouver aussi (apt-file search {unknown[0]}){NBSP}: {', '.join(unknown)}.\n"
    text += (f"\nSur un serveur sans écran, la commande «{NBSP}tandem{NBSP}» fait le même travail sans fenêtre.")
    return text


def display_problem(environ: Mapping[str, str] | None = None, qt_args: Sequence[str] = (),
                    plugin: Path | None = None, run: Runner = _ldd, platform: str | None = None) -> str | None:
    """The French message to print instead of starting Qt, or None when the display can load."""
    environ = os.environ if environ is None else environ
    if (platform or sys.platform) != "linux" or not uses_xcb(environ, qt_args):
        return None
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(plugin, run)
    return missing_message(missing) if missing else None
