"""The shape of the code: the import-linter contracts hold, the GUI never writes to a store, threads start in one
place; resources are found from any install."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tandem_desktop"
QT_FREE = ["domain", "store", "services", "matching", "charter", "sync", "hub", "texts", "background", "importing"]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _contract(contract_id: str) -> dict:
    return next(c for c in _pyproject()["tool"]["importlinter"]["contracts"] if c["id"] == contract_id)


def test_import_contracts_hold(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The layering of DESIGN.md §2, as import-linter contracts in pyproject.toml, on this checkout."""
    from importlinter.cli import lint_imports

    spec = importlib.util.find_spec("tandem_desktop")
    assert spec is not None and spec.origin == str(PACKAGE / "__init__.py"), "the checkout under test"
    monkeypatch.chdir(ROOT)
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "7 kept, 0 broken" in report


def test_the_core_packages_of_the_design_are_under_the_qt_contract() -> None:
    sources = set(_contract("core-without-qt")["source_modules"])
    assert sources == {f"tandem_desktop.{name}" for name in [*QT_FREE, "cli"]}
    assert _contract("qt-in-gui-only")["allowed_importers"] == ["tandem_desktop.gui", "tandem_desktop.app"]


STORE_WRITES = {"create", "create_many", "update", "delete", "resend", "transaction", "set_meta_value", "set_state"}


def test_no_gui_module_writes_to_a_store() -> None:
    """Every record write of the window goes through services (services/records.py and friends)."""
    offenders = []
    for path in sorted((PACKAGE / "gui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in STORE_WRITES and "store" in ast.unparse(node.func.value).lower()):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.func)}(…)")
    assert offenders == []


THREAD_STARTERS = {"Thread", "Timer", "ThreadPoolExecutor", "ProcessPoolExecutor",
                   "start_new_thread", "QThread", "QThreadPool", "QtConcurrent"}
# See pyproject.toml: the window's lanes, a command's database lane, the hub's server thread.
MAY_START_THREADS = {PACKAGE / "gui" / "tasks.py", PACKAGE / "background.py", PACKAGE / "hub" / "server.py"}


def test_only_the_task_runner_starts_threads() -> None:
    """The modules allowed to import threading use its locks, thread-locals and events, never a thread."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in MAY_START_THREADS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            alias = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            if name in THREAD_STARTERS or THREAD_STARTERS & set(alias):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


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
