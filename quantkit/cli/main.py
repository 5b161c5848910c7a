"""Entry point of the ``quantkit`` command.

Each command lives in its own module of this package with a ``register(subparsers)`` function
that adds its parser and sets ``func``; modules import heavy libraries inside ``func`` only.
Expected failures (:class:`~quantkit.errors.QuantkitError`) print one line to stderr and exit
non-zero; anything else is a bug and keeps its traceback. The library does not print: its notes
(offline fallbacks, stale data) are log records of the ``quantkit`` logger and its cautions are
warnings; the CLI shows both as one line on stderr.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
import warnings

from quantkit import __version__
from quantkit.errors import QuantkitError

COMMANDS = ("data_cmd", "signal_cmd", "backtest_cmd", "weekly_cmd", "etf_cmd")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, like every other bad input
        self.exit(2, f"quantkit: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="quantkit", description="Timing and backtests of A-share ETFs on real prices.")
    parser.add_argument("--version", action="version", version=f"quantkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"quantkit.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"quantkit.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


class _StderrLines(logging.Handler):
    """Log records as plain lines on the current ``sys.stderr``."""

    def emit(self, record: logging.LogRecord) -> None:
        print(record.getMessage(), file=sys.stderr)


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"quantkit: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    logger = logging.getLogger("quantkit")
    handler, level = _StderrLines(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_line
            return _main(argv)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except QuantkitError as exc:
        print(f"quantkit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except OSError as exc:  # an output path that cannot be written, a disk that is full …
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"quantkit: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("quantkit: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``quantkit`` console script: :func:`main`, then exit with its code.

    Objects still alive are frozen out of the garbage collector first: the process ends anyway,
    and the interpreter's shutdown collections over everything vectorbt and numba loaded take
    ≈ 0.5 s (``benchmarks/bench_backtest.py``). Atexit handlers and the flushing of open files
    still run. In-process callers (notebooks, tests) use :func:`main`, which freezes nothing.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
