"""The shape of the code: core packages never import Qt; resources are found from any install."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tandem_desktop"
QT_FREE = ["domain", "store", "services", "matching", "charter", "sync", "hub", "cli"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_packages_never_import_qt() -> None:
    offenders = []
    checked = 0
    for sub in QT_FREE:
        for path in (PACKAGE / sub).rglob("*.py") if (PACKAGE / sub).exists() else []:
            checked += 1
            if any(name.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"} for name in _imports(path)):
                offenders.append(str(path.relative_to(ROOT)))
    for path in PACKAGE.glob("*.py"):
        if path.name != "app.py" and path.exists():
            checked += 1
            if any(name.startswith("PySide6") for name in _imports(path)):
                offenders.append(str(path.relative_to(ROOT)))
    assert checked > 10
    assert offenders == []


def test_domain_imports_nothing_of_ours_outside_itself() -> None:
    for path in (PACKAGE / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                pytest.fail(f"{path.name} reaches outside the domain: from {'.' * node.level}{node.module}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tandem_desktop."):
                assert (node.module or "").startswith("tandem_desktop.domain"), path


def test_top_level_is_exactly_the_agreed_layout() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    top = {line.split("/")[0] for line in tracked.splitlines() if line}
    top = {name for name in top if not name.startswith(".")}
    assert top == {"main.py", "tandem_desktop", "ui", "resources", "db", "tests", "pyproject.toml", "README.md"}


def test_resources_are_found_from_a_checkout() -> None:
    from tandem_desktop import paths

    assert paths.ui_dir() == ROOT / "ui"
    assert paths.resources_dir() == ROOT / "resources"
    assert (paths.migrations_dir() / "env.py").is_file()


def test_installed_wheel_carries_ui_resources_and_migrations(tmp_path: Path) -> None:
    """Build the real wheel and import it from a folder that has no checkout around it."""
    hatchling = pytest.importorskip("hatchling.build")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        wheel_name = hatchling.build_wheel(str(tmp_path))
    finally:
        os.chdir(cwd)
    target = tmp_path / "site"
    with zipfile.ZipFile(tmp_path / wheel_name) as wheel:
        names = wheel.namelist()
        wheel.extractall(target)
    assert "tandem_desktop/_data/db/env.py" in names
    assert any(n.startswith("tandem_desktop/_data/ui/") and n.endswith(".ui") for n in names)
    assert any(n.startswith("tandem_desktop/_data/resources/") for n in names)
    probe = (
        "from tandem_desktop import paths, store;"
        "print(paths.ui_dir()); print(paths.migrations_dir()); print(paths.resources_dir())"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=target, capture_output=True, text=True,
                         env={"PYTHONPATH": str(target), "PATH": os.environ.get("PATH", "")}, check=True).stdout
    for line in out.splitlines():
        assert line.startswith(str(target / "tandem_desktop" / "_data")), out
