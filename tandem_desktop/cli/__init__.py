"""The `tandem` command, for scripts, administrators and tests. Thin: the work is done in services.

Exit codes: 0 done; 1 refused (invalid value, unknown id, wrong passphrase, locked or damaged
profile…), with the reason in French on stderr; 2 wrong usage of the command; 3–5 sync failures
(see cli/sync.py: revoked device, hub unreachable, update required); 70 an unexpected failure, told
in French, its technical trace (no personal data) in the profile's field log, logs/tandem.log
(see diagnostics/: ids, kinds, counts and exception types, never a record's values).

The package's modules import `common` and `output` below them, never this module, so there is no loop.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from ..diagnostics import field_log
from ..domain.errors import DomainError, ValidationError
from ..domain.kinds import KINDS
from ..settings import Settings, load_settings
from ..store.files import os_reason
from . import charter, imports, keys, match, privacy, sync
from .commands import COMMANDS, build_parser
from .common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, NBSP
from .errors import EXIT_UNEXPECTED, command_name, not_utf8, unexpected
from .output import escaped_output

__all__ = ["COMMANDS", "EXIT_OK", "EXIT_REFUSED", "EXIT_UNEXPECTED", "EXIT_USAGE", "HANDLERS", "build_parser", "main"]

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    **COMMANDS, **sync.COMMANDS, **keys.COMMANDS, **charter.COMMANDS, **match.COMMANDS, **imports.COMMANDS,
    **privacy.COMMANDS,
}


def _report(error: DomainError, kind: str | None) -> None:
    if isinstance(error, ValidationError):
        spec = KINDS.get(kind or "")
        for name, message in error.errors.items():
            field = spec.by_name.get(name) if spec else None
            if field is None and message.startswith("Suppression impossible"):
                print(message, file=sys.stderr)
            else:
                print(f"{f'{field.label} ({name})' if field else name}{NBSP}: {message}", file=sys.stderr)
    else:
        print(str(error), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every line it prints goes out with control characters escaped (a name pulled
    from a hostile hub, a forged certificate's subject…), so no output can drive the terminal."""
    with escaped_output():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    if (refusal := not_utf8(argv)) is not None:
        print(refusal, file=sys.stderr)
        return EXIT_USAGE
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already explained
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:  # before the settings exist: nowhere to log
        return unexpected(exc, args, None)


def _run(args: argparse.Namespace) -> int:
    from ..store.engine import quiet_sqlcipher_logs

    quiet_sqlcipher_logs()
    try:
        settings = load_settings(getattr(args, "data_dir", None), getattr(args, "passphrase_file", None),
                                 recovery_code_file=getattr(args, "recovery_code_file", None))
    except OSError as exc:
        print(f"Fichier de phrase de passe ou de code de secours illisible{NBSP}: {exc.filename} "
              f"({os_reason(exc)}).", file=sys.stderr)
        return EXIT_REFUSED
    except DomainError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    with field_log(settings, "tandem"):
        code = _dispatch(args, settings)
        log.info("command %s: exit %d", command_name(args), code)
        return code


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    try:
        handler = HANDLERS[args.command]
        return handler(args, settings)
    except DomainError as exc:
        _report(exc, getattr(args, "kind", None))
        if isinstance(exc, sync.SyncError) and (code := sync.exit_code(exc)) is not None:
            return code
    except OSError as exc:
        where = f"{exc.filename}{NBSP}: " if exc.filename else ""
        print(f"Opération impossible{NBSP}: {where}{os_reason(exc)}. Rien n’a été modifié.", file=sys.stderr)
    except UnicodeDecodeError as exc:  # a file given to read (ids, proposal…) that is not UTF-8 text
        print(f"Fichier illisible{NBSP}: ce n’est pas un texte UTF-8 ({exc.reason}). Rien n’a été modifié.",
              file=sys.stderr)
    except Exception as exc:
        return unexpected(exc, args, settings)
    return EXIT_REFUSED


if __name__ == "__main__":
    raise SystemExit(main())
