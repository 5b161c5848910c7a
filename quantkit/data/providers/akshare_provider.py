"""akshare provider: ETF bars (East Money, Sina fallback), index bars (csindex, Sina fallback), index PE/PB.

Units of the raw akshare answers (read from akshare 1.19.5's source) and what we make of them:

- ``fund_etf_hist_em``: 日期 (str), 开盘/收盘/最高/最低 (CNY), 成交量 (lots of 100 → ×100 shares),
  成交额 (CNY), 换手率 (%); an empty frame when East Money has nothing. Always fetched unadjusted
  (``adjust=""``): East Money's own qfq subtracts cash from earlier prices, which overstates old
  returns.
- ``fund_etf_hist_sina``: date (``datetime.date``), open/high/low/close (CNY, unadjusted), volume
  (shares), amount (CNY). ``fund_etf_dividend_sina``: 日期 (ex-date, ``datetime.date``), 累计分红
  (cumulative cash per unit; akshare keeps these two of Sina's ``hfq.js`` fields).
- ``fund_cf_em(year)``: 序号, 基金代码, 基金简称, 拆分折算日 (``datetime.date``), 拆分类型, 拆分折算
  (new units per old unit) for every fund split that year; asked only for the years in which an
  ETF's raw open gaps more than 11 % from the previous close (beyond a 10 %-limit ETF's daily
  move; a gap with no split listed is noted and left as it is). The split takes effect on the
  next bar.
  ETF prices are adjusted multiplicatively from these events (:mod:`quantkit.data.adjust`).
- ``stock_zh_index_hist_csindex``: 日期, 开盘/最高/最低/收盘 (points), 成交量 (万手 → ×1e6 shares),
  成交金额 (亿元 → ×1e8 CNY), 滚动市盈率. ``stock_zh_index_daily`` (Sina): date, open/high/low/close,
  volume (shares).
- ``stock_index_pe_lg`` 滚动市盈率 (PE-TTM, cap-weighted); ``stock_index_pb_lg`` 市净率 (cap-weighted;
  akshare maps legulegu ``addPb`` to it); ``stock_zh_index_value_csindex`` 市盈率2 (csindex P/E on
  calculation shares; no PB).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any, Callable

import numpy as np
import pandas as pd

from quantkit.data.adjust import Event, adjust_bars, event_factor, validate_factor_bars
from quantkit.data.calendar import today
from quantkit.data.providers.base import CallPolicy, Throttle, guarded_call
from quantkit.data.schema import validate_bars, validate_valuation
from quantkit.data.symbols import Symbol, normalize_symbol
from quantkit.errors import ConfigError, DataValidationError, ProviderError

LOT = 100  # shares per lot (手)
WAN_LOTS = 1_000_000  # shares per 万手
YI = 100_000_000  # CNY per 亿元

# One throttle per remote service, shared by every provider instance (East Money blocks bursts).
THROTTLES: dict[str, Throttle] = {
    service: Throttle(CallPolicy().min_interval) for service in ("eastmoney", "sina", "csindex", "legulegu")
}

# Indices covered by legulegu's PE/PB series (akshare ``stock_index_pe_lg``/``stock_index_pb_lg`` names).
LEGULEGU_NAMES = {
    "000016": "上证50", "000300": "沪深300", "000009": "上证380", "399673": "创业板50", "000905": "中证500",
    "000010": "上证180", "399324": "深证红利", "399330": "深证100", "000852": "中证1000", "000015": "上证红利",
    "000903": "中证100", "000906": "中证800",
}
ADJUST_CHOICES = ("qfq", "hfq", "none", "factor")


def _ymd(day: date | str | None, default: str) -> str:
    return default if day is None else pd.Timestamp(day).strftime("%Y%m%d")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _empty(frame: Any) -> bool:
    return not isinstance(frame, pd.DataFrame) or frame.empty


def _bars(raw: pd.DataFrame, dates: str, cols: Mapping[str, str], scale: Mapping[str, float] = {}) -> pd.DataFrame:
    """Rename ``cols`` (source → canonical), multiply by ``scale`` and index by ``dates``."""
    out = pd.DataFrame({dst: pd.to_numeric(raw[src], errors="coerce").to_numpy() * scale.get(dst, 1.0)
                        for src, dst in cols.items() if src in raw})
    out.index = pd.DatetimeIndex(pd.to_datetime(raw[dates].astype(str), errors="coerce"), name="date")
    return out[out.index.notna()]


def cash_events(cumulative: pd.DataFrame) -> list[Event]:
    """Cash distributions from ``fund_etf_dividend_sina`` (日期, 累计分红): the steps of the cumulative sum."""
    if _empty(cumulative):
        return []
    cum = cumulative.assign(日期=pd.to_datetime(cumulative["日期"].astype(str))).sort_values("日期")
    total = pd.to_numeric(cum["累计分红"], errors="coerce")
    cash = total.diff().fillna(total.iloc[0])
    return [Event(pd.Timestamp(d), "cash", round(float(c), 6)) for d, c in zip(cum["日期"], cash) if c > 0]


def split_candidates(bars: pd.DataFrame, gap: float = 0.11) -> pd.DatetimeIndex:
    """Days whose raw open is more than ``gap`` away from the previous close (more than a 10 %-limit
    ETF can move; only a split or share conversion does that at the open)."""
    prev = bars["close"].shift()
    return bars.index[((bars["open"] / prev - 1).abs() > gap).to_numpy()]


def split_events(table: pd.DataFrame, code: str, dates: pd.DatetimeIndex) -> list[Event]:
    """Splits of ``code`` in a ``fund_cf_em`` table; each takes effect on the first bar after its 拆分折算日."""
    if _empty(table):
        return []
    rows = table[table["基金代码"].astype(str).str.zfill(6) == code]
    events = []
    for day, ratio in zip(pd.to_datetime(rows["拆分折算日"].astype(str)), pd.to_numeric(rows["拆分折算"], errors="coerce")):
        after = dates[dates > day]
        if len(after) and ratio > 0:
            events.append(Event(after[0], "split", float(ratio)))
    return events


class AkshareProvider:
    """Daily bars and index valuation from akshare, every call timed out, retried and throttled."""

    name = "akshare"
    gives_factor = True  # daily(adjust="factor"): raw ETF prices plus their adjustment factor

    def __init__(self, policy: CallPolicy | None = None, throttles: Mapping[str, Throttle] | None = None) -> None:
        self.policy = policy or CallPolicy()
        self.throttles = THROTTLES if throttles is None else throttles
        self._split_tables: dict[int, pd.DataFrame] = {}

    def _call(self, service: str, function: str, **kwargs: Any) -> Any:
        """``akshare.<function>(**kwargs)`` under the policy and the service's throttle (lazy import)."""
        try:
            import akshare
        except ImportError as exc:
            raise ProviderError(f"akshare is not importable ({exc})") from exc
        fn: Callable[..., Any] = getattr(akshare, function)
        args = ", ".join(f"{v!r}" for v in kwargs.values())
        return guarded_call(fn, policy=self.policy, throttle=self.throttles.get(service),
                            what=f"akshare {function}({args})", **kwargs)

    @staticmethod
    def _finish(frame: pd.DataFrame, sym: Symbol, adjustment: str, source: str,
                start: date | str | None, end: date | str | None, **extra: str) -> pd.DataFrame:
        frame = frame.sort_index()
        frame = frame.loc[pd.Timestamp(start) if start else None: pd.Timestamp(end) if end else None]
        if frame.empty:
            raise ProviderError(f"{source}: no rows for {sym.code} between {start or 'start'} and {end or 'today'}")
        frame.attrs = {"symbol": sym.code, "adjustment": adjustment, "source": source, "fetched_at": _now(), **extra}
        if "factor" in frame:
            return validate_factor_bars(frame, sym.code, origin=source)
        return validate_bars(frame, sym.code, origin=source)

    def daily(self, symbol: Symbol | str, start: date | str | None = None, end: date | str | None = None,
              adjust: str = "qfq") -> pd.DataFrame:
        """Daily bars in the canonical schema (prices CNY or index points, volume shares, amount CNY).

        ETFs honour ``adjust`` (``qfq``/``hfq``/``none``, or ``factor``: raw prices plus the
        ``factor`` column, for the store); indices are price indices (``none``).
        Raises :class:`ProviderError` (one line, every source's failure) when no source answers.
        """
        sym = normalize_symbol(symbol)
        if adjust not in ADJUST_CHOICES:
            raise ConfigError(f"adjust must be one of {', '.join(ADJUST_CHOICES)}; got {adjust!r}")
        steps = ((self._etf_em, self._etf_sina) if sym.kind == "etf" else (self._index_csindex, self._index_sina))
        failures = []
        for step in steps:
            try:
                return step(sym, start, end, adjust)
            except (ProviderError, DataValidationError) as exc:
                failures.append(str(exc))
        raise ProviderError(f"akshare: no daily bars for {sym.code}: " + "; ".join(failures))

    def _etf_em(self, sym: Symbol, start: Any, end: Any, adjust: str) -> pd.DataFrame:
        raw = self._call("eastmoney", "fund_etf_hist_em", symbol=sym.code, period="daily",
                         start_date=_ymd(start, "19700101"), end_date=_ymd(end, "20500101"), adjust="")
        if _empty(raw):
            raise ProviderError(f"akshare fund_etf_hist_em({sym.code!r}) returned no rows")
        bars = _bars(raw, "日期", {"开盘": "open", "最高": "high", "最低": "low", "收盘": "close", "成交量": "volume",
                                 "成交额": "amount", "换手率": "turnover"}, {"volume": LOT})
        return self._adjusted(bars, sym, adjust, "akshare:fund_etf_hist_em", start, end)

    def _etf_sina(self, sym: Symbol, start: Any, end: Any, adjust: str) -> pd.DataFrame:
        raw = self._call("sina", "fund_etf_hist_sina", symbol=sym.prefixed)
        if _empty(raw):
            raise ProviderError(f"akshare fund_etf_hist_sina({sym.prefixed!r}) returned no rows")
        bars = _bars(raw, "date", {c: c for c in ("open", "high", "low", "close", "volume", "amount")})
        return self._adjusted(bars, sym, adjust, "akshare:fund_etf_hist_sina", start, end)

    def _adjusted(self, bars: pd.DataFrame, sym: Symbol, adjust: str, source: str, start: Any, end: Any) -> pd.DataFrame:
        """Unadjusted ``bars`` in the wanted adjustment: distributions from Sina, splits from East Money,
        multiplicative factors computed here (``factor``: raw bars plus the factor column). Without
        the events an adjusted request fails (the caller then keeps its cached series) rather than
        pass raw prices off as adjusted."""
        bars = bars.sort_index()
        if adjust == "none":
            return self._finish(bars, sym, "none", source, start, end)
        try:
            events = cash_events(self._call("sina", "fund_etf_dividend_sina", symbol=sym.prefixed))
        except (ProviderError, KeyError, ValueError) as exc:
            raise ProviderError(f"{source}: {adjust} needs the distributions, which are unavailable ({exc})") from None
        extra = {}
        suspects = split_candidates(bars)
        for year in sorted({d.year for d in suspects}):
            try:
                events += split_events(self._splits_of_year(year), sym.code, bars.index)
            except (ProviderError, KeyError, ValueError) as exc:
                raise ProviderError(f"{source}: the raw open of {sym.code} gaps on {suspects[0].date()} but the "
                                    f"fund splits of {year} are unavailable ({exc})") from None
        unexplained = sorted(set(suspects) - {e.date for e in events if e.kind == "split"})
        if unexplained:
            extra["note"] = "opening gaps without a listed split: " + ", ".join(str(d.date()) for d in unexplained)
        steps = [e for e in events if bars.index[0] < e.date <= bars.index[-1]]
        source += "+fund_etf_dividend_sina" + ("+fund_cf_em" if suspects.size else "")
        if steps:
            extra["events"] = "; ".join(f"{e.date.date()} {e.kind} {e.value:g}" for e in steps)
        elif not events:
            extra.setdefault("note", "no distributions or splits listed: adjusted prices equal the raw ones")
        frame = bars.copy()
        frame["factor"] = event_factor(frame["close"], events)
        if adjust == "factor":
            return self._finish(frame, sym, "qfq-multiplicative", source, start, end, **extra)
        return self._finish(adjust_bars(frame, adjust, sym.code), sym, adjust, source, start, end, **extra)

    def _splits_of_year(self, year: int) -> pd.DataFrame:
        """``fund_cf_em(year)``, asked once per year per provider instance (it lists every fund)."""
        if year not in self._split_tables:
            self._split_tables[year] = self._call("eastmoney", "fund_cf_em", year=str(year))
        return self._split_tables[year]

    def _index_csindex(self, sym: Symbol, start: Any, end: Any, adjust: str) -> pd.DataFrame:
        if sym.exchange in ("SW", "WIND"):
            raise ProviderError(f"akshare: csindex does not publish {sym.exchange} index {sym.code}")
        raw = self._call("csindex", "stock_zh_index_hist_csindex", symbol=sym.code,
                         start_date=_ymd(start, "19900101"), end_date=_ymd(end, today().strftime("%Y%m%d")))
        if _empty(raw):
            raise ProviderError(f"akshare stock_zh_index_hist_csindex({sym.code!r}) returned no rows")
        bars = _bars(raw, "日期", {"开盘": "open", "最高": "high", "最低": "low", "收盘": "close", "成交量": "volume",
                                 "成交金额": "amount"}, {"volume": WAN_LOTS, "amount": YI})
        return self._finish(bars, sym, "none", "akshare:stock_zh_index_hist_csindex", start, end)

    def _index_sina(self, sym: Symbol, start: Any, end: Any, adjust: str) -> pd.DataFrame:
        if sym.exchange not in ("SSE", "SZSE"):
            raise ProviderError(f"akshare stock_zh_index_daily: Sina does not quote {sym.exchange} index {sym.code}")
        raw = self._call("sina", "stock_zh_index_daily", symbol=sym.prefixed)
        if _empty(raw):
            raise ProviderError(f"akshare stock_zh_index_daily({sym.prefixed!r}) returned no rows")
        bars = _bars(raw, "date", {c: c for c in ("open", "high", "low", "close", "volume", "amount")})
        return self._finish(bars, sym, "none", "akshare:stock_zh_index_daily", start, end)

    def valuation(self, symbol: Symbol | str) -> pd.DataFrame:
        """Index valuation: index ``date``, columns ``pe`` (PE-TTM where the source gives it) and ``pb``.

        legulegu (滚动市盈率, 市净率) for the indices it covers (:data:`LEGULEGU_NAMES`), else csindex
        (市盈率2, no PB → NaN). Raises :class:`ProviderError` when the source fails.
        """
        sym = normalize_symbol(symbol)
        extra: dict[str, str] = {}
        if sym.code in LEGULEGU_NAMES:
            name = LEGULEGU_NAMES[sym.code]
            pe = self._call("legulegu", "stock_index_pe_lg", symbol=name)
            if _empty(pe):
                raise ProviderError(f"akshare stock_index_pe_lg({name!r}) returned no rows")
            frame = pd.DataFrame({"pe": _series(pe, "日期", "滚动市盈率")})
            source = "akshare:stock_index_pe_lg(滚动市盈率)"
            try:
                pb = self._call("legulegu", "stock_index_pb_lg", symbol=name)
                frame = frame.join(pd.DataFrame({"pb": _series(pb, "日期", "市净率")}), how="outer")
                source += "+stock_index_pb_lg(市净率)"
            except (ProviderError, KeyError, ValueError) as exc:
                extra["note"] = f"pb unavailable ({exc})"
        else:
            raw = self._call("csindex", "stock_zh_index_value_csindex", symbol=sym.code)
            if _empty(raw):
                raise ProviderError(f"akshare stock_zh_index_value_csindex({sym.code!r}) returned no rows")
            frame = pd.DataFrame({"pe": _series(raw, "日期", "市盈率2"), "pb": np.nan})
            source = "akshare:stock_zh_index_value_csindex(市盈率2)"
        frame.attrs = {"symbol": sym.code, "source": source, "fetched_at": _now(), **extra}
        return validate_valuation(frame.sort_index(), sym.code)


def _series(raw: pd.DataFrame, dates: str, column: str) -> pd.Series:
    values = pd.to_numeric(raw[column], errors="coerce").to_numpy()
    index = pd.DatetimeIndex(pd.to_datetime(raw[dates].astype(str), format="mixed"), name="date")
    return pd.Series(values, index=index).groupby(level=0).last()
