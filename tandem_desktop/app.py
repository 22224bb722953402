"""Start-up of the desktop application: settings, Qt, the profile (created or unlocked), the window.

Everything is built here and passed down; nothing lives in module-level state.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import ExitStack

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication, QMessageBox

from . import __version__
from .diagnostics import FieldLog, field_log
from .domain.errors import DomainError
from .gui import profile_flow
from .gui.diagnostics import ErrorReporter, qt_messages_logged
from .gui.display_check import display_problem
from .gui.heap import HeapKeeper
from .gui.integrity import IntegrityWatch, ask_restore_at_start, run_with_progress
from .gui.main_window import MainWindow
from .gui.qt_french import install_qt_french
from .gui.sync_controller import SyncController
from .gui.tasks import TaskRunner
from .services import sync as sync_service
from .services.backup import restore_profile
from .settings import Settings, default_data_dir, load_settings
from .store.errors import CorruptDatabase, StoreError
from .store.profile import Profile
from .texts.arguments import FrenchArgumentParser

APP_TITLE = "Tandem Desktop"
EXIT_NO_DISPLAY = 3  # the X11 display plugin cannot load: the libraries to install were named


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (e.g. Qt's -platform) is left for QApplication."""
    parser = FrenchArgumentParser(
        prog="tandem-desktop", description="Tandem Desktop\u00a0: les fiches des mentors, mentorés et tandems.")
    parser.add_argument("--version", action="version", version=f"tandem-desktop {__version__}",
                        help="afficher la version et quitter")
    parser.add_argument("--data-dir", metavar="DOSSIER",
                        help="dossier du profil (par défaut celui de l’utilisateur\u00a0; aussi TANDEM_DATA_DIR)")
    parser.add_argument("--passphrase-file", metavar="FICHIER",
                        help="fichier contenant la phrase de passe (aussi TANDEM_PASSPHRASE)")
    parser.add_argument("--recovery-code-file", metavar="FICHIER",
                        help="fichier contenant le code de secours (aussi TANDEM_RECOVERY_CODE)")
    return parser.parse_known_args(argv)


def make_application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication, in French: locale, and Qt's own strings (Oui/Non, Annuler…) translated."""
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tandem-desktop", *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("TandemDesktop")
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName("Tandem")
    french = QLocale(QLocale.Language.French, QLocale.Country.France)
    QLocale.setDefault(french)
    install_qt_french(app, french)
    return app


def open_or_create(settings: Settings, runner: TaskRunner) -> Profile | None:
    """The profile to work on; None if the counsellor left (see gui/profile_flow.py).

    Raises StoreError (profile open elsewhere, damaged, newer schema…) for the caller to report.
    """
    return profile_flow.open_or_create(settings, runner)


def report_fatal(message: str) -> None:
    QMessageBox.critical(None, APP_TITLE, message)


def restore_backup(settings: Settings, backup: object) -> bool:
    """Swap `backup` in (the profile is closed), with a busy dialog; False after telling why it failed."""
    try:
        run_with_progress(lambda: restore_profile(settings, backup), "Restauration de la sauvegarde…")
    except StoreError as exc:
        report_fatal(str(exc))
        return False
    return True


def _offer_restore(error: CorruptDatabase, settings: Settings) -> bool:
    """A damaged database refused at open: offer its latest sound backup, or one chosen by hand
    (checked by the restore before it replaces anything); True once it is restored."""
    when = f" du {error.backup_date}" if error.backup_date else ""
    message = (f"Le fichier de données {error.path} est endommagé ou n’est pas une base Tandem. Il n’a pas été "
               "modifié.")
    if error.backup is not None:
        message += (f"\n\nDernière sauvegarde saine{when}. La restaurer\u00a0? La base endommagée sera "
                    "conservée dans le dossier backups/ du profil.")
    backup = ask_restore_at_start(message, error.backup, settings.backups_dir)
    return backup is not None and restore_backup(settings, backup)


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    if (problem := display_problem(qt_args=qt_args)) is not None:  # before Qt aborts with a misleading hint
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    app = make_application(qt_args)
    try:
        settings = load_settings(args.data_dir, args.passphrase_file, recovery_code_file=args.recovery_code_file)
    except OSError as exc:
        report_fatal(f"Fichier de phrase de passe ou de code de secours illisible\u00a0: {exc}")
        return 2
    except DomainError as exc:  # TANDEM_KDF_LOG2N, a passphrase file that is not text…
        report_fatal(str(exc))
        return 2
    with ExitStack() as stack:
        diagnostics = start_diagnostics(settings, stack)
        return _open_and_run(app, settings, diagnostics)


def start_diagnostics(settings: Settings, stack: ExitStack) -> FieldLog:
    """The field log, crash file and hooks (diagnostics/), Qt's messages into the log, and the
    « erreur inattendue » dialog for what nobody handled; all undone when `stack` closes."""
    reporter = ErrorReporter()
    diagnostics = stack.enter_context(field_log(settings, "tandem-desktop", on_error=reporter.report))
    reporter.log_path = diagnostics.path
    stack.enter_context(qt_messages_logged())
    stack.callback(reporter.deleteLater)
    return diagnostics


def watch_runner(runner: TaskRunner, diagnostics: FieldLog) -> TaskRunner:
    """A background job that failed with no `on_error` is an unexpected error: logged and shown."""
    runner.error.connect(lambda exc: diagnostics.unexpected(exc, "tâche en arrière-plan"))
    return runner


def _open_and_run(app: QApplication, settings: Settings, diagnostics: FieldLog) -> int:
    for _attempt in range(3):  # a restore of the latest sound backup opens the profile again
        runner = watch_runner(TaskRunner(), diagnostics)
        try:
            profile = open_or_create(settings, runner)
        except CorruptDatabase as exc:
            runner.shutdown()
            if _offer_restore(exc, settings):
                continue
            return 1
        except StoreError as exc:
            report_fatal(str(exc))
            runner.shutdown()
            return 1
        if profile is None:
            runner.shutdown()
            return 0
        diagnostics.start_crash_log()  # a profile created just now has its logs/ folder from here on
        code, backup = _run_window(app, settings, profile, runner)
        if backup is None:
            return code
        if not restore_backup(settings, backup):
            return 1
    return 1


def _run_window(app: QApplication, settings: Settings, profile: Profile, runner: TaskRunner) -> tuple[int, object]:
    """Show the window until it closes; (exit code, the backup to restore if the counsellor chose one)."""
    chosen: list[object] = []
    heap: HeapKeeper | None = None
    try:
        custom = settings.data_dir != default_data_dir()  # say which profile when it is not the usual one
        sync = SyncController(profile, runner, sync_service)
        window = MainWindow(profile.store, runner, subtitle=settings.data_dir.name if custom else "", sync=sync,
                            lock_after_minutes=settings.lock_after_minutes)
        watch = IntegrityWatch(profile, runner, window)
        watch.restore_requested.connect(lambda backup: window.close() and chosen.append(backup))
        window.show()
        profile_flow.install_recovery_action(window, window.file_menu, window.quit_action, profile, runner,
                                             window.show_message)
        message = profile_flow.after_open(profile, runner, window)  # the new code, once; after a recovery
        if message:
            window.show_message(message)
        if sync is not None:
            sync.start()
        watch.start()
        heap = HeapKeeper(runner, window)
        heap.start()  # after start-up: what it built is frozen, full collections wait for idle lanes
        code = app.exec()
    finally:
        if heap is not None:
            heap.stop()  # Python's own collector again (a restore opens the window anew)
        runner.shutdown()
        profile.close()
    return code, (chosen[0] if chosen else None)
