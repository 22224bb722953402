"""The field log (diagnostics/): 0600 files in a 0700 logs/ folder, rotation, the scrubbing safety net,
the `tandem` command logging its work without a single personal value, and --version."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from tandem_desktop import __version__, cli
from tandem_desktop.diagnostics import (
    CRASH_NAME,
    LOG_NAME,
    PrivateRotatingFileHandler,
    field_log,
    logfile,
    logs_dir,
    report,
    scrub_text,
    trace_lines,
)
from tandem_desktop.hub import cli as hub_cli
from tandem_desktop.settings import Settings

from .conftest import PASSPHRASE

# Values nobody else uses, so that finding one in a log can only mean it leaked.
FIRST, LAST, EMAIL, PHONE = "Zéphyrine", "Quintrand-Azoulay", "zephyrine.quintrand@exemple.fr", "06 98 76 54 32"
LAST_2, EMAIL_2, NOTE = "Brocéliande", "z.broceliande@exemple.org", "suivi psychologique confidentiel"
SECRETS = (FIRST, LAST, EMAIL, PHONE, LAST_2, EMAIL_2, NOTE, PASSPHRASE, "zephyrine", "broceliande")


def log_files(data_dir: Path) -> list[Path]:
    """Every file the field log wrote, and the old error log if a release left one."""
    found = sorted(p for p in logs_dir(data_dir).rglob("*") if p.is_file())
    legacy = data_dir / "journal-erreurs.log"
    return found + ([legacy] if legacy.exists() else [])


def assert_no_personal_data(data_dir: Path, secrets: tuple[str, ...] = SECRETS) -> str:
    """Scan every log file (as bytes, case-folded); the text of tandem.log, for checking what it holds."""
    files = log_files(data_dir)
    assert files, "nothing was logged: the scan would prove nothing"
    for path in files:
        content = path.read_bytes().decode("utf-8", "replace").casefold()
        for secret in secrets:
            assert secret.casefold() not in content, f"{secret!r} found in {path.name}"
    return (logs_dir(data_dir) / LOG_NAME).read_text(encoding="utf-8")


@pytest.fixture
def in_process(settings: Settings, profile, monkeypatch: pytest.MonkeyPatch) -> Settings:  # type: ignore[no-untyped-def]
    profile.close()
    monkeypatch.setenv("TANDEM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TANDEM_PASSPHRASE", PASSPHRASE)
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_logs_its_work_and_no_personal_value(in_process: Settings, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "add", "mentor", f"first_name={FIRST}", f"last_name={LAST}", f"email={EMAIL}",
                         f"phone={PHONE}")
    assert code == 0, err
    mentor = out.strip()
    code, _, err = run(capsys, "set", "mentor", mentor, f"last_name={LAST_2}", f"email={EMAIL_2}")
    assert code == 0, err
    code, out, _ = run(capsys, "show", "mentor", mentor)
    assert code == 0 and LAST_2 in out
    code, _, err = run(capsys, "add", "mentor", f"first_name={FIRST}", "email=pas-un-email")  # refused
    assert code == 1 and err

    def broken(args, settings):  # type: ignore[no-untyped-def]
        secret = f"{FIRST} {LAST} <{EMAIL}> {PHONE}"  # a local holding personal data: never logged
        raise RuntimeError(f"{secret} — {NOTE}")

    monkeypatch.setitem(cli.HANDLERS, "list", broken)
    code, out, err = run(capsys, "list", "mentor")
    assert code == cli.EXIT_UNEXPECTED and "Traceback" not in out + err and FIRST not in err

    text = assert_no_personal_data(in_process.data_dir)
    assert f"created mentor {mentor} (4 fields)" in text
    assert f"updated mentor {mentor}: email,last_name" in text
    assert "command add: exit 0" in text and "command set: exit 0" in text and "command show: exit 0" in text
    assert "command add: exit 1" in text
    assert "unexpected RuntimeError in command list" in text and "tests/test_diagnostics.py" in text
    assert "dans broken" in text and "command list: exit 70" in text
    folder = logs_dir(in_process.data_dir)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()} == {LOG_NAME: 0o600, CRASH_NAME: 0o600}


def test_the_log_files_are_private_whatever_the_umask(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    old = os.umask(0)
    try:
        with field_log(settings, "test"):
            logging.getLogger("tandem_desktop.test").warning("one line")
    finally:
        os.umask(old)
    folder = logs_dir(settings.data_dir)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert sorted((p.name, p.stat().st_mode & 0o777) for p in folder.iterdir()) == [
        (CRASH_NAME, 0o600), (LOG_NAME, 0o600)]


def test_an_old_log_is_tightened_when_opened(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    folder = logs_dir(settings.data_dir)
    folder.mkdir(mode=0o755)
    (folder / LOG_NAME).write_text("ancienne ligne\n", encoding="utf-8")
    os.chmod(folder / LOG_NAME, 0o644)
    with field_log(settings, "test"):
        logging.getLogger("tandem_desktop.test").warning("one line")
    assert folder.stat().st_mode & 0o777 == 0o700 and (folder / LOG_NAME).stat().st_mode & 0o777 == 0o600
    assert (folder / LOG_NAME).read_text(encoding="utf-8").startswith("ancienne ligne\n")


def test_the_log_rotates_and_every_file_stays_private(settings: Settings, profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    with field_log(settings, "test"):
        for number in range(200):
            logging.getLogger("tandem_desktop.test").warning("line %d %s", number, "x" * 40)
    folder = logs_dir(settings.data_dir)
    names = sorted(p.name for p in folder.iterdir())
    assert names == [CRASH_NAME, LOG_NAME, f"{LOG_NAME}.1", f"{LOG_NAME}.2", f"{LOG_NAME}.3"]
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path.name
        assert path.stat().st_size <= 2000 + 200
    assert "line 199 " in (folder / LOG_NAME).read_text(encoding="utf-8")


def test_nothing_is_written_outside_a_profile(tmp_path: Path) -> None:
    """A command run on a folder that is not a profile (or before `tandem init`) leaves no logs/ there."""
    folder = tmp_path / "pas-un-profil"
    folder.mkdir()
    (folder / "notes.txt").write_text("à moi", encoding="utf-8")
    with field_log(Settings(folder), "test"):
        logging.getLogger("tandem_desktop.test").error("nowhere to go")
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_the_scrubbing_filter_is_a_safety_net(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    """Callers that forget the rule: an exception as an argument, an e-mail or phone in a message, a
    traceback whose frames hold personal values, the home folder in a path."""
    home = str(Path.home())
    logger = logging.getLogger("tandem_desktop.careless")
    with field_log(settings, "test"):
        try:
            record = {"first_name": FIRST, "email": EMAIL}  # noqa: F841 (a local: its value must not be logged)
            raise ValueError(f"« {LAST} » n’est pas valide")
        except ValueError as exc:
            logger.error("save failed: %r", exc)
            logger.error("save failed", exc_info=exc)
            logger.warning("mail %s phone %s / +33 6 98 76 54 32 / 0033698765432 / +44 20 7946 0958",
                           EMAIL, PHONE)
            logger.warning("file %s/Documents/export.csv", home)
            logger.warning(exc)
    text = assert_no_personal_data(settings.data_dir, (FIRST, LAST, EMAIL, PHONE, "7946", "698765432"))
    assert "save failed: '<ValueError>'" in text
    assert "save failed\nValueError\n  tests/test_diagnostics.py:" in text
    assert "mail <e-mail> phone <téléphone> / <téléphone> / <téléphone> / <téléphone>" in text
    assert "file ~/Documents/export.csv" in text and (home == "/" or home not in text)


def test_what_the_scrubber_leaves_alone() -> None:
    """Ids, dates, counts and versions are what a technician needs: none of them is mistaken for a phone."""
    text = ("created mentor 0193a1b2-7c3e-7def-8a9b-0c1d2e3f4a5b (12 fields) at 2026-12-01 15:36:17,755 "
            "cursor 1234567890 version 6.11.3 count 25000")
    assert scrub_text(text, home="/home/marie") == text


def test_a_trace_names_code_locations_and_types_only() -> None:
    def inner() -> None:
        raise KeyError(EMAIL)

    try:
        try:
            inner()
        except KeyError as exc:
            raise OSError(28, f"No space left for {FIRST}", "/home/x/ex.csv") from exc
    except OSError as exc:
        lines = trace_lines(exc)
        text = report(exc, "tâche en arrière-plan", [("Qt", "6.x")])
    assert lines[0] == "OSError (ENOSPC)"
    assert any(line.startswith("  tests/test_diagnostics.py:") and line.endswith("dans inner") for line in lines)
    assert "provoquée par KeyError" in lines
    assert FIRST not in text and EMAIL not in text and "ex.csv" not in text
    assert f"Version\u00a0: Tandem Desktop {__version__}" in text and "Qt\u00a0: 6.x" in text
    assert "Contexte\u00a0: tâche en arrière-plan" in text and "Python\u00a0: " in text


def test_hooks_log_what_nobody_caught_and_are_put_back(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    import sys

    before = (sys.excepthook, threading.excepthook)
    seen: list[tuple[str, str]] = []
    with field_log(settings, "test", on_error=lambda e, where: seen.append((type(e).__name__, where))):
        try:
            raise LookupError(EMAIL)
        except LookupError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
        threading.excepthook(threading.ExceptHookArgs([TypeError, TypeError(FIRST), None, None]))
    assert (sys.excepthook, threading.excepthook) == before
    assert seen == [("LookupError", "exception non rattrapée"), ("TypeError", "fil d’exécution")]
    text = assert_no_personal_data(settings.data_dir, (FIRST, EMAIL))
    assert "unexpected LookupError in test (exception non rattrapée)" in text
    assert "unexpected TypeError in test (fil d’exécution)" in text
    assert not any(isinstance(h, PrivateRotatingFileHandler) for h in logging.getLogger().handlers)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"tandem {__version__}\n"
    assert hub_cli.main(["--version"]) == 0  # tandem-hub returns its exit codes, as tandem does
    assert capsys.readouterr().out == f"tandem-hub {__version__}\n"


def test_a_library_configuring_logging_does_not_silence_the_field_log(settings: Settings, profile) -> None:  # type: ignore[no-untyped-def]
    """import-linter (and any library calling dictConfig) disables every logger that exists already."""
    import logging.config

    ours = logging.getLogger("tandem_desktop.services.records")
    loggers = [lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    disabled = {lg: lg.disabled for lg in loggers}
    try:
        logging.config.dictConfig({"version": 1})
        assert ours.disabled
        with field_log(settings, "test"):
            ours.info("created mentor 0193a1b2-7c3e-7def-8a9b-0c1d2e3f4a5b (3 fields)")
    finally:
        for logger, flag in disabled.items():
            logger.disabled = flag
    assert "created mentor 0193a1b2" in (logs_dir(settings.data_dir) / LOG_NAME).read_text(encoding="utf-8")


def test_a_hard_crash_leaves_its_dump_in_the_crash_file(settings: Settings, profile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A segfault (in Qt or SQLCipher, say) kills the process before any Python handler runs:
    faulthandler, kept open on logs/plantage.log, still writes where the process was."""
    import subprocess
    import sys

    script = tmp_path / "crash.py"
    script.write_text(
        "import faulthandler, sys\n"
        "from pathlib import Path\n"
        "from tandem_desktop.diagnostics import field_log\n"
        "from tandem_desktop.settings import Settings\n"
        "def crash_here(name):\n"
        "    faulthandler._sigsegv()\n"
        "with field_log(Settings(Path(sys.argv[1])), 'test'):\n"
        f"    crash_here({FIRST!r})\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(settings.data_dir)], capture_output=True,
                          timeout=60, env={**os.environ, "PYTHONFAULTHANDLER": ""})
    assert done.returncode != 0
    dump = (logs_dir(settings.data_dir) / CRASH_NAME).read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in dump and "crash_here" in dump
    assert FIRST not in dump
