"""On a bare Debian, Qt aborts with « xcb-cursor0 is needed » when libxcb-icccm4 and libxcb-keysyms1 are
what is missing: the app asks the dynamic linker first and names the exact packages, in French. The
missing libraries are outside the program: a fake `ldd` on PATH (or a fake runner) stands for them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tandem_desktop import app
from tandem_desktop.gui import display_check
from tandem_desktop.gui.display_check import display_problem, missing_libraries, uses_xcb

# What ldd printed for PySide6 6.x's libqxcb.so on a fresh Debian 12 with only libxcb-cursor0 added.
BARE_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffc2b1f7000)
\tlibQt6XcbQpa.so.6 => /opt/venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f31a8a00000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f31a8dd6000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f31a89d5000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => not found
"""


@pytest.fixture
def fake_ldd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ldd` first on PATH that prints BARE_DEBIAN for any file, and a plugin file to ask about."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "ldd"
    (tmp_path / "ldd.txt").write_text(BARE_DEBIAN, encoding="utf-8")
    script.write_text(f"#!/bin/sh\ncat '{tmp_path / 'ldd.txt'}'\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    plugin = tmp_path / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    plugin.write_bytes(b"\x7fELF fake")
    return plugin


def test_the_missing_libraries_and_their_packages_are_named(fake_ldd: Path) -> None:
    assert missing_libraries(fake_ldd) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    message = display_problem({"DISPLAY": ":0"}, plugin=fake_ldd, platform="linux")
    assert message is not None
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0\n" in message
    assert "libxcb-cursor0" not in message  # the one Qt would have named, wrongly
    assert message.startswith("Tandem Desktop ne peut pas ouvrir sa fenêtre\u00a0: il manque sur ce poste")


def test_nothing_is_said_when_the_plugin_loads_or_is_not_used(fake_ldd: Path) -> None:
    fine = "\tlibxcb-icccm.so.4 => /lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x1)\n"
    assert display_problem({}, plugin=fake_ldd, run=lambda _: fine, platform="linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, plugin=fake_ldd, platform="linux") is None
    assert display_problem({}, ["-platform", "wayland"], plugin=fake_ldd, platform="linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, plugin=fake_ldd, platform="linux") is None
    assert display_problem({}, plugin=fake_ldd, platform="win32") is None
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"}, []) and uses_xcb({}, ["-platform", "xcb"])
    unknown = "\tlibweird.so.9 => not found\n"
    message = display_problem({}, plugin=fake_ldd, run=lambda _: unknown, platform="linux")
    assert message is not None and "apt-file search libweird.so.9" in message and "sudo apt" not in message


def test_the_app_stops_before_qt_with_the_french_message(fake_ldd: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(display_check, "xcb_plugin", lambda: fake_ldd)
    monkeypatch.setattr(display_check.sys, "platform", "linux")

    def no_qt(*_args: object) -> None:
        raise AssertionError("Qt must not be started: it would abort with a misleading message")

    monkeypatch.setattr(app, "make_application", no_qt)
    assert app.main(["--data-dir", str(fake_ldd.parent)]) == app.EXIT_NO_DISPLAY != 0
    err = capsys.readouterr().err
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0" in err and "Traceback" not in err


def test_the_real_plugin_can_be_asked() -> None:
    """On this machine, with its real ldd: whatever is installed, the question gets an answer."""
    plugin = display_check.xcb_plugin()
    if plugin is None:
        pytest.skip("PySide6 without its X11 plugin")
    assert all(name.endswith(tuple(f".so.{n}" for n in range(10))) for name in missing_libraries(plugin))
