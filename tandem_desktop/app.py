"""Start-up of the desktop application: settings, Qt, the profile (created or unlocked), the window.

Everything is built here and passed down; nothing lives in module-level state.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox

from .gui import profile_flow
from .gui.main_window import MainWindow
from .gui.sync_controller import SyncController
from .gui.sync_service import load_sync_service
from .gui.tasks import TaskRunner
from .settings import Settings, default_data_dir, load_settings
from .store.errors import StoreError
from .store.profile import Profile

APP_TITLE = "Tandem Desktop"


class _FrenchHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix="Utilisation\u00a0: ")


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """Our options; anything else (e.g. Qt's -platform) is left for QApplication."""
    parser = argparse.ArgumentParser(
        prog="tandem-desktop", description="Tandem Desktop\u00a0: les fiches des mentors, mentorés et tandems.",
        formatter_class=_FrenchHelp, add_help=False,
    )
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
    parser.add_argument("--data-dir", metavar="DOSSIER",
                        help="dossier du profil (par défaut celui de l'utilisateur\u00a0; aussi TANDEM_DATA_DIR)")
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
    if app.findChild(QTranslator, "qtbase_fr") is None:
        translator = QTranslator(app)
        translator.setObjectName("qtbase_fr")
        if translator.load(french, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(translator)
    return app


def open_or_create(settings: Settings, runner: TaskRunner) -> Profile | None:
    """The profile to work on; None if the counsellor left (see gui/profile_flow.py).

    Raises StoreError (profile open elsewhere, damaged, newer schema…) for the caller to report.
    """
    return profile_flow.open_or_create(settings, runner)


def report_fatal(message: str) -> None:
    QMessageBox.critical(None, APP_TITLE, message)


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    app = make_application(qt_args)
    try:
        settings = load_settings(args.data_dir, args.passphrase_file, recovery_code_file=args.recovery_code_file)
    except OSError as exc:
        report_fatal(f"Fichier de phrase de passe illisible\u00a0: {exc}")
        return 2
    runner = TaskRunner()
    try:
        profile = open_or_create(settings, runner)
    except StoreError as exc:
        report_fatal(str(exc))
        runner.shutdown()
        return 1
    if profile is None:
        runner.shutdown()
        return 0
    try:
        custom = settings.data_dir != default_data_dir()  # say which profile when it is not the usual one
        service = load_sync_service()  # None in a build without sync: the window then has no sync parts
        sync = SyncController(profile, runner, service) if service is not None else None
        window = MainWindow(profile.store, runner, subtitle=settings.data_dir.name if custom else "", sync=sync)
        window.show()
        profile_flow.install_recovery_action(window, window.file_menu, window.quit_action, profile, runner,
                                             window.show_message)
        message = profile_flow.after_open(profile, runner, window)  # the new code, once; after a recovery
        if message:
            window.show_message(message)
        if sync is not None:
            sync.start()
        return app.exec()
    finally:
        runner.shutdown()
        profile.close()
