"""Rotation model: rise versus crowding quadrants (华西证券 主题ETF 象限图).

For each ETF at a date ``as_of``:

- ``rise``: return over ``lookback`` trading days of the ETF ending at ``as_of`` (default 243,
  one year), or since the close on/before ``anchor`` when given (the research chart uses "since
  the start of 2025");
- crowding components, each the expanding percentile (from ``history_start``, data up to
  ``as_of`` only) of a ``window``-day average: share of market turnover (amount / market amount),
  turnover rate (when known), daily volatility; ``crowding`` is the mean of the available ones;
- quadrant: split at the cross-sectional median of rise (strictly above = high) and crowding 0.5
  (strictly above = high). Q1 high rise & high crowding, Q2 high rise & low crowding, Q3 low rise
  & low crowding, Q4 low rise & high crowding.

Amount estimate: ETF amounts in the snapshot stop in 2025-07 for most codes (2026-03 for some)
while prices and volumes go on. Where the amount is missing it is estimated as close × volume,
scaled by the median ratio of known amount to close × volume over the last 20 days on which both
were known (see :func:`quantkit.indicators.estimate_amount`: several codes' qfq closes are
scaled by a unit split their volumes are not, so the raw product is off by a constant factor up
to 3×). The ``amount_estimated`` column says when the amount average at ``as_of`` used any
estimated day. Turnover rates are never estimated: the component is left out when unknown.

ETFs with too short a history, no price at ``as_of`` or no crowding data get a row with NaN
quadrant and a ``reason``. See ``seeds/rotation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from quantkit.errors import ConfigError
from quantkit.display import fmt_date, fmt_num, fmt_pct
from quantkit.indicators import carry_forward, estimate_amount, percentile_at, rolling_volatility, sma, turnover_share
from quantkit.indicators._checks import check_date, check_dates, check_series, check_window
from quantkit.indicators.percentile import check_method
from quantkit.models.contract import (MAX_SIGNAL_AGE, Chart, Model, ModelInputs, Need, ReportContext, Section,
                                      Table, param)
from quantkit.models.timing import RegimeWeights, TimingFrame, TimingParams, acted_regime, regime_weights, timing_frame
from quantkit.models.timing import timing_section

AMOUNT_CALIBRATION_DAYS = 20
QUADRANTS = (1, 2, 3, 4)
QUADRANT_NAMES = {1: "Q1 high rise, crowded", 2: "Q2 high rise, not crowded", 3: "Q3 low rise, not crowded",
                  4: "Q4 low rise, crowded"}
COLUMNS = ("first_date", "last_date", "bars", "rise", "amount_share", "turnover_rate", "volatility",
           "amount_share_pct", "turnover_rate_pct", "volatility_pct", "crowding", "quadrant",
           "amount_estimated", "reason")


@dataclass(frozen=True)
class RotationParams:
    """The ``[rotation]`` section of the rotation model (windows in sessions; dates as YYYY-MM-DD)."""

    lookback: int = param(243, "rise lookback (sessions)")
    anchor: str | None = param(None, "measure the rise since this date instead of a lookback", "date")
    top_k: int = param(3, "number of ETFs held")
    preferred: tuple[int, ...] = param((2, 3), "quadrants to pick from, in order")
    timing_overlay: bool = param(False, "scale the rotation weights by the [weights] of the [signal] index regime")
    history_start: str = param("2020-01-01", "start of the expanding crowding percentiles", "date")
    window: int = param(20, "crowding averaging window (sessions)")
    method: str = param("rank", "percentile method of the crowding components: rank | minmax")
    same_index: bool = param(True, "hold at most one ETF per tracked index: the larger scale at the decision "
                                   "date, then the lower fee, then the smaller tracking error, where known")
    same_index_corr: float = param(0.97, "an ETF whose tracked index is unknown joins the group of an ETF whose "
                                         "daily returns over the lookback correlate at least this much")
    similar_corr: float | None = param(None, "also group ETFs of different tracked indices whose daily returns over "
                                             "the lookback correlate at least this much (unset: same index only)",
                                       "number")
    min_coverage: float = param(0.8, "an open window ends at the last session on which at least this share of the "
                                     "listed universe has a bar (decimal)")

    def __post_init__(self) -> None:
        check_window(self.lookback, "lookback")
        check_date(self.anchor, "anchor")
        check_date(self.history_start, "history_start")
        check_window(self.window, "window")
        check_method(self.method)
        object.__setattr__(self, "preferred", _check_preferred(self.preferred))
        check_window(self.top_k, "top_k")
        for name in ("timing_overlay", "same_index"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("same_index_corr", "similar_corr", "min_coverage"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not 0 < float(value) <= 1):
                raise ConfigError(f"{name} must be in (0, 1], got {value!r}")


def _check_preferred(preferred: Iterable[int]) -> tuple[int, ...]:
    try:
        items = tuple(preferred)
    except TypeError:
        items = (preferred,)
    if not items or any(isinstance(q, bool) or q not in QUADRANTS for q in items):
        raise ConfigError(f"preferred must list quadrants among 1, 2, 3, 4, got {preferred!r}")
    return items


def _frame(value: pd.DataFrame | Mapping | None, name: str) -> pd.DataFrame | None:
    """One column per symbol; a mapping ``{symbol: Series}`` (or canonical bars, whose ``name``
    column is taken) is assembled into such a frame."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = pd.DataFrame({str(k): v[name] if isinstance(v, pd.DataFrame) else v for k, v in value.items()})
    if not isinstance(value, pd.DataFrame):
        raise ConfigError(f"{name} must be a DataFrame with one column per symbol, got {type(value).__name__}")
    return value


def _column(frame: pd.DataFrame | None, symbol: str, days: pd.Index) -> pd.Series:
    """``frame[symbol]`` on the symbol's trading ``days`` (NaN when the frame or column is absent)."""
    if frame is None or symbol not in frame.columns:
        return pd.Series(np.nan, index=days)
    return frame[symbol].reindex(days).astype("float64")


def _ymd(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d")


def _symbol_rows(symbol: str, frames: dict[str, pd.DataFrame | None], market: pd.Series,
                 as_ofs: pd.DatetimeIndex, p: RotationParams, anchor: pd.Timestamp | None) -> list[dict]:
    """The rows of ``symbol`` at each date of ``as_ofs``.

    Every component is a causal series (its value on day t uses data up to t only), so it is
    computed once over the whole history and read at each date; the percentiles are evaluated
    only on those dates.
    """
    px_all = frames["close"][symbol].astype("float64").dropna()
    days = px_all.index
    amt_known = _column(frames["amount"], symbol, days)
    amt = estimate_amount(px_all, _column(frames["volume"], symbol, days), amt_known, calibration=AMOUNT_CALIBRATION_DAYS)
    components = {
        "amount_share": sma(turnover_share(amt, market), p.window),
        "turnover_rate": sma(_column(frames["turnover"], symbol, days) / 100.0, p.window),
        "volatility": rolling_volatility(px_all, p.window),
    }
    start = check_date(p.history_start, "history_start")
    live = as_ofs[as_ofs.isin(days)]
    pcts = {name: percentile_at(series, live, p.method, start) for name, series in components.items()}
    return [_row_at(px_all, amt_known, components, pcts, as_of, p, anchor) for as_of in as_ofs]


def _row_at(px_all: pd.Series, amt_known: pd.Series, components: dict[str, pd.Series], pcts: dict[str, pd.Series],
            as_of: pd.Timestamp, p: RotationParams, anchor: pd.Timestamp | None) -> dict:
    """One row of :func:`quadrants` at ``as_of`` from the symbol's precomputed series."""
    row: dict = {c: np.nan for c in COLUMNS}
    row.update(first_date=pd.NaT, last_date=pd.NaT, bars=0, amount_estimated=False, reason="")
    px = px_all.loc[:as_of]
    if px.empty:
        row["reason"] = "no price data"
        return row
    row.update(first_date=px.index[0], last_date=px.index[-1], bars=len(px))
    if px.index[-1] != as_of:
        row["reason"] = f"no price at as-of; last {_ymd(px.index[-1])}"
        return row

    if anchor is None:
        if len(px) < p.lookback + 1:
            row["reason"] = f"listed {_ymd(px.index[0])}: {len(px)} bars < {p.lookback + 1} for a {p.lookback}-day rise"
            return row
        row["rise"] = px.iloc[-1] / px.iloc[-1 - p.lookback] - 1.0
    else:
        base = px.loc[:anchor]
        if base.empty:
            row["reason"] = f"listed {_ymd(px.index[0])}: after anchor {_ymd(anchor)}"
            return row
        row["rise"] = px.iloc[-1] / base.iloc[-1] - 1.0

    for name, series in components.items():
        row[name] = series.at[as_of]
        row[f"{name}_pct"] = pcts[name].get(as_of, np.nan)
    used = amt_known.loc[:as_of].iloc[-p.window:]
    row["amount_estimated"] = bool(used.isna().any() and pd.notna(row["amount_share"]))
    parts = [row[f"{n}_pct"] for n in components]
    parts = [x for x in parts if pd.notna(x)]
    if not parts:
        row["reason"] = "no crowding data at as-of (amount, volume and turnover unknown)"
        return row
    row["crowding"] = float(np.mean(parts))
    return row


def _table(rows: dict[str, dict], as_of: pd.Timestamp, reference: Iterable[str] | None = None) -> pd.DataFrame:
    """Rows of one date as the quadrant table: types, cross-sectional median split, quadrants.

    The median rise is taken over the placed members of ``reference`` (default: every row), so
    an extra ETF is placed against the reference universe without moving its median."""
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    table.index = pd.Index([str(s) for s in table.index], name="symbol")
    table["bars"] = table["bars"].astype("int64")
    table["amount_estimated"] = table["amount_estimated"].astype(bool)
    table["reason"] = table["reason"].astype(object)
    for col in ("first_date", "last_date"):
        table[col] = pd.to_datetime(table[col])

    placed = table["reason"] == ""
    members = placed if reference is None else placed & table.index.isin([str(s) for s in reference])
    median = float(table.loc[members, "rise"].median()) if members.any() else float("nan")
    high_rise = table["rise"] > median
    high_crowd = table["crowding"] > 0.5
    quadrant = np.select([high_rise & high_crowd, high_rise & ~high_crowd, ~high_rise & ~high_crowd],
                         [1, 2, 3], default=4)
    table["quadrant"] = pd.array(np.where(placed, quadrant, 0), dtype="Int64")
    table.loc[~placed, "quadrant"] = pd.NA
    table.attrs = {"as_of": as_of, "rise_median": median}
    return table


def quadrant_tables(close: pd.DataFrame, amount: pd.DataFrame | None, market_amount: pd.Series, dates: Iterable,
                    lookback: int = RotationParams.lookback, anchor: object = None,
                    turnover: pd.DataFrame | None = None, history_start: object = RotationParams.history_start,
                    window: int = RotationParams.window, volume: pd.DataFrame | None = None, *,
                    method: str = RotationParams.method, params: RotationParams | None = None,
                    reference: Iterable[str] | None = None) -> dict[pd.Timestamp, pd.DataFrame]:
    """:func:`quadrants` on each of ``dates`` in one pass: ``{resolved as-of: table}``.

    Identical to calling :func:`quadrants` date by date (each table uses data up to its date
    only), at a fraction of the cost: each symbol's history is processed once. This is the form
    a rotation backtest uses on its rebalance days.
    """
    p = params if params is not None else RotationParams(lookback=lookback, anchor=anchor, history_start=history_start,
                                                         window=window, method=method)
    close = _frame(close, "close")
    amount, turnover, volume = _frame(amount, "amount"), _frame(turnover, "turnover"), _frame(volume, "volume")
    market = check_series(market_amount, "market_amount")
    check_dates(pd.DatetimeIndex(close.index), "close")
    check_dates(pd.DatetimeIndex(market.index), "market_amount")
    wanted = [check_date(d, "as_of") for d in dates]
    if not wanted or any(d is None for d in wanted):
        raise ConfigError("as_of is required: the date at which to place the ETFs, e.g. 2025-12-31")
    anchor_ts = check_date(p.anchor, "anchor")
    sessions = close.index.union(market.dropna().index)
    resolved = []
    for day in wanted:
        before = sessions[sessions <= day]
        if len(before) == 0:
            raise ConfigError(f"as_of {_ymd(day)} is before the first date of the data "
                              f"({_ymd(close.index.union(market.index)[0])})")
        if anchor_ts is not None and anchor_ts >= before[-1]:
            raise ConfigError(f"anchor {_ymd(anchor_ts)} must be before as_of {_ymd(before[-1])}")
        resolved.append(before[-1])
    as_ofs = pd.DatetimeIndex(sorted(set(resolved)))
    last = as_ofs[-1]
    frames = {name: None if f is None else f.loc[f.index <= last]
              for name, f in (("close", close), ("amount", amount), ("volume", volume), ("turnover", turnover))}
    market = market.loc[market.index <= last]
    per_symbol = {symbol: _symbol_rows(symbol, frames, market, as_ofs, p, anchor_ts) for symbol in close.columns}
    reference = None if reference is None else tuple(reference)
    return {day: _table({s: rows[i] for s, rows in per_symbol.items()}, day, reference)
            for i, day in enumerate(as_ofs)}


def quadrants(close: pd.DataFrame, amount: pd.DataFrame | None, market_amount: pd.Series, as_of: object,
              lookback: int = RotationParams.lookback, anchor: object = None, turnover: pd.DataFrame | None = None,
              history_start: object = RotationParams.history_start, window: int = RotationParams.window,
              volume: pd.DataFrame | None = None, *, method: str = RotationParams.method,
              params: RotationParams | None = None, reference: Iterable[str] | None = None) -> pd.DataFrame:
    """Rise, crowding and quadrant of each symbol at ``as_of`` (one row per column of ``close``).

    Inputs are frames indexed by date with one column per symbol: ``close`` (CNY), ``amount``
    (CNY, NaN when unknown), ``volume`` (shares; used to estimate missing amounts),
    ``turnover`` (%); ``market_amount`` is the market's traded amount (CNY, e.g. 000985).
    ``as_of`` resolves to the last session on or before it (sessions: dates of ``close`` and
    ``market_amount``); only data up to it is used. ``params`` replaces ``lookback, anchor,
    history_start, window, method`` when given.

    Columns: ``first_date, last_date, bars`` (valid closes up to as_of), ``rise`` (decimal),
    ``amount_share, turnover_rate`` (``window``-day averages, decimal), ``volatility`` (daily,
    decimal), their percentiles ``*_pct`` and ``crowding`` (fractions in [0, 1]), ``quadrant``
    (1–4, missing when a reason is given), ``amount_estimated`` (bool), ``reason`` (empty when
    placed). ``attrs``: ``as_of`` (resolved) and ``rise_median``. The rise median splitting the
    quadrants is that of the placed ``reference`` symbols (default: all of them).
    """
    tables = quadrant_tables(close, amount, market_amount, [as_of], lookback, anchor, turnover, history_start,
                             window, volume, method=method, params=params, reference=reference)
    return next(iter(tables.values()))


def select_rotation(table: pd.DataFrame, preferred: Sequence[int] = RotationParams.preferred,
                    top_k: int = RotationParams.top_k) -> list[str]:
    """Up to ``top_k`` symbols from the ``preferred`` quadrants, in that order, by rise (descending) within each."""
    preferred = _check_preferred(preferred)
    top_k = check_window(top_k, "top_k")
    if not isinstance(table, pd.DataFrame) or not {"quadrant", "rise"} <= set(table.columns):
        raise ConfigError("table must be the output of quadrants() (columns 'quadrant' and 'rise')")
    chosen: list[str] = []
    for q in preferred:
        members = table.loc[table["quadrant"].eq(q).fillna(False).astype(bool)]
        for symbol in members.sort_values("rise", ascending=False, kind="stable").index:
            if len(chosen) == top_k:
                return chosen
            if symbol not in chosen:
                chosen.append(str(symbol))
    return chosen


# --------------------------------------------------------------------------------------------
# the model step
# --------------------------------------------------------------------------------------------

DEFAULT_MARKET = "000985"


@dataclass(frozen=True)
class RotationState:
    """Output of the rotation step: target weights (equal weight of the chosen ETFs on each
    rebalance day, NaN otherwise), the ETFs chosen per rebalance day, the quadrant table of the
    last rebalance, and the overlay's timing frame when ``timing_overlay`` is on."""

    weights: pd.DataFrame
    holdings: pd.Series
    table: pd.DataFrame | None
    timing: TimingFrame | None = None
    same_index: pd.DataFrame | None = None


# --------------------------------------------------------------------------------------------
# same-index selection (华西: among ETFs tracking one index keep one)
# --------------------------------------------------------------------------------------------

SAME_INDEX_COLUMNS = ("dropped", "kept", "group", "basis")


def same_index_groups(symbols: Sequence[str], index_of: Mapping[str, str | None], returns: pd.DataFrame,
                      corr: float, similar: float | None = None) -> dict[str, str]:
    """Group of each symbol: ``index CODE`` for a known tracked index; a symbol of unknown index
    joins the group of the first symbol (in order) whose daily ``returns`` correlate ≥ ``corr``
    with its own (``returns``: the lookback window up to the decision date), else stays alone
    (``corr SYMBOL`` either way for the symbols grouped by correlation). With ``similar``, groups
    whose members correlate ≥ ``similar`` are merged (named ``index A ~ index B``)."""
    groups = {s: f"index {index_of[s]}" for s in symbols if index_of.get(s)}
    unknown = [s for s in symbols if not index_of.get(s)]
    if not unknown and similar is None:
        return groups
    matrix = returns.reindex(columns=list(symbols)).corr(min_periods=20)
    for s in unknown:
        partner = next((o for o in symbols if o != s and matrix.at[s, o] >= corr), None)
        if partner is None:
            groups[s] = f"corr {s}"
        elif partner in groups:
            groups[s] = groups[partner]
        else:
            groups[s] = groups[partner] = f"corr {min(s, partner)}"
    if similar is not None:
        for i, a in enumerate(symbols):
            for b in symbols[i + 1:]:
                if groups[a] != groups[b] and matrix.at[a, b] >= similar:
                    old, new = sorted((groups[a], groups[b]))
                    merged = " ~ ".join(sorted(set(old.split(" ~ ")) | set(new.split(" ~ "))))
                    groups = {s: merged if g in (old, new) else g for s, g in groups.items()}
    return groups


def same_index_step(table: pd.DataFrame, groups: Mapping[str, str], scale: Mapping[str, float],
                    tracking: Mapping[str, float], fee: Mapping[str, float] | None = None
                    ) -> tuple[pd.DataFrame, list[dict]]:
    """Keep one placed ETF per group: the larger ``scale`` (CNY, at the decision date), then the
    lower ``fee``, then the smaller ``tracking`` error, then the code (NaN: unknown, ranked last
    on that criterion). The others lose their quadrant and get a ``reason`` naming the ETF kept;
    returns the table and one record per ETF left out."""
    fee = fee or {}
    placed = table.index[table["quadrant"].notna()]
    members: dict[str, list[str]] = {}
    for s in placed:
        members.setdefault(groups.get(s, f"alone {s}"), []).append(s)
    out, drops = table.copy(), []

    def known(x: float | None) -> bool:
        return x is not None and not np.isnan(x)

    def rank(code: str) -> tuple:
        s, f, t = scale.get(code), fee.get(code), tracking.get(code)
        return (not known(s), -s if known(s) else 0.0, not known(f), f if known(f) else 0.0,
                not known(t), t if known(t) else 0.0, code)

    for group, codes in members.items():
        if len(codes) < 2:
            continue
        ranked = sorted(codes, key=rank)
        keep = ranked[0]
        for c in ranked[1:]:
            if known(scale.get(keep)) and known(scale.get(c)) and scale[keep] != scale[c]:
                basis = f"scale {scale[keep] / 1e8:.2f} vs {scale[c] / 1e8:.2f} 亿元"
            elif known(tracking.get(keep)) and known(tracking.get(c)):
                basis = f"tracking error {tracking[keep]:.2%} vs {tracking[c]:.2%}"
            else:
                basis = "scale, fee and tracking error unknown: code order"
            out.loc[c, "quadrant"] = pd.NA
            out.loc[c, "reason"] = f"same {group} as {keep} ({basis})"
            drops.append({"dropped": c, "kept": keep, "group": group, "basis": basis})
    return out, drops


def _needs(traded: tuple[str, ...], *, rotation: RotationParams, signal: TimingParams,
           weights: RegimeWeights) -> tuple[Need, ...]:
    needs = [Need("market", signal.signal_code(traded[0], default=DEFAULT_MARKET))]
    if rotation.same_index:
        needs += [Need(f"shares {s}", s, "shares") for s in traded]
        needs += [Need(f"index of {s}", s, "tracked_index") for s in traded]
    return tuple(needs)


def _same_index(inputs: ModelInputs, close: pd.DataFrame, day: pd.Timestamp, table: pd.DataFrame,
                rotation: RotationParams) -> tuple[pd.DataFrame, list[dict]]:
    """:func:`same_index_step` at ``day`` with the inputs known then (shares, closes, index
    closes); scale and tracking error are evaluated only for the members of a shared group."""
    from quantkit.data import etf_meta

    symbols = list(table.index)
    index_of = {s: inputs.data[f"shares {s}"].attrs.get("index_code") if f"shares {s}" in inputs.data else None
                for s in symbols}
    past = close.loc[close.index <= day]
    returns = (past.iloc[-rotation.lookback - 1:].pct_change(fill_method=None).iloc[1:]
               if rotation.similar_corr is not None or not all(index_of.values()) else pd.DataFrame())
    groups = same_index_groups(symbols, index_of, returns, rotation.same_index_corr, rotation.similar_corr)
    placed = [s for s in symbols if pd.notna(table.at[s, "quadrant"])]
    counts = pd.Series([groups.get(s, s) for s in placed]).value_counts()
    shared = [s for s in placed if counts.get(groups.get(s, s), 0) > 1]
    scale = {s: etf_meta.scale_at(inputs.data[f"shares {s}"], past[s], day) if f"shares {s}" in inputs.data else np.nan
             for s in shared}
    tracking = {}
    known = [v for v in scale.values() if not np.isnan(v)]
    if len(known) < len(scale) or len(set(known)) < len(known):  # scale does not decide everywhere
        for s in shared:
            idx = inputs.data.get(f"index of {s}")
            tracking[s] = etf_meta.tracking_error(past[s], idx["close"].loc[:day]) if idx is not None and len(idx) \
                else np.nan
    return same_index_step(table, groups, scale, tracking)


def universe_coverage(bars: Mapping[str, pd.DataFrame]) -> pd.Series:
    """Share of the universe's listed symbols (first bar on or before the day) with a bar on each session (decimal)."""
    calendar = pd.DatetimeIndex(sorted(set().union(*(f.index for f in bars.values())))) if bars else \
        pd.DatetimeIndex([])
    have = pd.DataFrame({s: calendar.isin(f.index) for s, f in bars.items()}, index=calendar)
    listed = pd.DataFrame({s: calendar >= f.index[0] for s, f in bars.items() if len(f)}, index=calendar)
    return (have.sum(axis=1) / listed.sum(axis=1).clip(lower=1)).rename("coverage")


def _window_end(bars: Mapping[str, pd.DataFrame], *, rotation: RotationParams, **_) -> pd.Timestamp | None:
    """The last session on which at least ``min_coverage`` of the listed universe has a bar: past it the
    quadrants would rank a remnant of the universe (symbols' data end at different dates)."""
    coverage = universe_coverage(bars)
    covered = coverage.index[coverage >= rotation.min_coverage]
    return covered[-1] if len(covered) else None


def _window_start(first: pd.Timestamp, *, rotation: RotationParams, **_) -> pd.Timestamp:
    """Crowding percentiles start at ``history_start``: no ETF can be placed before it."""
    return max(first, pd.Timestamp(rotation.history_start))


def _run(inputs: ModelInputs, calendar: pd.DatetimeIndex, days: pd.DatetimeIndex, *, rotation: RotationParams,
         signal: TimingParams, weights: RegimeWeights) -> RotationState:
    from quantkit.data.api import panel

    symbols = list(inputs.traded)
    out = pd.DataFrame(np.nan, index=calendar, columns=symbols)
    market = inputs.data["market"]
    overlay = timing = None
    if rotation.timing_overlay:
        frame = timing_frame(market["close"], signal)
        timing = TimingFrame(frame, pd.DataFrame(index=calendar), signal.signal_code(symbols[0], DEFAULT_MARKET))
        overlay = regime_weights(carry_forward(acted_regime(frame), calendar, MAX_SIGNAL_AGE), weights)
    data = panel(inputs.traded)
    tables = quadrant_tables(data["close"], data["amount"], market["amount"], days, lookback=rotation.lookback,
                             anchor=rotation.anchor, turnover=data["turnover"], history_start=rotation.history_start,
                             window=rotation.window, volume=data["volume"], method=rotation.method) if len(days) else {}
    holdings: dict = {}
    drops: list[dict] = []
    table = None
    for day, table in tables.items():
        if not table["quadrant"].notna().any():
            continue  # no ETF can be placed yet (history shorter than the lookback): no decision
        if rotation.same_index:
            table, dropped = _same_index(inputs, data["close"], day, table, rotation)
            drops += [{"date": day, **d} for d in dropped]
        chosen = select_rotation(table, preferred=rotation.preferred, top_k=rotation.top_k)
        row = pd.Series(0.0, index=symbols)
        if chosen:
            row[chosen] = 1.0 / len(chosen)
        if overlay is not None:
            scale = overlay.get(day, np.nan)
            if np.isnan(scale):
                continue  # no market regime yet: no decision
            row *= scale
        out.loc[day] = row.to_numpy()
        holdings[day] = chosen
    same = None
    if rotation.same_index:
        same = pd.DataFrame(drops, columns=["date", *SAME_INDEX_COLUMNS]).set_index("date")
        same.index = pd.DatetimeIndex(same.index, name="date")
    return RotationState(out, pd.Series(holdings, name="holdings", dtype=object), table, timing, same)


def quadrant_table_rows(table: pd.DataFrame, names: Mapping[str, str], held: Iterable[str] = ()) -> Table:
    """The quadrant table sorted by quadrant then rise (unplaced ETFs last, with their reason); held rows marked."""
    held = set(held)
    t = table.copy()
    t["_q"] = t["quadrant"].astype("float").fillna(9)
    t = t.sort_values(["_q", "rise"], ascending=[True, False], kind="stable")
    rows, marked = [], []
    for i, (sym, r) in enumerate(t.iterrows()):
        q = None if pd.isna(r["quadrant"]) else int(r["quadrant"])
        note = r.get("reason") or ("amount partly estimated" if bool(r.get("amount_estimated", False)) else "")
        rows.append((str(sym), names.get(str(sym), "") + (" ●" if str(sym) in held else ""), fmt_pct(r["rise"], 1),
                     fmt_num(r["crowding"], 2), QUADRANT_NAMES.get(q, "—"), note))
        if str(sym) in held:
            marked.append((i, -1))
    return Table(("Code", "Name", "Rise", "Crowding", "Quadrant", "Note"), tuple(rows),
                 title=f"Quadrant table at {fmt_date(table.attrs.get('as_of'))}", note="● held after the last rebalance.",
                 marked=tuple(marked), numeric=(2, 3))


def rotation_section(output: RotationState, context: ReportContext, *, rotation: RotationParams,
                     signal: TimingParams, weights: RegimeWeights) -> tuple[Section, ...]:
    """Quadrant scatter and table at the last rebalance, holdings over time, the last rebalances
    (and the overlay's timing section first when the overlay is on)."""
    names = dict(context.names)
    holdings = output.holdings if len(output.holdings) else None
    held = list(holdings.iloc[-1]) if holdings is not None else []
    charts: list[tuple[str, Chart]] = []
    tables: list[Table] = []
    lead = ("Each ETF placed by its rise and crowding; quadrants split at the median rise and crowding 0.5. "
            "Q1 high rise & crowded, Q2 high rise & not crowded, Q3 low rise & not crowded, Q4 low rise & crowded.")
    table = output.table
    if table is not None and len(table):
        as_of, median = table.attrs.get("as_of"), table.attrs.get("rise_median")
        lead = lead.replace("the median rise", f"the median rise ({fmt_pct(median, 1)})")
        charts.append(("rotation_quadrants", Chart("quadrant_scatter", {
            "table": table, "names": names, "median": None if pd.isna(median) else float(median), "held": held,
            "title": f"Rise vs crowding at the last rebalance ({fmt_date(as_of)}); held ETFs ringed"})))
        tables.append(quadrant_table_rows(table, names, held))
    charts.append(("rotation_holdings", Chart("holdings", {"weights": context.weights, "names": names})))
    if holdings is not None:
        recent = holdings.tail(12).iloc[::-1]
        tables.append(Table(("Decision close", "Selected"), tuple(
            (fmt_date(d), " · ".join(f"{s} {names.get(s, '')}".strip() for s in syms) or "cash")
            for d, syms in recent.items()), title="Last rebalances"))
    if output.same_index is not None:
        lead += same_index_note(output.same_index)
        if len(output.same_index):
            last = output.same_index.loc[output.same_index.index == output.same_index.index[-1]]
            tables.append(Table(("Left out", "Kept", "Group", "Basis"), tuple(
                (f"{r.dropped} {names.get(r.dropped, '')}".strip(), f"{r.kept} {names.get(r.kept, '')}".strip(),
                 r.group, r.basis) for r in last.itertuples()),
                title=f"Same-index selection at {fmt_date(last.index[-1])}"))
    section = Section("rotation", "Rotation model: rise vs crowding", lead, (), tuple(tables), tuple(charts))
    if output.timing is None:
        return (section,)
    return timing_section(output.timing, context, signal=signal), section


def same_index_note(same: pd.DataFrame) -> str:
    """One sentence on the same-index step: how often it left an ETF out and how groups were formed."""
    if not len(same):
        return " Same-index selection: no two placed ETFs tracked one index on any rebalance day."
    by_corr = sorted(set(same.loc[same["group"].str.contains("corr"), "dropped"]))
    text = (f" Same-index selection: among placed ETFs tracking one index only the larger scale at the decision "
            f"date is eligible; it left an ETF out {len(same)} times, on {same.index.nunique()} rebalance days.")
    if by_corr:
        text += f" Tracked index unknown for {', '.join(by_corr)}: grouped by daily return correlation."
    merged = sorted(set(same.loc[same["group"].str.contains(" ~ "), "group"]))
    if merged:
        text += f" Indices grouped by return correlation (similar_corr): {'; '.join(merged)}."
    return text


MODEL = Model(kind="rotation", title="Rotation — rise vs crowding quadrants",
              sections={"rotation": RotationParams, "signal": TimingParams, "weights": RegimeWeights},
              needs=_needs, run=_run, report=rotation_section, trades_one=False, window_start=_window_start,
              window_end=_window_end)
