"""Size of the standalone HTML reports against the 2 MB target.

Prints figures; asserts nothing. Each report is written to a temporary folder: the backtest
reports of the three strategy files, the README-grid sweep of ma_timing and a weekly report. The
baseline measured in the same run is the same page with the full plotly.js inlined uncompressed
(how pages were built before: 4.8 MB of plotly.js per page). Then a year of weekly pages in one
folder, inline against ``--plotlyjs shared`` (one plotly.js file beside them).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET = 2_000_000


def main() -> None:
    from plotly.offline import get_plotlyjs

    from quantkit.app.weekly import build_weekly, write_weekly
    from quantkit.backtest import run_strategy, sweep_strategy
    from quantkit.backtest.sweep import parse_grid
    from quantkit.report import write_html, write_sweep_html

    full = len(get_plotlyjs().encode("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        pages = {name: write_html(run_strategy(ROOT / "strategies" / f"{name}.toml"), out / f"{name}.html")
                 for name in ("ma_timing", "valuation_position", "quadrant_rotation")}
        grid = parse_grid(["short=5:60:5", "long=60:250:10", "band=0,0.01,0.02,0.03,0.05"])
        pages["sweep (README grid)"] = write_sweep_html(sweep_strategy(ROOT / "strategies" / "ma_timing.toml", grid),
                                                       out / "sweep.html")
        pages["weekly (theme ETFs)"] = write_weekly(build_weekly(as_of="2026-01-23"), out / "weekly").html
        print(f"{'report':24s} {'size':>9s} {'target':>8s} {'full plotly.js inline':>22s}")
        for name, path in pages.items():
            html = path.read_text(encoding="utf-8")
            packed = _packed(path)
            size, before = len(html.encode("utf-8")), len(html.encode("utf-8")) - len(packed) + full
            print(f"{name:24s} {size / 1e6:7.2f} MB {'met' if size <= TARGET else 'NOT MET':>8s} "
                  f"{before / 1e6:14.2f} MB ({before / size:.1f}×)")

        # a year of weekly reports in one folder: every page inline, or sharing one plotly.js file
        report = build_weekly(as_of="2026-01-23")
        inline_page = pages["weekly (theme ETFs)"].stat().st_size
        shared = write_weekly(report, out / "shared", plotlyjs="shared")
        shared_page = shared.html.stat().st_size
        bundle = sum(p.stat().st_size for p in (out / "shared").glob("*.js"))
        year_inline, year_shared = 52 * inline_page / 1e6, (52 * shared_page + bundle) / 1e6
        print(f"\n52 weekly HTML pages in one folder: --plotlyjs inline {year_inline:.1f} MB "
              f"({inline_page / 1e6:.2f} MB each); --plotlyjs shared {year_shared:.1f} MB ({shared_page / 1e3:.0f} kB "
              f"each + {bundle / 1e6:.2f} MB of plotly.js once) = {year_inline / year_shared:.0f}× smaller; "
              f"with the full plotly.js uncompressed in each page "
              f"{52 * (inline_page - len(_packed(pages['weekly (theme ETFs)'])) + full) / 1e6:.0f} MB")


def _packed(path: Path) -> str:
    return re.search(r'var packed = "([^"]*)"', path.read_text(encoding="utf-8")).group(1)


if __name__ == "__main__":
    main()
