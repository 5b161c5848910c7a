"""Cold-process time of `quantkit signal --etf 560860` and `quantkit weekly` against the baseline of their imports.

Prints figures; asserts nothing. Baselines measured in the same run: a bare interpreter, and a
process that only imports pandas (the floor any pandas-based command pays). Targets: `signal`
≤ 1.5× `import pandas`; `weekly` on the theme universe ≤ 2 s. The first run of each command (not
counted) fills the quadrant-table cache keyed by the stored data's version, as a scheduled job's
previous run would.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from processes import process_env

RUNS = 5
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pandas": [sys.executable, "-c", "import pandas"],
    "quantkit signal --etf 560860": [sys.executable, "-m", "quantkit", "signal", "--etf", "560860"],
    "quantkit signal --json": [sys.executable, "-m", "quantkit", "signal", "--etf", "560860", "--json"],
    "quantkit weekly (theme ETFs)": [sys.executable, "-m", "quantkit", "weekly", "--as-of", "2026-01-23", "--out",
                                     tempfile.mkdtemp(prefix="quantkit-weekly-")],
    "import vectorbt (avoided)": [sys.executable, "-c", "import vectorbt"],
}
TARGETS = {"quantkit signal --etf 560860": ("× import pandas", 1.5), "quantkit signal --json": ("× import pandas", 1.5),
           "quantkit weekly (theme ETFs)": ("s", 2.0)}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=process_env())
    return time.perf_counter() - start


def main() -> None:
    results = {}
    for name, cmd in CASES.items():
        timed(cmd)  # warm the file cache and write quantkit's bytecode cache
        results[name] = statistics.median(timed(cmd) for _ in range(RUNS))
    base = results["import pandas"]
    print(f"median of {RUNS} cold processes")
    for name, secs in results.items():
        line = f"{name:32s} {secs:6.2f} s   {secs / base:5.2f} x import pandas"
        if name in TARGETS:
            unit, limit = TARGETS[name]
            value = secs / base if unit.startswith("×") else secs
            line += f"   target ≤ {limit:g} {unit.strip('× ') if unit == 's' else unit}: {'met' if value <= limit else 'not met'}"
        print(line)


if __name__ == "__main__":
    main()
