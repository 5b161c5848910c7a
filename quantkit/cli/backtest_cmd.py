"""``quantkit backtest STRATEGY.toml`` and ``quantkit sweep STRATEGY.toml``.

Heavy imports (vectorbt via the engine, plotly for the sweep heatmap) happen inside the command
functions only. Bad input raises :class:`~quantkit.errors.ConfigError`, which ``main`` prints as
one line with a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
import time

from quantkit.cli.output import add_plotlyjs_option


def _backtest(args: argparse.Namespace) -> int:
    from quantkit.backtest.pipeline import run_strategy
    from quantkit.backtest.strategy_file import load_strategy
    from quantkit.cli.output import format_table, write_json
    from quantkit.report.tables import metric_rows

    strategy = load_strategy(args.strategy, args.set or ())
    result = run_strategy(strategy, etf=args.etf, start=args.start, end=args.end, rf=args.rf)
    if args.json:
        write_json(result.to_dict(), args.json)
    if args.html:
        from quantkit.report import write_html

        write_html(result, args.html, plotlyjs=args.plotlyjs)
    if args.json != "-":
        names = ", ".join(f"{s} {result.names.get(s, '')}".strip() for s in result.symbols[:6])
        more = f" (+{len(result.symbols) - 6} more)" if len(result.symbols) > 6 else ""
        print(f"{result.strategy}: {names}{more}, {result.start.date()} to {result.end.date()} "
              f"({result.metrics['days']} sessions)")
        print(format_table(metric_rows(result.metrics, result.benchmark_metrics, intervals=result.bootstrap),
                           ["", "strategy", result.benchmark_name], "lrr"))
        print()
        print(format_table(metric_rows(result.metrics, result.benchmark_metrics, "distribution"),
                           ["distribution (quantstats definitions)", "strategy", result.benchmark_name], "lrr"))
        if args.html:
            print(f"report written to {args.html}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from quantkit.backtest.sweep import parse_grid, sweep_strategy
    from quantkit.cli.output import format_table, pct, write_json
    from quantkit.display import fmt_num

    if args.universe:
        return _sweep_universe(args)
    grid = parse_grid(args.grid or ())
    t0 = time.perf_counter()
    res = sweep_strategy(args.strategy, grid, etf=args.etf, start=args.start, end=args.end,
                         n_splits=args.walk_forward, overrides=args.set or ())
    elapsed = time.perf_counter() - t0
    symbol, valid = res.symbol, res.combos - res.skipped
    print(f"{res.strategy} sweep on {symbol}, {res.start.date()} to {res.end.date()}: {res.combos:,} combinations, "
          f"{res.skipped:,} skipped (short ≥ long), {valid:,} backtested in {elapsed:.1f} s "
          f"(signals {res.seconds['signals']:.1f} s, loading the simulator {res.seconds['loading the simulator']:.1f} s, "
          f"simulation {res.seconds['simulation']:.1f} s, metrics with PSR "
          f"{res.seconds['metrics']:.1f} s, DSR and PBO {res.seconds['robustness']:.1f} s)", file=sys.stderr)
    for line in robustness_lines(res):
        print(line, file=sys.stderr)
    if args.json:
        payload = {"strategy": res.strategy, "symbol": symbol, "start": res.start.date().isoformat(),
                   "end": res.end.date().isoformat(), "grid": res.grid, "combos": res.combos, "skipped": res.skipped,
                   "results": res.table.to_dict(orient="records"),
                   "walk_forward": None if res.walk_forward is None else [
                       {**r, **{k: r[k].date().isoformat() for k in ("is_start", "is_end", "oos_start", "oos_end")}}
                       for r in res.walk_forward.to_dict(orient="records")],
                   "robustness": None if res.robustness is None else res.robustness.to_dict()}
        write_json(payload, args.json)
    if args.html:
        from quantkit.report import write_sweep_html

        write_sweep_html(res, args.html, title=f"{res.strategy} sweep on {symbol}", plotlyjs=args.plotlyjs)
    if args.json != "-":
        head = res.table.head(args.top)
        print(format_table([(int(r.short), int(r.long), pct(r.band), fmt_num(r.sharpe), pct(r.annual_return),
                             pct(r.max_drawdown), int(r.trades)) for r in head.itertuples()],
                           ["short", "long", "band", "Sharpe", "annual", "max DD", "orders"], "rrrrrrr"))
        if res.walk_forward is not None:
            print()
            print(format_table([(int(w.split), f"{w.is_start.date()}..{w.is_end.date()}",
                                 f"{w.oos_start.date()}..{w.oos_end.date()}", f"{w.short}/{w.long}/{pct(w.band)}",
                                 fmt_num(w.is_sharpe), fmt_num(w.oos_sharpe), fmt_num(w.oos_median_sharpe))
                                for w in res.walk_forward.itertuples()],
                               ["split", "in-sample", "out-of-sample", "best params", "IS Sharpe", "OOS Sharpe",
                                "OOS median"], "rllrrrr"))
        if args.html:
            print(f"report written to {args.html}")
    return 0


def _sweep_universe(args: argparse.Namespace) -> int:
    """``quantkit sweep --universe …``: one sweep per ETF, the cross-sectional summary, optional JSON/HTML."""
    from quantkit.backtest.sweep import parse_grid
    from quantkit.backtest.universe_sweep import sweep_universe
    from quantkit.cli.output import format_table, pct, write_json
    from quantkit.display import fmt_num
    from quantkit.errors import ConfigError

    if args.etf:
        raise ConfigError("--etf and --universe exclude each other: the universe names the ETFs")
    engine = "dask" if args.scheduler else args.engine
    if args.workers and engine == "local":
        raise ConfigError("--workers sizes a Dask cluster: add --engine dask")
    res = sweep_universe(args.strategy, parse_grid(args.grid or ()), args.universe, engine=engine,
                         scheduler=args.scheduler, workers=args.workers, out_dir=args.out,
                         n_splits=args.walk_forward, start=args.start, end=args.end, overrides=args.set or (),
                         progress=sys.stderr.isatty() and not args.quiet)
    n, valid = len(res.etfs), len(res.summary)
    print(f"{res.strategy} sweep on {n} ETFs ({len(res.skipped)} skipped), {valid:,} combinations each: "
          f"{res.computed} partitions computed, {res.reused} reused, in {res.seconds['total']:.1f} s on the "
          f"{res.engine} engine; partitions in {res.out_dir}", file=sys.stderr)
    for code, reason in res.skipped.items():
        print(f"  skipped {code}: {reason}", file=sys.stderr)
    if args.json:
        write_json(res.to_dict(), args.json)
    if args.html:
        from quantkit.report.universe_sweep import write_universe_sweep_html

        write_universe_sweep_html(res, args.html, plotlyjs=args.plotlyjs)
    if args.json != "-":
        print(format_table([(int(r.short), int(r.long), pct(r.band), fmt_num(r.sharpe_mean), fmt_num(r.sharpe_median),
                             f"{fmt_num(r.sharpe_q1)} – {fmt_num(r.sharpe_q3)}", pct(r.beats_buy_hold, 0),
                             pct(r.top_decile, 0)) for r in res.summary.head(args.top).itertuples()],
                           ["short", "long", "band", "mean Sharpe", "median", "quartiles", "beats B&H", "top 10%"],
                           "rrrrrrrr"))
        b, top = res.best, res.summary.iloc[0]
        pbo = "n/a (fewer than 4 ETFs)" if res.pbo is None else f"{pct(res.pbo.pbo, 0)} ({res.pbo.n_blocks} blocks)"
        print(f"best on average: short {b['short']}, long {b['long']}, band {pct(b['band'])}: median Sharpe "
              f"{fmt_num(top.sharpe_median)}, beats buy & hold on {pct(top.beats_buy_hold, 0)} of {n} ETFs; "
              f"PBO across ETFs {pbo}; rank correlation between ETFs {fmt_num(res.rank_correlation)}")
        if res.walk_forward is not None:
            oos = res.walk_forward.groupby("split")["oos_sharpe"].median()
            print("walk-forward, median out-of-sample Sharpe of each ETF's in-sample best: "
                  + ", ".join(f"split {k} {fmt_num(v)}" for k, v in oos.items()))
        if args.html:
            print(f"report written to {args.html}")
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: give at least 1")
    return value


def robustness_lines(res) -> list[str]:
    """One line each for the deflated Sharpe ratio and the PBO of a sweep (none when undefined)."""
    from quantkit.cli.output import pct
    from quantkit.display import fmt_fit

    if res.robustness is None:
        return ["DSR and PBO: undefined for this sweep (fewer than two varying combinations or 32 sessions)"]
    d, p = res.robustness.dsr, res.robustness.pbo
    short, long, band = d.best
    return [f"DSR {d.dsr:.2f}: best combination {short}/{long}/{pct(band)} has Sharpe {d.sharpe:.2f} against "
            f"{d.sr0:.2f} expected of the best of N_eff = {d.n_effective:.1f} worthless trials "
            f"({d.n_trials:,} combinations, N_eff by {d.method.replace('_', ' ')})",
            f"PBO {p.pbo:.2f}: CSCV over {p.n_blocks} blocks ({p.n_splits:,} splits); "
            f"{fmt_fit(p.intercept, p.slope, 'in-sample', 'out-of-sample Sharpe')}; the in-sample best loses out of "
            f"sample in {p.prob_oos_loss:.0%} of splits"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backtest", help="backtest a strategy TOML (A-share rules, real prices)",
                       description="Backtest a strategy definition (see strategies/README.md) and print its metrics "
                                   "against the benchmark.")
    p.add_argument("strategy", metavar="STRATEGY.toml", help="strategy file, e.g. strategies/ma_timing.toml")
    p.add_argument("--etf", help="trade this ETF instead (timing/position strategies)")
    p.add_argument("--start", help="first session of the backtest window (YYYY-MM-DD)")
    p.add_argument("--end", help="last session of the backtest window (YYYY-MM-DD); later data is never read")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a strategy key, e.g. --set costs.commission=0 --set weights.range=0 (repeatable)")
    p.add_argument("--rf", type=float, default=0.0, metavar="RATE",
                   help="annual risk-free rate as a decimal for Sharpe, Sortino, alpha and PSR (default 0; 0.02 = 2 %%)")
    p.add_argument("--json", metavar="FILE", help="write the result as JSON to FILE, or to stdout with -")
    p.add_argument("--html", metavar="FILE", help="write a standalone HTML report")
    add_plotlyjs_option(p)
    p.set_defaults(func=_backtest)

    s = sub.add_parser("sweep", help="backtest every short × long × band combination of a timing strategy",
                       description="Parameter sweep of a timing strategy in one vectorised run. Ranges start:stop:step "
                                   "include stop when it lands on a step; combinations with short ≥ long are skipped.")
    s.add_argument("strategy", metavar="STRATEGY.toml", help="a timing strategy file, e.g. strategies/ma_timing.toml")
    s.add_argument("--etf", help="ETF to trade (default: the strategy's)")
    s.add_argument("--grid", action="append", metavar="NAME=SPEC",
                   help="short=5:60:5, long=60:250:10, band=0,0.01,0.02 (repeatable; unset names keep the strategy's "
                        "default)")
    s.add_argument("--walk-forward", type=int, metavar="N", help="also report N expanding walk-forward splits")
    s.add_argument("--start", help="first session of the window (YYYY-MM-DD)")
    s.add_argument("--end", help="last session of the window (YYYY-MM-DD)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a strategy key (repeatable)")
    s.add_argument("--top", type=_positive, default=10, help="rows of the results table (default 10)")
    s.add_argument("--json", metavar="FILE", help="write all results as JSON to FILE, or to stdout with -")
    s.add_argument("--html", metavar="FILE", help="write a page with a Sharpe heatmap (short × long, best band)")
    add_plotlyjs_option(s)
    s.add_argument("--quiet", action="store_true", help="no progress bar (there is none unless stderr is a terminal)")
    u = s.add_argument_group("universe sweep", "one sweep per ETF of a universe, summarised across ETFs")
    u.add_argument("--universe", metavar="NAME|FILE", help="theme, broad or a universe file: sweep every ETF")
    u.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this process (default); dask: a Dask cluster")
    u.add_argument("--scheduler", metavar="tcp://HOST:8786", help="address of a running Dask scheduler (implies dask)")
    u.add_argument("--workers", type=_positive, metavar="N", help="worker processes of the local Dask cluster "
                                                                  "(default: one per core)")
    u.add_argument("--out", metavar="DIR", help="partition files, reused by a rerun (default reports/sweeps/NAME/)")
    s.set_defaults(func=_sweep)
