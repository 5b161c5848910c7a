"""``quantkit weekly``: the scheduled weekly signal report (HTML + Markdown + JSON) of a universe.

``--universe`` takes a universe file or a built-in name (see
:func:`quantkit.data.universe.read_universe`). Exit codes: 0 written, 2 bad input (options,
universe file, dates), 3 data unavailable, 4 another run held the lock.
"""

from __future__ import annotations

import argparse
import sys

from quantkit.cli.output import add_plotlyjs_option


def _run(args: argparse.Namespace) -> int:
    from quantkit.app.weekly import build_weekly, write_weekly
    from quantkit.data.universe import THEME_ETFS, read_universe
    from quantkit.report.weekly import to_json

    universe = read_universe(args.universe) if args.universe else THEME_ETFS
    report = build_weekly(as_of=args.as_of, universe=universe, index=args.index,
                          valuation_index=args.valuation_index)
    out = write_weekly(report, args.out, plotlyjs=args.plotlyjs)
    since = (f"{len(out.changes)} change{'s' if len(out.changes) != 1 else ''} since {out.previous_as_of}"
             if out.previous_as_of else f"first report in {args.out}")
    warn = f"; {len(out.report['warnings'])} warnings" if out.report["warnings"] else ""
    line = f"weekly report {out.as_of}: {out.html} ({since}{warn})"
    if args.json:
        sys.stdout.write(to_json(out.report))
        print(line, file=sys.stderr)
    else:
        print(line)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weekly", help="weekly signal report of a universe (HTML, Markdown, JSON) with changes",
                       description="Market timing, the rise-vs-crowding quadrants and a watchlist as of one session, "
                                   "compared with the previous report in the output folder. Exit codes: 0 written, "
                                   "2 bad input, 3 data unavailable, 4 output folder locked by another run.")
    p.add_argument("--universe", metavar="FILE",
                   help="codes to watch: .txt (codes by whitespace/commas, # comments), .csv (symbol/code column) "
                        "or .toml (symbols = [...]); or the name theme/broad (default: theme ETFs)")
    p.add_argument("--out", default="reports/weekly", metavar="DIR",
                   help="output folder (default reports/weekly); files are weekly-YYYY-MM-DD.{html,md,json}")
    p.add_argument("--as-of", help="report date YYYY-MM-DD (default: the last completed session in the data)")
    p.add_argument("--index", default="000985", help="market index of timing and turnover shares (default 000985)")
    p.add_argument("--valuation-index", default="000300", help="index whose PE/PB percentiles size the position")
    p.add_argument("--json", action="store_true", help="print the report JSON on stdout (the log line goes to stderr)")
    add_plotlyjs_option(p)
    p.set_defaults(func=_run)
