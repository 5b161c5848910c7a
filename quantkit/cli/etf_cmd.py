"""``quantkit etf info CODE`` / ``quantkit etf peers CODE``: stored facts of an ETF and of the ETFs tracking its index."""

from __future__ import annotations

import argparse


def _yi(value: float | None) -> str:
    """CNY as 亿元 with two decimals ('-' when unknown)."""
    return "-" if value is None else f"{value / 1e8:,.2f}"


def _run_info(args: argparse.Namespace) -> int:
    from quantkit.app.etf import etf_info
    from quantkit.cli.output import dumps, format_table, pct

    info = etf_info(args.code)
    if args.json:
        print(dumps(info.to_dict()))
        return 0
    kind = "official" if info.shares_official else "implied by volume / turnover"
    rows = [
        ("name", info.name), ("company", info.company), ("exchange", info.exchange),
        ("tracked index", f"{info.index_code} {info.index_name or ''}".strip() if info.index_code else None),
        ("shares (亿份)", None if info.shares is None else f"{info.shares / 1e8:,.3f} on {info.shares_date} ({kind})"),
        ("scale (亿元)", None if info.scale is None else f"{_yi(info.scale)} at {info.price:.4f} CNY"),
        ("5-session net creation (亿元)", None if info.flow_5d is None else f"{_yi(info.flow_5d)} to {info.flow_date}"),
        ("20-session net creation (亿元)", None if info.flow_20d is None else f"{_yi(info.flow_20d)} to {info.flow_date}"),
        ("prices", None if info.prices_first_date is None else f"{info.prices_first_date} .. {info.prices_last_date}"),
        ("tracking error (annualised)", None if info.tracking_error is None
         else f"{pct(info.tracking_error)} ({info.tracking_error_dates})"),
        ("fee", info.fee),
    ]
    print(format_table(rows, [info.code, "value"], "ll"))
    return 0


def _run_peers(args: argparse.Namespace) -> int:
    from quantkit.app.etf import etf_peers
    from quantkit.cli.output import dumps, format_table, pct

    peers = etf_peers(args.code)
    if args.json:
        print(dumps(peers.to_dict()))
        return 0
    print(f"ETFs tracking {peers.index_code} {peers.index_name or ''} ({len(peers.peers)})\n")
    rows = [(("● " if p.code == peers.code else "") + p.code, p.name, p.company, _yi(p.scale), p.shares_date,
             _yi(p.flow_20d), p.flow_date, p.fee, pct(p.tracking_error) if p.tracking_error is not None else None)
            for p in peers.peers]
    print(format_table(rows, ["code", "name", "company", "scale 亿元", "as of", "20-session flow 亿元", "to",
                              "fee", "tracking error"], "lllrlrlll"))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("etf", help="stored facts of an ETF: tracked index, shares, scale, flows, peers")
    etf_sub = p.add_subparsers(dest="etf_command", required=True, metavar="{info,peers}")
    info = etf_sub.add_parser("info", help="name, company, tracked index, shares, scale, flows, tracking error")
    peers = etf_sub.add_parser("peers", help="the ETFs tracking the same index, by scale")
    for q, func in ((info, _run_info), (peers, _run_peers)):
        q.add_argument("code", help="ETF code, e.g. 562800")
        q.add_argument("--json", action="store_true", help="print one JSON object")
        q.set_defaults(func=func)
