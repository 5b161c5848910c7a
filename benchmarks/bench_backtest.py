"""One `ma_timing.toml` backtest of 562800 as a fresh process: cold vs warm numba cache.

Prints figures; asserts nothing. Two kinds of fresh processes, each run first with an empty
``NUMBA_CACHE_DIR`` (a new temp dir: cold, numba compiles every kernel) and then again with the
same dir (warm, kernels load from the cache):

1. the console command ``quantkit backtest strategies/ma_timing.toml --json FILE`` end to end;
2. the same work in phases, timed inside the process: interpreter + quantkit/pandas imports,
   strategy + data + models, ``import vectorbt``, first simulation (compilation or cache load),
   a second identical simulation (the pure run time), result and metrics.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from processes import process_env

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = ROOT / "strategies" / "ma_timing.toml"
QUANTKIT = ROOT / ".venv" / "bin" / "quantkit"

PHASES = r"""
import json, sys, time
t0 = time.perf_counter()
from quantkit.backtest.pipeline import build_target_weights, load_inputs, select_symbols
from quantkit.backtest.strategy_file import load_strategy
t_import = time.perf_counter()
s = load_strategy(sys.argv[1])
symbols = select_symbols(s)
inputs = load_inputs(s.model, s.params, symbols)
weights = build_target_weights(s, inputs).weights
t_models = time.perf_counter()
from quantkit.backtest.engine import import_vectorbt, run_backtest
import_vectorbt()
t_vbt = time.perf_counter()
run_backtest(weights, inputs.traded, s.execution, s.costs, name=s.name)
t_first = time.perf_counter()
r = run_backtest(weights, inputs.traded, s.execution, s.costs, name=s.name)
t_second = time.perf_counter()
print(json.dumps({"imports": t_import - t0, "models": t_models - t_import, "vectorbt": t_vbt - t_models,
                  "first_run": t_first - t_vbt, "second_run": t_second - t_first,
                  "total_return": r.metrics["total_return"]}))
import gc; gc.freeze()  # the console script's exit
"""


def run(cmd: list[str], cache: str) -> tuple[float, str]:
    env = process_env(NUMBA_CACHE_DIR=cache)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return time.perf_counter() - start, proc.stdout


def median(timed, runs: int = 5) -> float:
    return statistics.median(timed() for _ in range(runs))


def main() -> None:
    exe = [str(QUANTKIT)] if QUANTKIT.exists() else [sys.executable, "-m", "quantkit"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        print(f"fresh processes, {STRATEGY.name} on 562800 (cold = empty NUMBA_CACHE_DIR)\n")
        cli_cache = str(Path(tmp) / "cli_cache")
        cli = {}
        for label in ("cold", "warm"):
            cli[label], _ = run([*exe, "backtest", str(STRATEGY), "--json", str(out)], cli_cache)
        ret = json.loads(out.read_text())["metrics"]["total_return"]
        warm = median(lambda: run([*exe, "backtest", str(STRATEGY), "--json", str(out)], cli_cache)[0])
        floor = median(lambda: run([sys.executable, "-c", "import vectorbt"], cli_cache)[0])
        # the same import ending the way the console script ends (objects frozen out of the
        # collector, which skips ≈ 0.5 s of shutdown collections): what the work itself costs
        floor_frozen = median(lambda: run([sys.executable, "-c", "import gc, vectorbt; gc.freeze()"], cli_cache)[0])
        print("end to end: quantkit backtest strategies/ma_timing.toml --json FILE")
        for label, secs in cli.items():
            print(f"  {label:5s} {secs:7.2f} s")
        print(f"  (total return {ret:.4%})")
        print(f"warm process, median of 5: {warm:.2f} s against `python -c 'import vectorbt'` {floor:.2f} s = "
              f"{warm / floor:.2f}× (target ≤ 1.1×: {'met' if warm <= 1.1 * floor else 'not met'})")
        print(f"  against the import ending like the console script ({floor_frozen:.2f} s): "
              f"{warm / floor_frozen:.2f}×; "
              f"work beyond the import {warm - floor_frozen:.2f} s = {(warm - floor_frozen) / floor_frozen:.0%} of it "
              f"(of which numba's first cache load ≈ 0.1–0.2 s, a cost `import vectorbt` alone does not pay)\n")

        phase_cache = str(Path(tmp) / "phase_cache")
        rows = {}
        for label in ("cold", "warm"):
            wall, stdout = run([sys.executable, "-c", PHASES, str(STRATEGY)], phase_cache)
            phases = json.loads(stdout.strip().splitlines()[-1])
            phases["interpreter+other"] = wall - sum(v for k, v in phases.items() if k != "total_return")
            phases["wall"] = wall
            rows[label] = phases
        keys = ["imports", "models", "vectorbt", "first_run", "second_run", "interpreter+other", "wall"]
        names = {"imports": "quantkit + pandas imports", "models": "strategy, data, models",
                 "vectorbt": "import vectorbt", "first_run": "first simulation (compile / cache load)",
                 "second_run": "second simulation (pure run)", "interpreter+other": "interpreter start, exit",
                 "wall": "process wall time"}
        print(f"{'phase':42s} {'cold':>9s} {'warm':>9s}")
        for k in keys:
            c, w = rows["cold"][k], rows["warm"][k]
            print(f"{names[k]:42s} {c:8.2f}s {w:8.2f}s")
        for label in ("cold", "warm"):
            r = rows[label]
            compile_s = r["first_run"] - r["second_run"]
            print(f"{label}: imports (quantkit, pandas, vectorbt) {(r['imports'] + r['vectorbt']) / r['wall']:.0%} "
                  f"of wall time, compilation / cache load {compile_s / r['wall']:.0%}, "
                  f"simulation itself {r['second_run'] / r['wall']:.1%}")


if __name__ == "__main__":
    main()
