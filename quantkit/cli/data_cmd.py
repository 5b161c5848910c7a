"""``quantkit fetch``, ``quantkit data list`` and ``quantkit data import``.

``fetch`` exits 0 when every symbol was updated, 1 when some were not, 3 when all failed and 4
when nothing was updated but cached data answers for some (offline), so cron can alert.
"""

from __future__ import annotations

import argparse
import sys


def _fetch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from quantkit.cli.output import dumps, format_table
    from quantkit.data.api import fetch

    def progress(items):
        return tqdm(items, desc="fetching", unit="symbol", file=sys.stderr, disable=args.json or None)

    outcomes = fetch(args.symbols, progress=progress)
    if args.json:
        print(dumps([{k: v for k, v in o.__dict__.items() if k != "detail" or args.verbose} for o in outcomes]))
    else:
        print(format_table([(o.symbol, o.status, o.rows, o.last_date, o.source, o.message) for o in outcomes],
                           ["symbol", "status", "rows", "last date", "source", "note"], "llrlll"))
        if args.verbose:
            for o in outcomes:
                if o.detail:
                    print(f"{o.symbol}: {o.detail}", file=sys.stderr)
    return fetch_exit_code([o.status for o in outcomes])


def fetch_exit_code(statuses: list[str]) -> int:
    """``0`` all updated · ``1`` some updated, others failed or left cached · ``3`` all failed ·
    ``4`` nothing updated, cached data answers (offline: the data is getting stale)."""
    if all(s == "failed" for s in statuses):
        return 3
    if not any(s == "updated" for s in statuses):
        return 4
    return 0 if all(s == "updated" for s in statuses) else 1


def _list(args: argparse.Namespace) -> int:
    from quantkit.cli.output import dumps, format_table
    from quantkit.data.api import list_data

    table = list_data()
    if args.kind:
        table = table[table["kind"] == args.kind]
    if args.json:
        print(dumps(table.to_dict(orient="records")))
        return 0
    print(format_table(table.itertuples(index=False), list(table.columns), "lllllrlr"))
    return 0


def _import(args: argparse.Namespace) -> int:
    from quantkit.data.api import import_file

    frame = import_file(args.file, args.symbol, volume_unit=args.volume_unit, adjustment=args.adjustment,
                        name=args.name)
    label = f" {frame.attrs['name']}" if frame.attrs.get("name") else ""
    print(f"imported {len(frame)} rows of {frame.attrs['symbol']}{label} ({frame.index[0].date()} to "
          f"{frame.index[-1].date()}) from {args.file}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fetch", help="fetch daily bars into the local store (incremental; offline-safe)")
    p.add_argument("symbols", nargs="+", metavar="SYMBOL", help="codes such as 560860, sh560860, 159915.SZ")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="every provider's full failure message (stderr; a 'detail' field with --json)")
    p.set_defaults(func=_fetch)

    data = sub.add_parser("data", help="inspect the local store or import your own files")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    lp = dsub.add_parser("list", help="what the store holds: symbol, name, kind, range, source, age")
    lp.add_argument("--kind", choices=["etf", "index", "valuation"], help="only this kind")
    lp.add_argument("--json", action="store_true", help="print JSON records")
    lp.set_defaults(func=_list)
    ip = dsub.add_parser("import", help="validate a CSV/parquet export and add it to the store")
    ip.add_argument("file", help="CSV (UTF-8, UTF-8-BOM or GBK; Chinese or English headers) or parquet")
    ip.add_argument("--symbol", required=True, help="the code the file holds, e.g. 560860")
    ip.add_argument("--name", help="the instrument's short name shown by `data list` and reports, e.g. 稀有金属ETF")
    ip.add_argument("--volume-unit", choices=["shares", "lots"], default="shares",
                    help="unit of the volume column (lots = 手, 100 shares)")
    ip.add_argument("--adjustment", choices=["qfq", "hfq", "none"], default="none",
                    help="what the prices are: forward-adjusted (qfq), backward (hfq) or raw (none, default)")
    ip.set_defaults(func=_import)
