"""``quantkit signal --etf CODE``: timing, market state and quadrant of one ETF as of a date.

Fast path: no vectorbt, plotly, akshare or yfinance import (see benchmarks/bench_signal.py).
"""

from __future__ import annotations

import argparse



def _run(args: argparse.Namespace) -> int:
    from quantkit.cli.output import dumps, format_table, pct
    from quantkit.models.rotation import QUADRANT_NAMES
    from quantkit.app.signal import signal

    sig = signal(args.etf, index=args.index, as_of=args.as_of, valuation_index=args.valuation_index)
    if args.json:
        print(dumps(sig.to_dict()))
        return 0
    m = sig.market

    def num(v, fmt="{:.4f}"):
        return "-" if v is None else fmt.format(v)

    print(f"{sig.symbol} {sig.name} — as of {sig.as_of} (data through {sig.data['last_date']}, "
          f"{sig.data['stale_days']} days old, {sig.data['source']})\n")
    print(format_table([
        ("close", num(sig.close, "{:.3f}")), ("MA20", num(sig.ma_short)), ("MA120", num(sig.ma_long)),
        ("MA distance", pct(sig.distance)), ("regime", sig.regime or "insufficient history"),
        ("profit effect", pct(sig.profit_effect)),
    ], ["ETF timing", "value"], "lr"))
    print()
    print(format_table([
        ("regime", f"{m.regime or '-'} (distance {pct(m.distance)})"),
        ("profit effect", pct(m.profit_effect)),
        ("regime for sizing", m.effective_regime or "-"),
        (f"PE percentile ({m.valuation_index})", pct(m.pe_percentile, 1)),
        (f"PB percentile ({m.valuation_index})", pct(m.pb_percentile, 1)),
        ("valuation", m.valuation or "-"),
        ("suggested equity position", pct(m.position, 0)),
    ], [f"market {m.index} {m.name} ({m.date})", "value"], "lr"))
    print()
    quadrant = QUADRANT_NAMES.get(sig.quadrant, f"none ({sig.quadrant_reason})" if sig.quadrant_reason else "none")
    print(format_table([("quadrant", quadrant), ("rise (243 days)", pct(sig.rise)),
                        ("crowding", num(sig.crowding, "{:.2f}"))], ["rotation (theme universe)", "value"], "lr"))
    print()

    def yi(v):
        return "-" if v is None else f"{v / 1e8:,.2f}"

    kind = "official" if sig.shares_official else "implied by volume / turnover"
    print(format_table([
        ("tracked index", sig.tracked_index or "-"),
        ("shares (亿份)", "-" if sig.shares is None else f"{sig.shares / 1e8:,.3f} on {sig.shares_date} ({kind})"),
        ("scale (亿元)", yi(sig.scale)),
        ("5 / 20-session net creation (亿元)", f"{yi(sig.flow_5d)} / {yi(sig.flow_20d)}"
         + (f" to {sig.flow_date}" if sig.flow_date else "")),
    ], ["shares and flows", "value"], "lr"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("signal", help="timing, market state and quadrant of one ETF")
    p.add_argument("--etf", required=True, help="ETF code, e.g. 560860")
    p.add_argument("--index", default="000985", help="reference index of the market state (default 000985 中证全指)")
    p.add_argument("--valuation-index", default="000300",
                   help="index whose PE/PB percentiles size the position (default 000300: PE-TTM and PB)")
    p.add_argument("--as-of", help="evaluate as of this date (YYYY-MM-DD) with data up to it only")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_run)
