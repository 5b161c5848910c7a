"""The golden cases: CLI JSON outputs recorded on the committed snapshot, compared by test_golden.

``python tests/golden/cases.py`` re-records every case into ``tests/golden/*.json`` (only after a
deliberate change of numbers, e.g. new data; say why in the commit).

Every case runs on a pinned clock (``QUANTKIT_NOW`` = :data:`RECORDED_ON`), so a golden file does
not depend on the day the suite runs; :data:`DAYS_TO_CLOCK` lists the fields that count days up to
"now" (they move one for one with the clock, everything else must not move).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
#: the clock of every golden case (an arbitrary fixed day after the snapshot's last bar)
RECORDED_ON = "2026-12-07"
#: case → JSON paths (as ``differences`` names them) whose value is a number of days up to the clock
DAYS_TO_CLOCK: dict[str, frozenset[str]] = {"signal_560860": frozenset({"$.data.stale_days"})}
README_GRID = ("--grid", "short=5:60:5", "--grid", "long=60:250:10", "--grid", "band=0,0.01,0.02,0.03,0.05")

#: name → quantkit arguments (each prints one JSON document on stdout)
CASES: dict[str, tuple[str, ...]] = {
    "backtest_ma_timing": ("backtest", "strategies/ma_timing.toml", "--json", "-"),
    "backtest_ma_timing_range0": ("backtest", "strategies/ma_timing.toml", "--set", "weights.range=0", "--json", "-"),
    "backtest_valuation_position": ("backtest", "strategies/valuation_position.toml", "--json", "-"),
    "backtest_valuation_position_range0": ("backtest", "strategies/valuation_position.toml", "--set",
                                           "weights.range=0", "--json", "-"),
    "backtest_quadrant_rotation": ("backtest", "strategies/quadrant_rotation.toml", "--json", "-"),
    "backtest_quadrant_rotation_range0": ("backtest", "strategies/quadrant_rotation.toml", "--set",
                                          "weights.range=0", "--json", "-"),
    "backtest_quadrant_rotation_overlay": ("backtest", "strategies/quadrant_rotation.toml", "--set",
                                           "rotation.timing_overlay=true", "--start", "2024-01-02", "--json", "-"),
    "backtest_ma_timing_trend_line": ("backtest", "strategies/ma_timing.toml", "--etf", "560860", "--set",
                                      "signal.trend_line=30", "--set", "signal.index=000985", "--json", "-"),
    "sweep_ma_timing": ("sweep", "strategies/ma_timing.toml", "--etf", "562800", *README_GRID, "--walk-forward", "4",
                        "--quiet", "--json", "-"),
    "signal_560860": ("signal", "--etf", "560860", "--as-of", "2026-01-23", "--json"),
    "weekly": ("weekly", "--as-of", "2026-01-23", "--json", "--out", "{tmp}"),
}


def run_case(name: str, clock: str = RECORDED_ON) -> dict:
    """Run one case in-process from the repository root on the pinned ``clock`` (YYYY-MM-DD) and
    parse its JSON output."""
    import os
    from unittest import mock

    from quantkit.cli.main import main
    from quantkit.data.calendar import CLOCK_ENV

    out = io.StringIO()
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp, mock.patch.dict(os.environ, {CLOCK_ENV: clock}):
        argv = [a.replace("{tmp}", tmp) for a in CASES[name]]
        os.chdir(ROOT)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                code = main(argv)
        finally:
            os.chdir(cwd)
    if code != 0:
        raise RuntimeError(f"quantkit {' '.join(argv)} exited {code}")
    return json.loads(out.getvalue())


if __name__ == "__main__":
    for case in sys.argv[1:] or CASES:
        (HERE / f"{case}.json").write_text(json.dumps(run_case(case), ensure_ascii=False, indent=1, sort_keys=True)
                                           + "\n", encoding="utf-8")
        print(f"recorded {case}")
