"""The signal use case: one ETF's timing state, the market state and its quadrant as of one day.

This is what ``quantkit signal`` prints and what the weekly report tabulates. The data is loaded
here (once per series) and cut at ``as_of`` before any model runs, so everything is computed
from bars dated on or before ``as_of`` only. The models themselves stay pure.
"""

from __future__ import annotations

import pickle
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Iterable

import pandas as pd

from quantkit.data.api import load_panel, load_prices, load_valuation, name_of
from quantkit.data.calendar import session_on_or_before, today
from quantkit.data.symbols import etf_symbol, normalize_symbol
from quantkit.data.universe import THEME_ETFS
from quantkit.display import number_or_none
from quantkit.models.position import MarketParams, market_state
from quantkit.models.rotation import DEFAULT_MARKET, quadrants
from quantkit.models.timing import profit_effect, timing_regime


@dataclass(frozen=True)
class MarketSignal:
    """Market state on the reference index: fractions are decimals (0.0654 = 6.54 %)."""

    index: str
    name: str
    date: str
    close: float
    regime: str | None
    distance: float | None
    profit_effect: float | None
    effective_regime: str | None
    valuation_index: str
    pe_percentile: float | None
    pb_percentile: float | None
    valuation: str | None
    position: float | None


@dataclass(frozen=True)
class Signal:
    """One ETF's signal as of ``as_of`` (the last session on or before the requested date).

    Shares and flows use the figures up to ``as_of`` only: ``shares`` (fund units, on
    ``shares_date``; ``shares_official`` False when implied by volume / turnover), ``scale`` =
    shares × price that day (CNY), ``flow_5d``/``flow_20d`` net creations over 5 / 20 sessions to
    ``flow_date`` (CNY, official shares only); None when unknown."""

    symbol: str
    name: str
    as_of: str
    close: float
    ma_short: float | None
    ma_long: float | None
    distance: float | None
    regime: str | None
    profit_effect: float | None
    market: MarketSignal
    quadrant: int | None
    rise: float | None
    crowding: float | None
    quadrant_reason: str
    tracked_index: str | None = None
    shares: float | None = None
    shares_date: str | None = None
    shares_official: bool = False
    scale: float | None = None
    flow_5d: float | None = None
    flow_20d: float | None = None
    flow_date: str | None = None
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def resolve_as_of(bars: pd.DataFrame, symbol: str, as_of: str | date | None) -> pd.Timestamp:
    """The last session on or before ``as_of`` (default: the last bar); errors for dates outside the data."""
    if as_of is None:
        return bars.index[-1]
    return session_on_or_before(bars.index, as_of, whose=f"{symbol}'s",
                                fetch_hint=f"run `quantkit fetch {symbol}` for newer data")


def load_market_state(params: MarketParams = MarketParams(), *, end: object = None, sources=None) -> pd.DataFrame:
    """:func:`~quantkit.models.market_state` on the stored data of ``params.index`` and
    ``params.valuation_index``, both cut at ``end`` (default: all data)."""
    close = load_prices(params.index, end=end, sources=sources)["close"]
    valuation = load_valuation(params.valuation_index, sources=sources)
    if end is not None:
        valuation = valuation.loc[:pd.Timestamp(end)]
    return market_state(close, valuation, params)


def load_rotation_inputs(symbols: Iterable[str] | None = None, market: str = DEFAULT_MARKET, end: object = None, *,
                         sources=None) -> dict:
    """Stored prices of ``symbols`` (default: the theme ETFs) up to ``end`` as the keyword inputs of
    :func:`~quantkit.models.quadrants`: ``close, amount, volume, turnover`` (frames, one column per
    symbol) and ``market_amount`` (the ``market`` index's amount, CNY). Symbols without data are left out."""
    out = load_panel(THEME_ETFS if symbols is None else symbols, end=end, sources=sources)
    out["market_amount"] = load_prices(market, end=end, sources=sources)["amount"]
    return out


def market_signal(as_of: pd.Timestamp, index: str = DEFAULT_MARKET,
                  valuation_index: str = MarketParams.valuation_index) -> MarketSignal:
    """The market state (regime, profit effect, valuation, suggested position) on ``as_of``."""
    idx = normalize_symbol(index).code
    frame = load_market_state(MarketParams(index=idx, valuation_index=valuation_index), end=as_of.date())
    state = frame.iloc[-1]
    close = frame["close"]
    return MarketSignal(
        index=idx, name=name_of(idx), date=str(close.index[-1].date()), close=float(state["close"]),
        regime=_text(state["regime"]), distance=number_or_none(state["distance"]),
        profit_effect=number_or_none(state["profit_effect"]),
        effective_regime=_text(state["effective_regime"]), valuation_index=normalize_symbol(valuation_index).code,
        pe_percentile=number_or_none(state["pe_percentile"]), pb_percentile=number_or_none(state["pb_percentile"]),
        valuation=_text(state["valuation"]), position=number_or_none(state["position"]),
    )


def quadrant_table(as_of: pd.Timestamp, universe: tuple[str, ...] = THEME_ETFS, index: str = DEFAULT_MARKET,
                   extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rise-versus-crowding table of ``universe`` plus ``extra`` codes on ``as_of``.

    One definition for ``signal`` and ``weekly``: quadrants split at the median rise of
    ``universe`` (the theme ETFs by default); ``extra`` ETFs are placed against it, so an ETF's
    quadrant does not depend on which other ETFs are being looked at."""
    codes = tuple(dict.fromkeys([*universe, *extra]))
    key = _table_key(as_of, codes, universe, index)
    cached = _read_cached_table(key)
    if cached is not None:
        return cached
    table = quadrants(as_of=as_of, reference=universe, **load_rotation_inputs(codes, index, end=as_of.date()))
    _write_cached_table(key, table)
    return table


#: the code the quadrant table is computed by: a change of any of these files changes the cache key
_TABLE_CODE = ("models/rotation.py", "indicators/percentile.py", "indicators/turnover.py",
               "indicators/volatility.py", "indicators/moving_average.py", "app/signal.py")
_TABLE_CACHE_KEEP = 32


def _table_key(as_of: pd.Timestamp, codes: tuple[str, ...], universe: tuple[str, ...], index: str) -> str | None:
    """Cache key of a quadrant table: the stored data's version, the request and the code that computes it."""
    import hashlib
    from pathlib import Path

    from quantkit.data.api import data_version

    version = data_version([*codes, index])
    if version is None:
        return None
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{version}|{as_of.date()}|{','.join(codes)}|{','.join(universe)}|{index}".encode())
    for name in _TABLE_CODE:
        h.update((package / name).read_bytes())
    return h.hexdigest()[:32]


def _cache_dir():
    from quantkit.data.store import default_data_root

    return default_data_root() / "cache"


def _read_cached_table(key: str | None) -> pd.DataFrame | None:
    """The quadrant table cached under ``key``; None when absent or unreadable (it is then recomputed)."""
    if key is None:
        return None
    path = _cache_dir() / f"quadrants-{key}.pkl"
    try:
        table = pd.read_pickle(path)
    except (OSError, ValueError, EOFError, ImportError, AttributeError, pickle.UnpicklingError):
        return None
    return table if isinstance(table, pd.DataFrame) else None


def _write_cached_table(key: str | None, table: pd.DataFrame) -> None:
    """Keep ``table`` under ``key`` (atomically; the oldest entries beyond a few dozen are removed).
    A cache that cannot be written is skipped: it only saves time."""
    import io

    from quantkit.data.store import atomic_write_bytes

    if key is None:
        return
    folder = _cache_dir()
    try:
        buf = io.BytesIO()
        pickle.dump(table, buf, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(folder / f"quadrants-{key}.pkl", buf.getvalue())
        old = sorted(folder.glob("quadrants-*.pkl"), key=lambda p: p.stat().st_mtime)[:-_TABLE_CACHE_KEEP]
        for path in old:
            path.unlink(missing_ok=True)
    except OSError:
        pass


def etf_state(close: pd.Series, table: pd.DataFrame, code: str) -> dict:
    """One ETF's timing state from its closes up to the as-of day, and its row of the quadrant
    ``table``: close, ma_short, ma_long, distance, regime, profit_effect, rise, crowding,
    quadrant (1–4 or None), quadrant_reason. Fractions are decimals; missing values are None."""
    timing = timing_regime(close).iloc[-1]
    row = table.loc[code] if code in table.index else None
    return {
        "close": float(close.iloc[-1]), "ma_short": number_or_none(timing["ma_short"]),
        "ma_long": number_or_none(timing["ma_long"]),
        "distance": number_or_none(timing["distance"]), "regime": _text(timing["regime"]),
        "profit_effect": number_or_none(profit_effect(close).iloc[-1]),
        "rise": None if row is None else number_or_none(row["rise"]),
        "crowding": None if row is None else number_or_none(row["crowding"]),
        "quadrant": None if row is None or pd.isna(row["quadrant"]) else int(row["quadrant"]),
        "quadrant_reason": "" if row is None else str(row.get("reason", "") or ""),
    }


def signal(etf: str, index: str = DEFAULT_MARKET, as_of: str | date | None = None,
           valuation_index: str = MarketParams.valuation_index, universe: tuple[str, ...] = THEME_ETFS) -> Signal:
    """Evaluate one ETF as of a date using only data up to that date."""
    sym = etf_symbol(etf)
    bars = load_prices(sym)
    day = resolve_as_of(bars, sym.code, as_of)
    state = etf_state(bars.close.loc[:day], quadrant_table(day, universe, index, extra=(sym.code,)), sym.code)
    last = bars.index[-1].date()
    return Signal(
        symbol=sym.code, name=name_of(sym), as_of=str(day.date()), market=market_signal(day, index, valuation_index),
        data={"source": bars.attrs.get("source", ""), "last_date": str(last), "stale_days": (today() - last).days},
        **state, **flow_state(sym.code, day),
    )


def flow_state(code: str, day: pd.Timestamp) -> dict:
    """Tracked index, shares, scale and flows of ``code`` from the figures up to ``day`` (None when unknown)."""
    from quantkit.data import etf_meta

    f = etf_meta.share_facts(code, as_of=day)

    def ymd(ts: pd.Timestamp | None) -> str | None:
        return None if ts is None else str(ts.date())

    return {"tracked_index": etf_meta.tracked_index(code), "shares": number_or_none(f.shares),
            "shares_date": ymd(f.shares_date),
            "shares_official": f.official, "scale": number_or_none(f.scale), "flow_5d": number_or_none(f.flow_5d),
            "flow_20d": number_or_none(f.flow_20d), "flow_date": ymd(f.flow_date)}
