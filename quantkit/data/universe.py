"""ETF universes: the named universes of the snapshot and universe files.

Universe files (``quantkit weekly --universe FILE``), one of:

- ``.toml``: ``symbols = ["562800", "560860"]`` at the top level or under ``[universe]`` (as in a
  strategy file), or ``name = "theme"`` for a named universe;
- ``.csv``: a ``symbol`` or ``code`` column (any case), else the first column; a header row
  is optional;
- anything else (``.txt``): codes separated by spaces, commas or new lines; ``#`` starts a comment.

Codes take any accepted spelling (``560860``, ``sh560860``, ``560860.SS``).

``THEME_ETFS`` is the default rotation universe: the theme and industry ETFs (主题/行业ETF) of
the snapshot — broad-market, style, bond, gold and overseas ETFs are left out, as in the
research the rotation model comes from. Codes with the same theme (two 芯片ETF, two 电力ETF, three
有色 ETFs) are all kept: the selection rule prefers larger scale among them.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

from quantkit.errors import ConfigError, QuantkitError

THEME_ETFS: tuple[str, ...] = (
    "159611", "159766", "159819", "159825", "159870", "159881", "159928", "159980", "159995",
    "512000", "512010", "512170", "512200", "512400", "512480", "512660", "512690", "512720",
    "512760", "512800", "512880", "512980", "513050", "515030", "515050", "515210", "515220",
    "515790", "515880", "516010", "516150", "516160", "560860", "561560", "562800",
)

BROAD_ETFS: tuple[str, ...] = (
    "510050", "510300", "510500", "512100", "159845", "563300", "159915", "159949", "588000",
)

UNIVERSES: dict[str, tuple[str, ...]] = {"theme": THEME_ETFS, "broad": BROAD_ETFS}


def universe(name: str) -> tuple[str, ...]:
    """The codes of a named universe (``theme`` or ``broad``)."""
    try:
        return UNIVERSES[name]
    except KeyError:
        raise ConfigError(f"unknown universe {name!r}: choose one of {', '.join(UNIVERSES)}") from None


def _codes_from_toml(text: str, source: str) -> list[str]:
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
