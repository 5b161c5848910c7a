"""yfinance provider: Yahoo Finance daily bars for Shanghai (``.SS``) and Shenzhen (``.SZ``) listings.

``yf.download(..., auto_adjust=False)`` (yfinance 1.7) returns columns ``(Price, Ticker)`` —
``Adj Close, Close, High, Low, Open, Volume`` — on a tz-naive ``Date`` index; ``Close`` is
unadjusted for cash distributions, ``Adj Close`` is Yahoo's multiplicative total-return close
(anchored at the latest bar, i.e. qfq), ``Volume`` is in shares. ``end`` is exclusive. When the
network is down it does not raise: it logs the failure and returns an EMPTY frame with those
columns, which we report as :class:`ProviderError`. Yahoo has no traded value or turnover
(``amount``/``turnover`` are NaN).
"""

from __future__ import annotations

import logging
import warnings

from datetime import date, datetime, timezone
from typing import Any

import pandas as pd

from quantkit.data.providers.base import CallPolicy, Throttle, guarded_call
from quantkit.data.schema import validate_bars
from quantkit.data.symbols import Symbol, normalize_symbol
from quantkit.errors import ConfigError, ProviderError

THROTTLE = Throttle(CallPolicy().min_interval)  # shared by every instance: Yahoo rate-limits too


def _download(ticker: str, **kwargs: Any) -> pd.DataFrame:
    """``yf.download`` for one ticker (lazy import; single-threaded inside our own timeout thread)."""
    try:
        import yfinance as yf
    except ImportError as exc:
        raise ProviderError(f"yfinance is not importable ({exc})") from exc
    # yfinance logs failures (offline: one ERROR line per ticker) and trips pandas deprecation
    # warnings; the outcome reaches the user once, through our ProviderError / fallback notice.
    logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
    return yf.download(ticker, auto_adjust=False, progress=False, actions=False, threads=False,
                       multi_level_index=True, **kwargs)


def _single(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """The plain ``Open … Volume`` columns of ``ticker`` from a (Price, Ticker) MultiIndex frame."""
    if not isinstance(raw.columns, pd.MultiIndex):
        return raw
    level = raw.columns.names.index("Ticker") if "Ticker" in raw.columns.names else 1
    tickers = raw.columns.get_level_values(level)
    if ticker.upper() not in set(tickers):
        raise ProviderError(f"yfinance answer has no columns for {ticker} (got {sorted(set(tickers))})")
    return raw.xs(ticker.upper(), axis=1, level=level)


class YFinanceProvider:
    """Daily bars from Yahoo Finance; ``qfq`` from ``Adj Close``, or unadjusted (``none``)."""

    name = "yfinance"

    def __init__(self, policy: CallPolicy | None = None, throttle: Throttle | None = THROTTLE) -> None:
        self.policy = policy or CallPolicy()
        self.throttle = throttle

    def daily(self, symbol: Symbol | str, start: date | str | None = None, end: date | str | None = None,
              adjust: str = "qfq") -> pd.DataFrame:
        """Bars for ``[start, end]`` inclusive: prices CNY (index points for indices), volume shares.

        ``qfq`` scales open/high/low/close by ``Adj Close / Close``. Raises :class:`ProviderError`
        when Yahoo fails or returns nothing, or for ``hfq`` (Yahoo only anchors at the latest bar).
        """
        sym = normalize_symbol(symbol)
        if adjust not in ("qfq", "hfq", "none"):
            raise ConfigError(f"adjust must be one of qfq, hfq, none; got {adjust!r}")
        if adjust == "hfq":
            raise ProviderError("yfinance: hfq is not available (Adj Close is anchored at the latest bar); use qfq")
        if sym.exchange not in ("SSE", "SZSE"):
            raise ProviderError(f"yfinance: Yahoo does not quote {sym.exchange} index {sym.code}")
        ticker = sym.yahoo
        kwargs: dict[str, Any] = {}
        if start is not None:
            kwargs["start"] = pd.Timestamp(start).strftime("%Y-%m-%d")
        if end is not None:  # yfinance's end is exclusive
            kwargs["end"] = (pd.Timestamp(end) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        raw = guarded_call(_download, ticker, policy=self.policy, throttle=self.throttle,
                           what=f"yfinance download {ticker}", **kwargs)
        if not isinstance(raw, pd.DataFrame) or raw.empty:
            raise ProviderError(f"yfinance returned no rows for {ticker} (offline, unknown ticker or empty range)")
        prices = _single(raw, ticker).dropna(subset=["Close"])
        if prices.empty:
            raise ProviderError(f"yfinance returned no closes for {ticker}")
        ratio = prices["Adj Close"] / prices["Close"] if adjust == "qfq" else 1.0
        if adjust == "qfq" and ratio.isna().any():
            raise ProviderError(f"yfinance: Adj Close missing for {ticker}, cannot build qfq")
        index = pd.DatetimeIndex(prices.index)
        index = (index.tz_localize(None) if index.tz is not None else index).normalize().rename("date")
        bars = pd.DataFrame({col.lower(): (prices[col] * ratio).to_numpy() for col in ("Open", "High", "Low", "Close")},
                            index=index)
        bars["volume"] = prices["Volume"].to_numpy(dtype=float)
        bars.attrs = {"symbol": sym.code, "adjustment": adjust, "source": "yfinance:download",
                      "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        return validate_bars(bars, sym.code, origin=f"yfinance {ticker}")
