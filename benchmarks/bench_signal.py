"""Cold-process time of `quantkit signal --etf 560860` against the baseline of its imports.

Prints figures; asserts nothing. Baselines measured in the same run: a bare interpreter, and a
process that only imports pandas (the floor any pandas-based command pays).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pandas": [sys.executable, "-c", "import pandas"],
    "quantkit signal --etf 560860": [sys.executable, "-m", "quantkit", "signal", "--etf", "560860"],
    "quantkit signal --json": [sys.executable, "-m", "quantkit", "signal", "--etf", "560860", "--json"],
    "import vectorbt (avoided)": [sys.executable, "-c", "import vectorbt"],
}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    results = {}
    for name, cmd in CASES.items():
        timed(cmd)  # warm the file cache
        results[name] = statistics.median(timed(cmd) for _ in range(RUNS))
    base = results["import pandas"]
    print(f"median of {RUNS} cold processes")
    for name, secs in results.items():
        print(f"{name:32s} {secs:6.2f} s   {secs / base:5.2f} x import pandas")


if __name__ == "__main__":
    main()
