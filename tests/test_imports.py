"""Heavy packages are imported where they are used, so that `tandem --help` answers at once.

Each probe runs in a fresh interpreter (the test process has long imported everything) and reports
which top-level packages ended up in sys.modules. Speed itself is a figure of
tests/benchmarks/bench_store.py (help_s), not an assertion here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Seconds of imports each, needed by a few commands only (matching, charters, the GUI).
NEVER_AT_IMPORT = {"scipy", "numpy", "reportlab", "pyhanko", "pyhanko_certvalidator", "pypdfium2", "PySide6",
                   "shiboken6", "openpyxl"}
# What opening a profile or syncing needs: not for printing the help or a usage error.
NOT_FOR_HELP = NEVER_AT_IMPORT | {"sqlalchemy", "alembic", "sqlcipher3", "httpx", "keyring", "cryptography",
                                  "orjson", "zxcvbn"}


def imported_after(code: str) -> set[str]:
    probe = (f"import contextlib, io, json, sys\n{code}\n"
             "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})), file=sys.__stdout__)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_package() -> None:
    assert imported_after("import tandem_desktop.cli") & NEVER_AT_IMPORT == set()


def test_help_and_a_usage_error_load_neither_the_store_nor_the_network() -> None:
    loaded = imported_after(
        "from tandem_desktop.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
        "    assert main(['match', '--help']) == 0 and main(['charter', 'seal', '--help']) == 0\n"
        "    assert main(['list', 'mentr']) == 2\n")
    assert loaded & NOT_FOR_HELP == set()
    assert "tandem_desktop" in loaded  # the probe did import our code
