"""``quantkit weekly``: the scheduled weekly signal report (HTML + Markdown + JSON) of a universe.

Universe files (``--universe FILE``), one of:

- ``.toml``: ``symbols = ["562800", "560860"]`` at the top level or under ``[universe]`` (as in a
  strategy file), or ``name = "theme"`` for a named universe;
- ``.csv``: a ``symbol`` or ``code`` column (any case), else the first column; a header row
  is optional;
- anything else (``.txt``): codes separated by spaces, commas or new lines; ``#`` starts a comment.

Codes take any accepted spelling (``560860``, ``sh560860``, ``560860.SS``). ``--universe theme``
or ``broad`` names a built-in universe when no such file exists. Exit codes: 0 written, 2 bad
input (options, universe file, dates), 3 data unavailable, 4 another run held the lock.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tomllib
from pathlib import Path

from quantkit.errors import ConfigError, QuantkitError


def _codes_from_toml(text: str, source: str) -> list[str]:
    from quantkit.data.universe import universe

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"universe file {source}: not valid TOML ({exc})") from None
    table = data.get("universe", data) if isinstance(data.get("universe"), dict) else data
    if "symbols" in table:
        symbols = table["symbols"]
        if not isinstance(symbols, list) or not all(isinstance(s, (str, int)) for s in symbols):
            raise ConfigError(f'universe file {source}: symbols must be a list of codes, e.g. symbols = ["562800"]')
        return [str(s) for s in symbols]
    if isinstance(table.get("name"), str):
        return list(universe(table["name"]))
    raise ConfigError(f'universe file {source}: expected symbols = ["562800", …] or name = "theme"')


def _codes_from_csv(text: str, source: str) -> list[tuple[int, str]]:
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, r) for r in reader]
    rows = [(n, r) for n, r in rows if r and any(c.strip() for c in r) and not r[0].strip().startswith("#")]
    if not rows:
        return []
    header = [c.strip().lower() for c in rows[0][1]]
    col = next((header.index(k) for k in ("symbol", "code", "ticker") if k in header), None)
    has_header = col is not None or not any(ch.isdigit() for ch in rows[0][1][0])
    col = 0 if col is None else col
    return [(n, r[col].strip()) for n, r in rows[1 if has_header else 0:] if len(r) > col and r[col].strip()]


def _codes_from_text(text: str) -> list[tuple[int, str]]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for token in line.split("#", 1)[0].replace(",", " ").split():
            out.append((n, token))
    return out


def read_universe(spec: str) -> tuple[str, ...]:
    """Codes of a universe file (see the module doc) or of a named universe; ConfigError otherwise."""
    from quantkit.data.symbols import normalize_symbol
    from quantkit.data.universe import UNIVERSES

    path = Path(spec)
    if not path.exists() and spec in UNIVERSES:
        return UNIVERSES[spec]
    if not path.is_file():
        raise ConfigError(f"universe file {spec} not found (or name one of: {', '.join(UNIVERSES)})")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"universe file {spec}: cannot read it as UTF-8 text ({exc})") from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        located = [(0, c) for c in _codes_from_toml(text, spec)]
    elif suffix == ".csv":
        located = _codes_from_csv(text, spec)
    else:
        located = _codes_from_text(text)
    codes = []
    for line, token in located:
        try:
            codes.append(normalize_symbol(token).code)
        except QuantkitError as exc:
            where = f"{spec}:{line}" if line else spec
            raise ConfigError(f"universe file {where}: {exc}") from None
    if not codes:
        raise ConfigError(f"universe file {spec} lists no codes")
    return tuple(dict.fromkeys(codes))


def _run(args: argparse.Namespace) -> int:
    from quantkit.data.universe import THEME_ETFS
    from quantkit.report.weekly import build_weekly, to_json, write_weekly

    universe = read_universe(args.universe) if args.universe else THEME_ETFS
    report = build_weekly(as_of=args.as_of, universe=universe, index=args.index,
                          valuation_index=args.valuation_index)
    out = write_weekly(report, args.out)
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
    p.set_defaults(func=_run)
