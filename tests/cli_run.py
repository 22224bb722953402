"""Run the `tandem` (or `tandem-hub`) command in-process, as a subprocess would, but 20× cheaper.

A subprocess costs about a second of imports per call; these tests call the entry point itself with
the environment, streams and working directory it would have had, and put everything back
afterwards so that no run leaks into the next one: os.environ, cwd, sys.std*, logging handlers, the
keyring backend and the exception hooks. A handful of real subprocess smoke tests remain (raw bytes
in argv, `python -m`, the console scripts, `tandem-hub serve`).
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import keyring
import keyring.core

from tandem_desktop.domain.ids import is_record_id


@dataclass(frozen=True)
class CliResult:
    """What a finished command left: its exit code and what it printed (as subprocess.run gives it)."""

    returncode: int
    stdout: str
    stderr: str


def _handlers() -> dict[str, list[logging.Handler]]:
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    return {logger.name: list(logger.handlers) for logger in loggers}


@contextmanager
def isolated_process(env: Mapping[str, str] | None = None) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """The process-wide state a command may touch, replaced for one run and restored afterwards."""
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_hooks = sys.excepthook, threading.excepthook
    saved_handlers = _handlers()
    saved_levels = {name: logging.getLogger(name).level for name in saved_handlers}
    saved_keyring = keyring.get_keyring()
    out, err = io.StringIO(), io.StringIO()
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
        if (backend := keyring.core.load_env()) is not None:  # what a fresh process would pick
            keyring.set_keyring(backend)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(""), out, err  # stdin as /dev/null
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.excepthook, threading.excepthook = saved_hooks
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        keyring.set_keyring(saved_keyring)
        for name, handlers in _handlers().items():
            logger = logging.getLogger(name)
            for handler in handlers:
                if handler not in saved_handlers.get(name, ()):
                    logger.removeHandler(handler)
                    handler.close()
            logger.setLevel(saved_levels.get(name, logging.NOTSET))


def _tandem_main(argv: list[str]) -> int:
    from tandem_desktop.cli import main

    return main(argv)


def run_main(main: Callable[[list[str]], int | None], args: Sequence[str],
             env: Mapping[str, str] | None = None) -> CliResult:
    """Call an entry point as the console script would; SystemExit (argparse, sys.exit) gives the code."""
    with isolated_process(env) as (out, err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
        code = code if isinstance(code, int) else (0 if code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


def tandem(env: Mapping[str, str] | None, *args: str) -> CliResult:
    """`tandem ARGS…` with exactly the environment `env` (None: the test's own)."""
    return run_main(_tandem_main, args, env)


def ok(env: Mapping[str, str] | None, *args: str) -> str:
    result = tandem(env, *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(env: Mapping[str, str] | None, *args: str, code: int = 1) -> str:
    result = tandem(env, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()
    return result.stderr


def add(env: Mapping[str, str] | None, kind: str, **values: str) -> str:
    out = ok(env, "add", kind, *(f"{k}={v}" for k, v in values.items()))
    record_id = out.strip()
    assert out == record_id + "\n" and is_record_id(record_id)  # the id alone on stdout
    return record_id


def show(env: Mapping[str, str] | None, kind: str, record_id: str) -> dict:
    return json.loads(ok(env, "show", kind, record_id, "--json"))
