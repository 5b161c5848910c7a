"""Run a command with the wall clock DAYS ahead: ``python tests/clock_ahead.py 400 -- python -m pytest``.

The suite must pass on any day; this runs it on a later one (``make test-later``). It preloads the
libfaketime that the ``libfaketime`` package (a test extra) bundles and moves only the wall clock:
the monotonic clock, which measures durations and knows no date, is left alone. Debian's
``faketime`` 0.9.10 cannot serve here with Python 3.11: faking the monotonic clock makes every
timed lock wait (``Event.wait``, ``Thread.join`` with a timeout) sleep for the whole offset, and
leaving it out makes ``time.sleep`` fail with EINVAL. The headless Chromium of the report tests
runs on the machine's clock (it crashes or spins under a faked one; it renders, it does not date).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--" or not argv[0].isdigit():
        print("usage: python tests/clock_ahead.py DAYS -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    import libfaketime

    _, env = libfaketime.get_reload_information()
    env = {**os.environ, **env, "FAKETIME": f"+{int(argv[0])}d", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
           "FAKETIME_NO_CACHE": "0"}  # a fixed offset: nothing to re-read on every call
    os.execvpe(argv[2], argv[2:], env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
