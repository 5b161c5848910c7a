"""A user's own price export (CSV or parquet) read into the canonical schema.

CSV: UTF-8, UTF-8 with BOM or GBK; LF, CRLF or CR-only line endings; title lines above the header
are skipped (the header is the line just above the first dated row, as in Wind exports). Headers
may be Chinese (日期/开盘/收盘/最高/最低/成交量/成交额/换手率) or English (date, open, high, low,
close, volume, amount/amt, turnover/turn), any case. Units in a header are honoured: ``成交量(手)``
(lots → ×100 shares), ``万手``, ``亿股``, ``成交额(亿元)``/``万元``; otherwise volume is taken as
shares (or lots with ``volume_unit="lots"``) and amount as CNY.

Limits: a file is at most :data:`MAX_IMPORT_BYTES` (20 MiB) and :data:`MAX_IMPORT_ROWS`
(100,000 rows, some 400 years of daily bars); larger files are refused before they are read.
Bars dated after today, infinite values and non-numeric cells are refused (``-``, ``--``,
``N/A`` and empty cells mean "unknown" outside the close column).
"""

from __future__ import annotations

import codecs
import io
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from quantkit.data.calendar import today
from quantkit.data.schema import validate_bars
from quantkit.data.symbols import Symbol, normalize_symbol
from quantkit.errors import DataValidationError, ProviderError, SymbolError

ALIASES = {
    "date": ("日期", "交易日期", "date", "datetime", "trade_date", "tradedate", "时间"),
    "open": ("开盘", "开盘价", "open"),
    "high": ("最高", "最高价", "high"),
    "low": ("最低", "最低价", "low"),
    "close": ("收盘", "收盘价", "close"),
    "volume": ("成交量", "volume", "vol"),
    "amount": ("成交额", "成交金额", "amount", "amt", "money"),
    "turnover": ("换手率", "turnover", "turn", "turnover_rate"),
}
_LOOKUP = {alias: canon for canon, aliases in ALIASES.items() for alias in aliases}
_UNIT = re.compile(r"^(.*?)\s*[(（\[]\s*(.*?)\s*[)）\]]\s*$")
_DATE_CELL = re.compile(r"^\s*\"?(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{8})\b")
MAX_IMPORT_BYTES = 20 * 1024 * 1024  # bytes of one CSV/parquet file
MAX_IMPORT_ROWS = 100_000  # data rows of one file
MISSING = ("", "-", "--", "n/a", "na", "nan", "none", "null")  # cells meaning "unknown" (lower case)
_PREFIX = {"": 1.0, "百": 1e2, "千": 1e3, "万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8}


def _unit_scale(unit: str) -> float:
    """Multiplier to shares/CNY of a header unit such as ``手``, ``万手``, ``亿股``, ``亿元``, ``%``."""
    unit = unit.strip().lower()
    for base, size in (("手", 100.0), ("股", 1.0), ("元", 1.0), ("shares", 1.0), ("lots", 100.0), ("cny", 1.0)):
        if unit.endswith(base) and unit[: -len(base)] in _PREFIX:
            return _PREFIX[unit[: -len(base)]] * size
    return 1.0


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8")
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataValidationError(f"{name}: not UTF-8, UTF-8 with BOM or GBK text")


def _parse_dates(raw: pd.Series) -> pd.Series:
    """Dates from datetime columns or text (``2025-06-03``, ``2025/6/3``, ``20250603``); NaT when unparseable."""
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw
    text = raw.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    return pd.to_datetime(text, format="mixed", errors="coerce")


def _too_many_rows(name: str, rows: int) -> DataValidationError:
    return DataValidationError(f"{name}: {rows:,} rows; imports are limited to {MAX_IMPORT_ROWS:,} rows of daily "
                               "bars — split the file or drop intraday rows")


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()  # at most MAX_IMPORT_BYTES (checked by the caller)
    lines_in_file = max(raw.count(b"\n"), raw.count(b"\r"))
    if lines_in_file > MAX_IMPORT_ROWS + 50:  # 50: title lines above the header
        raise _too_many_rows(path.name, lines_in_file)
    text = _decode(raw, path.name).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not text.strip():
        raise DataValidationError(f"{path.name}: empty file")
    first_data = next((i for i, line in enumerate(lines[:50]) if any(_DATE_CELL.match(c) for c in line.split(","))),
                      None)
    header = first_data - 1 if first_data else 0
    return pd.read_csv(io.StringIO("\n".join(lines[header:])), dtype=str, skipinitialspace=True)


def _columns(frame: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """canonical name → (source column, unit multiplier); the first matching column wins."""
    found: dict[str, tuple[str, float]] = {}
    for col in frame.columns:
        label = str(col).strip().lstrip("\ufeff")
        scale = 1.0
        match = _UNIT.match(label)
        if match:
            label, scale = match.group(1), _unit_scale(match.group(2))
        canon = _LOOKUP.get(label.lower())
        if canon and canon not in found:
            found[canon] = (col, scale)
    return found


def _numbers(raw: pd.Series, column: str, name: str) -> np.ndarray:
    """Floats of a column; a cell that is not a number is refused with the value as given
    (``MISSING`` cells are NaN, except in the close column)."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.to_numpy(dtype=float)
    text = raw.astype("string").str.replace(",", "").str.strip()
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    allowed = () if column == "close" else MISSING
    bad = (values.isna() & text.notna() & ~text.str.lower().isin(allowed)).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataValidationError(f"{name}: {column} {raw.iloc[row]!r} in data row {row + 1} is not a number")
    return values.to_numpy(dtype=float, na_value=np.nan)


def read_price_file(path: str | Path, symbol: str | Symbol | None = None, *, volume_unit: str = "shares",
                    adjustment: str = "none") -> pd.DataFrame:
    """Read a CSV/parquet price export into the canonical schema, validated.

    ``volume_unit`` (``shares`` or ``lots``) applies when the volume header carries no unit.
    ``adjustment`` is what the export is (the file cannot tell). ``symbol`` defaults to the file
    stem. Raises :class:`DataValidationError` (one line naming the file) for an empty file, a
    missing date or close column, unparseable dates, or anything :func:`validate_bars` rejects.
    """
    path = Path(path)
    name = path.name
    if volume_unit not in ("shares", "lots"):
        raise DataValidationError(f"{name}: volume_unit must be 'shares' or 'lots', got {volume_unit!r}")
    if path.is_dir():
        raise DataValidationError(f"{name}: is a directory, not a CSV or parquet file ({path})")
    if not path.is_file():
        raise DataValidationError(f"{name}: no such file ({path})")
    size = path.stat().st_size
    if size == 0:
        raise DataValidationError(f"{name}: empty file")
    if size > MAX_IMPORT_BYTES:
        raise DataValidationError(f"{name}: {size / 2**20:.1f} MiB; imports are limited to "
                                  f"{MAX_IMPORT_BYTES / 2**20:.0f} MiB of daily bars — split the file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(path).metadata.num_rows
            if rows > MAX_IMPORT_ROWS:
                raise _too_many_rows(name, rows)
            frame = pd.read_parquet(path)
            if not any(str(c).strip().lower() in ALIASES["date"] or c in ALIASES["date"] for c in frame.columns):
                frame = frame.reset_index()  # dates kept as the parquet index
        else:
            frame = _read_csv(path)
    except DataValidationError:
        raise
    except (ValueError, OSError) as exc:  # pandas/pyarrow parse errors
        raise DataValidationError(f"{name}: unreadable ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    if frame.empty:
        raise DataValidationError(f"{name}: no data rows")
    cols = _columns(frame)
    if "date" not in cols:
        raise DataValidationError(f"{name}: no date column (expected 日期/date/datetime)")
    if "close" not in cols:
        raise DataValidationError(f"{name}: no close column (expected 收盘/close)")

    raw_dates = frame[cols["date"][0]]
    dates = _parse_dates(raw_dates)
    bad = dates.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataValidationError(f"{name}: unparseable date {raw_dates.iloc[row]!r} in data row {row + 1}")
    future = (dates > pd.Timestamp(today())).to_numpy()
    if future.any():
        row = int(np.flatnonzero(future)[0])
        raise DataValidationError(f"{name}: data row {row + 1} is dated {dates.iloc[row].date()}, after today "
                                  f"({today()})")

    out = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    for canon, (col, scale) in cols.items():
        if canon != "date":
            if canon == "volume" and scale == 1.0 and volume_unit == "lots":
                scale = 100.0
            out[canon] = _numbers(frame[col], canon, name) * scale
    if len(out) > 1 and out.index.is_monotonic_decreasing and not out.index.has_duplicates:
        out = out.iloc[::-1]  # newest-first exports
    if symbol is None:
        try:
            symbol = normalize_symbol(path.stem).code
        except SymbolError:
            symbol = path.stem
    elif isinstance(symbol, Symbol):
        symbol = symbol.code
    out.attrs = {"symbol": str(symbol), "adjustment": adjustment, "source": f"file:{name}"}
    return validate_bars(out, str(symbol), origin=name)


class LocalFileProvider:
    """Bars from ``<root>/<code>.csv`` or ``<root>/<code>.parquet`` (a user's own exports)."""

    name = "local"

    def __init__(self, root: str | Path, *, volume_unit: str = "shares", adjustment: str = "qfq") -> None:
        self.root, self.volume_unit, self.adjustment = Path(root), volume_unit, adjustment

    def daily(self, symbol: Symbol | str, start: date | str | None = None, end: date | str | None = None,
              adjust: str = "qfq") -> pd.DataFrame:
        """The file's bars for ``[start, end]``; ``adjust`` must match the files' stated adjustment."""
        sym = normalize_symbol(symbol)
        if adjust != self.adjustment:
            raise ProviderError(f"local files in {self.root} are {self.adjustment}, not {adjust}")
        for suffix in (".parquet", ".csv"):
            path = self.root / f"{sym.code}{suffix}"
            if path.is_file():
                bars = read_price_file(path, sym, volume_unit=self.volume_unit, adjustment=self.adjustment)
                out = bars.loc[pd.Timestamp(start) if start else None: pd.Timestamp(end) if end else None]
                if out.empty:
                    raise ProviderError(f"{path.name}: no rows between {start} and {end}")
                out.attrs = dict(bars.attrs)
                return out
        raise ProviderError(f"no local file for {sym.code} in {self.root}")
