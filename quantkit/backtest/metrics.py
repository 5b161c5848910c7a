"""Performance metrics as pure functions of a daily returns series (empyrical style).

Conventions: returns are simple daily returns as decimal fractions (0.01 = +1 %), one per
trading session, the return of a session belonging to that session's date. Years have
``PERIODS = 243`` trading sessions (A-share calendar). Sharpe, Sortino, alpha and PSR take ``rf``, an
annual risk-free rate as a decimal (default 0), compounded down to (1 + rf)^(1/periods) − 1 per
session and subtracted from every return, as quantstats does.
Drawdowns are negative fractions (−0.25 = 25 % below the running peak). The formulas follow
empyrical (and quantstats) so figures agree with them on the same series:

- annual return is the CAGR ``(1 + total)^(243 / n) − 1`` over ``n`` returns;
- volatility, Sharpe use the sample standard deviation (ddof = 1);
- Sortino divides the annualised mean by the root-mean-square of the negative returns
  (all days in the denominator of the mean square);
- max drawdown is measured on wealth starting at 1 before the first return.

Functions that take a Series also accept a DataFrame (one column per portfolio) and then
return a Series, which the parameter sweep uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np
import pandas as pd

from quantkit.backtest import distribution as D

PERIODS = 243

Returns = pd.Series | pd.DataFrame


def _arr(returns: Returns | np.ndarray) -> np.ndarray:
    a = np.asarray(returns, dtype=float)
    return a


def _zero_nan(a: np.ndarray) -> np.ndarray:
    """Returns with NaN (no data) as 0 and ±inf clipped (``np.nan_to_num``); no copy when all are finite."""
    return a if np.isfinite(a).all() else np.nan_to_num(a)


def _wrap(values: np.ndarray, returns: Returns | np.ndarray) -> Any:
    if np.ndim(values) == 0:
        return float(values)
    if isinstance(returns, pd.DataFrame):
        return pd.Series(values, index=returns.columns)
    return values


def total_return(returns: Returns) -> float | pd.Series:
    """Compounded return over the whole series (decimal)."""
    a = _arr(returns)
    return _wrap(np.prod(1.0 + _zero_nan(a), axis=0) - 1.0, returns)


def annual_return(returns: Returns, periods: int = PERIODS) -> float | pd.Series:
    """CAGR (decimal per year) with ``periods`` sessions per year: (1 + total)^(periods / n) − 1."""
    a = _arr(returns)
    n = a.shape[0]
    if n == 0:
        return float("nan")
    growth = np.prod(1.0 + _zero_nan(a), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(growth > 0, np.power(np.maximum(growth, 1e-300), periods / n) - 1.0, -1.0)
    return _wrap(out, returns)


def annual_volatility(returns: Returns, periods: int = PERIODS) -> float | pd.Series:
    """Annualised standard deviation of daily returns (decimal, ddof = 1)."""
    a = _arr(returns)
    if a.shape[0] < 2:
        return float("nan")
    return _wrap(np.nanstd(a, axis=0, ddof=1) * math.sqrt(periods), returns)


def rf_per_period(rf: float, periods: int = PERIODS) -> float:
    """Per-session risk-free return (decimal) of an annual rate ``rf`` (decimal): (1 + rf)^(1/periods) − 1."""
    return (1.0 + float(rf)) ** (1.0 / periods) - 1.0


def _excess(returns: Returns | np.ndarray, rf: float, periods: int) -> np.ndarray:
    a = _arr(returns)
    return a - rf_per_period(rf, periods) if rf else a


def sharpe(returns: Returns, periods: int = PERIODS, rf: float = 0.0) -> float | pd.Series:
    """Annualised Sharpe ratio of the excess returns over ``rf`` (annual decimal): mean / std (ddof = 1)
    × √periods. NaN if std = 0."""
    a = _excess(returns, rf, periods)
    if a.shape[0] < 2:
        return float("nan")
    if np.isnan(a).any():
        mean, std = np.nanmean(a, axis=0), np.nanstd(a, axis=0, ddof=1)
    else:  # the same sums without the NaN-masked copies (bootstrap and sweep matrices)
        mean, std = a.mean(axis=0), a.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(std > 0, mean / np.where(std > 0, std, 1.0) * math.sqrt(periods), np.nan)
    return _wrap(out, returns)


def sortino(returns: Returns, periods: int = PERIODS, rf: float = 0.0) -> float | pd.Series:
    """Annualised Sortino ratio of the excess returns x = r − rf per session: mean(x) × periods /
    (√mean(min(x, 0)²) × √periods)."""
    a = _excess(returns, rf, periods)
    if a.shape[0] < 2:
        return float("nan")
    mean = np.nanmean(a, axis=0)
    downside = np.sqrt(np.nanmean(np.minimum(a, 0.0) ** 2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(downside > 0, mean * periods / (np.where(downside > 0, downside, 1.0) * math.sqrt(periods)),
                       np.nan)
    return _wrap(out, returns)


def rolling_sharpe(returns: pd.Series, window: int = 121, periods: int = PERIODS,
                   min_active: float = 0.5, rf: float = 0.0) -> pd.Series:
    """Rolling annualised Sharpe ratio over ``rf`` (annual decimal) over ``window`` sessions.

    NaN where the standard deviation is 0 or fewer than ``min_active`` of the window's sessions
    had a non-zero return (mostly in cash: the ratio of a few days would be noise).
    """
    r = returns.astype(float)
    mean = r.rolling(window).mean() - (rf_per_period(rf, periods) if rf else 0.0)
    std = r.rolling(window).std(ddof=1)
    active = (r != 0).astype(float).rolling(window).mean()
    ok = (std > 0) & (active >= min_active)
    return (mean / std.where(ok) * math.sqrt(periods)).rename("rolling_sharpe")


def rolling_volatility(returns: pd.Series, window: int = 121, periods: int = PERIODS) -> pd.Series:
    """Rolling annualised volatility (decimal) over ``window`` sessions."""
    return (returns.astype(float).rolling(window).std(ddof=1) * math.sqrt(periods)).rename("rolling_volatility")


def _wealth(a: np.ndarray) -> np.ndarray:
    """Wealth starting at 1 before the first return (one extra leading row)."""
    w = np.cumprod(1.0 + _zero_nan(a), axis=0)
    ones = np.ones((1,) + a.shape[1:])
    return np.concatenate([ones, w], axis=0)


def drawdown(returns: pd.Series) -> pd.Series:
    """Drawdown of each session's closing wealth below its running peak (negative fraction)."""
    w = _wealth(_arr(returns))
    dd = w / np.maximum.accumulate(w, axis=0) - 1.0
    return pd.Series(dd[1:], index=returns.index, name="drawdown")


def max_drawdown(returns: Returns) -> float | pd.Series:
    """Deepest drawdown of wealth below its running peak (negative fraction, 0 if none)."""
    a = _arr(returns)
    if a.shape[0] == 0:
        return float("nan")
    w = np.cumprod(1.0 + _zero_nan(a), axis=0)
    peak = np.maximum(np.maximum.accumulate(w, axis=0), 1.0)  # wealth starts at 1 before the first return
    return _wrap(np.minimum(np.min(w / peak - 1.0, axis=0), 0.0), returns)


def calmar(returns: Returns, periods: int = PERIODS, *, annual: Any = None, mdd: Any = None) -> float | pd.Series:
    """Annual return divided by |max drawdown|; NaN without a drawdown.

    ``annual``/``mdd`` may pass :func:`annual_return` and :func:`max_drawdown` of ``returns``
    when already computed."""
    ar = np.asarray(annual_return(returns, periods) if annual is None else annual, dtype=float)
    mdd = np.asarray(max_drawdown(returns) if mdd is None else mdd, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mdd < 0, ar / np.abs(np.where(mdd < 0, mdd, 1.0)), np.nan)
    return _wrap(out, returns)


def drawdown_table(returns: pd.Series, top: int = 5) -> pd.DataFrame:
    """The ``top`` worst drawdown periods, deepest first.

    Columns: ``peak`` (date of the wealth peak; the day before the first session if the series
    starts in a drawdown), ``trough`` (date of the lowest close), ``recovery`` (first date the
    peak is regained, NaT if not yet), ``depth`` (negative fraction), ``days`` (sessions from peak
    to recovery, or to the last session if unrecovered).
    """
    cols = ["peak", "trough", "recovery", "depth", "days"]
    if len(returns) == 0:
        return pd.DataFrame(columns=cols)
    dd = drawdown(returns).to_numpy()
    idx = returns.index
    rows = []
    i, n = 0, len(dd)
    while i < n:
        if dd[i] < 0:
            start = i  # first session under water; the peak is the session before
            j = i
            while j < n and dd[j] < 0:
                j += 1
            seg = dd[start:j]
            t = start + int(np.argmin(seg))
            peak = idx[start - 1] if start > 0 else pd.NaT
            recovery = idx[j] if j < n else pd.NaT
            rows.append({"peak": peak, "trough": idx[t], "recovery": recovery, "depth": float(dd[t]),
                         "days": (j if j < n else n - 1) - (start - 1)})
            i = j
        else:
            i += 1
    table = pd.DataFrame(rows, columns=cols)
    return table.sort_values("depth").head(top).reset_index(drop=True)


def win_rate(returns: pd.Series, exposure: pd.Series | None = None) -> float:
    """Share of positive daily returns among the days with a position.

    A day counts when the portfolio held any position during it: exposure (sum of actual
    end-of-day weights) > 0 that day or at the previous close. Without ``exposure`` every
    non-zero-return day counts. NaN when there is no such day.
    """
    r = returns.astype(float)
    if exposure is None:
        mask = r != 0
    else:
        e = exposure.reindex(r.index).fillna(0.0)
        mask = (e > 0) | (e.shift(1, fill_value=0.0) > 0)
    n = int(mask.sum())
    return float((r[mask] > 0).sum() / n) if n else float("nan")


def _trips(trades: pd.DataFrame | None) -> tuple[list[dict], list[dict]]:
    """Walk the filled orders per symbol: closed trips (flat → flat) and the trip still open at the end."""
    closed: list[dict] = []
    still_open: list[dict] = []
    if trades is None or len(trades) == 0:
        return closed, still_open
    for sym, group in trades.sort_values("date", kind="stable").groupby("symbol", sort=False):
        pos, bought, sold, fees, entry = 0.0, 0.0, 0.0, 0.0, None
        for rec in group.itertuples(index=False):
            if pos == 0 and rec.side == "buy":
                entry, bought, sold, fees = rec.date, 0.0, 0.0, 0.0
            if rec.side == "buy":
                pos += rec.shares
                bought += rec.value
            else:
                pos -= rec.shares
                sold += rec.value
            fees += rec.fee
            if entry is not None and abs(pos) < 1e-9:
                pnl = sold - bought - fees
                closed.append({"symbol": sym, "entry": entry, "exit": rec.date, "bought": bought, "sold": sold,
                               "fees": fees, "pnl": pnl, "ret": pnl / bought if bought else float("nan")})
                pos, entry = 0.0, None
        if entry is not None:
            still_open.append({"symbol": sym, "entry": entry, "shares": pos, "bought": bought, "sold": sold,
                               "fees": fees})
    return closed, still_open


def round_trips(trades: pd.DataFrame) -> pd.DataFrame:
    """Closed round trips per symbol: from a flat position back to flat.

    ``trades`` has columns date, symbol, side (``buy``/``sell``), shares, value (CNY), fee (CNY).
    Returns one row per closed trip: symbol, entry (first buy date), exit (date flat again),
    bought, sold (CNY), fees (CNY), pnl (CNY, sold − bought − fees), ret (pnl / bought).
    """
    cols = ["symbol", "entry", "exit", "bought", "sold", "fees", "pnl", "ret"]
    return pd.DataFrame(_trips(trades)[0], columns=cols)


def open_trips(trades: pd.DataFrame | None, weights: pd.Series | pd.DataFrame | None,
               equity: pd.Series | None) -> pd.DataFrame:
    """Trips still open at the last session, marked to its close (unrealised P&L).

    ``weights``: actual end-of-day weights (a frame with one column per symbol, or the total
    exposure as a Series when one symbol is held); ``equity`` in CNY. One row per open trip:
    symbol, entry, shares, bought, sold, fees (CNY so far), value (CNY at the last close),
    pnl (CNY, value + sold − bought − fees) and ret (pnl / bought, decimal).
    """
    cols = ["symbol", "entry", "shares", "bought", "sold", "fees", "value", "pnl", "ret"]
    rows = _trips(trades)[1]
    if not rows or weights is None or equity is None or len(equity) == 0:
        return pd.DataFrame(rows, columns=cols)
    last_equity = float(equity.iloc[-1])
    for row in rows:
        if isinstance(weights, pd.DataFrame):
            w = float(weights[row["symbol"]].iloc[-1]) if row["symbol"] in weights else float("nan")
        else:
            w = float(weights.iloc[-1]) if len(rows) == 1 else float("nan")
        row["value"] = w * last_equity
        row["pnl"] = row["value"] + row["sold"] - row["bought"] - row["fees"]
        row["ret"] = row["pnl"] / row["bought"] if row["bought"] else float("nan")
    return pd.DataFrame(rows, columns=cols)


def trade_win_rate(trades: pd.DataFrame) -> float:
    """Share of closed round trips (flat → flat, see :func:`round_trips`) with a positive P&L after fees;
    a trip still open is left out (see :func:`open_trips`)."""
    trips = round_trips(trades)
    return float((trips["pnl"] > 0).mean()) if len(trips) else float("nan")


def n_trades(trades: pd.DataFrame | None) -> int:
    """Number of filled orders (each buy or sell of one symbol on one day counts once)."""
    return 0 if trades is None else int(len(trades))


def annual_turnover(trades: pd.DataFrame | None, equity: pd.Series, periods: int = PERIODS) -> float:
    """Traded value (buys + sells, CNY) divided by average equity, per year (decimal; 2.0 = 200 %/year).

    A full round trip of the whole portfolio once a year gives 2.0.
    """
    if equity is None or len(equity) == 0:
        return float("nan")
    traded = 0.0 if trades is None or len(trades) == 0 else float(trades["value"].abs().sum())
    years = len(equity) / periods
    return traded / float(equity.mean()) / years if years > 0 else float("nan")


def average_exposure(exposure: pd.Series | pd.DataFrame) -> float:
    """Mean over sessions of the invested share of equity (sum of weights if a frame), decimal."""
    e = exposure.sum(axis=1) if isinstance(exposure, pd.DataFrame) else exposure
    return float(e.mean()) if len(e) else float("nan")


def psr(returns: Returns, rf: float = 0.0, periods: int = PERIODS) -> float | pd.Series:
    """Probabilistic Sharpe ratio against a true Sharpe of 0 (probability, decimal), per column of a
    frame; NaN where the test is undefined (fewer than 3 sessions, constant returns).
    See :func:`quantkit.backtest.inference.probabilistic_sharpe_ratio`."""
    from quantkit.backtest.inference import probabilistic_sharpe_ratio, psr_from_moments, sharpe_moments
    from quantkit.errors import ConfigError

    if isinstance(returns, pd.DataFrame) and returns.notna().all().all() and len(returns) >= 3:
        # one pass over the matrix for the moments (a sweep has thousands of columns)
        x = returns.to_numpy(dtype=float) - rf_per_period(rf, periods)
        sr, skew, kurtosis = sharpe_moments(x)
        return pd.Series(psr_from_moments(sr, len(x), skew, kurtosis), index=returns.columns, dtype=float)
    if isinstance(returns, pd.DataFrame):
        return pd.Series({c: psr(returns[c], rf, periods) for c in returns.columns}, dtype=float)
    try:
        return float(probabilistic_sharpe_ratio(pd.Series(returns), 0.0, rf, periods))
    except ConfigError:
        return float("nan")


def alpha_beta(returns: pd.Series, benchmark_returns: pd.Series, lags: int | None = None,
               periods: int = PERIODS, rf: float = 0.0) -> dict:
    """OLS of strategy on benchmark daily excess returns with HAC (Newey–West) standard errors.

    ``r_t − rf = a + b · (rb_t − rf) + e_t``, ``rf`` the per-session rate of the annual ``rf``.
    Returns ``alpha`` (annualised as (1 + a)^periods − 1, like empyrical), ``alpha_daily``, ``beta``, their HAC t-statistics ``alpha_t`` and ``beta_t``,
    ``lags`` used (default the Newey–West rule ⌊4 (n/100)^(2/9)⌋) and ``n`` observations.
    """
    # the sandwich module alone: statsmodels' regression module imports its formula stack (≈ 0.08 s)
    from statsmodels.stats.sandwich_covariance import cov_hac_simple

    joined = pd.concat([returns.rename("r"), benchmark_returns.rename("b")], axis=1, join="inner").dropna()
    if rf:
        joined = joined - rf_per_period(rf, periods)
    n = len(joined)
    nan = float("nan")
    out = {"alpha": nan, "alpha_daily": nan, "beta": nan, "alpha_t": nan, "beta_t": nan, "lags": lags, "n": n}
    if n < 3 or joined["b"].std() == 0:
        return out
    if lags is None:
        lags = int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))
    x = np.column_stack([np.ones(n), joined["b"].to_numpy()])
    y = joined["r"].to_numpy()
    bread = np.linalg.inv(x.T @ x)
    params = bread @ (x.T @ y)
    resid = y - x @ params
    # = OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags}): Bartlett kernel, no small-sample factor
    cov = cov_hac_simple((x * resid[:, None], bread), nlags=lags, use_correction=False)
    a, b = (float(v) for v in params)
    ta, tb = (float(v) for v in params / np.sqrt(np.diag(cov)))
    out.update(alpha=(1.0 + a) ** periods - 1.0, alpha_daily=a, beta=b, alpha_t=ta, beta_t=tb, lags=lags)
    return out


# --------------------------------------------------------------------------------------------
# the metric registry: one list feeds summarize, JSON, CLI and HTML tables and the sweep
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MetricInputs:
    """What metrics are computed from: daily ``returns`` (decimal) and, when known, the benchmark's
    returns, the filled orders, the exposure (decimal, or a weights frame) and the equity (CNY);
    ``rf`` is the annual risk-free rate (decimal) of the ratios."""

    returns: Returns
    benchmark_returns: pd.Series | None = None
    trades: pd.DataFrame | None = None
    exposure: pd.Series | pd.DataFrame | None = None
    equity: pd.Series | None = None
    periods: int = PERIODS
    rf: float = 0.0

    @cached_property
    def annual(self) -> Any:
        return annual_return(self.returns, self.periods)

    @cached_property
    def max_dd(self) -> Any:
        return max_drawdown(self.returns)

    @cached_property
    def worst_drawdown(self) -> pd.Series | None:
        dd = drawdown_table(self.returns, top=1)
        return dd.iloc[0] if len(dd) else None

    @cached_property
    def alpha_beta(self) -> dict:
        return alpha_beta(self.returns, self.benchmark_returns, periods=self.periods, rf=self.rf)

    @cached_property
    def open_trips(self) -> pd.DataFrame:
        return open_trips(self.trades, self.exposure, self.equity)

    @cached_property
    def invested(self) -> pd.Series | None:
        e = self.exposure
        return e.sum(axis=1) if isinstance(e, pd.DataFrame) else e


def _iso(ts: Any) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _drawdown_date(field_name: str) -> Callable[[MetricInputs], str | None]:
    return lambda m: _iso(m.worst_drawdown[field_name]) if m.worst_drawdown is not None else None


@dataclass(frozen=True)
class Metric:
    """One metric: ``key`` in every output, ``label`` for people, ``unit`` (``pct`` decimal shown as
    %, ``ratio``, ``count``, ``cny``, ``date``), ``needs`` (which :class:`MetricInputs` field must be
    given: ``returns``, ``trades``, ``equity``, ``exposure``, ``benchmark``), ``fn`` computing it,
    ``benchmark`` (meaningful for a buy-and-hold benchmark), ``headline`` (in the JSON head and the
    display tables), ``sweep`` (a column of the parameter sweep), ``t_key`` (its HAC t-statistic),
    ``group`` (``main`` table or ``distribution`` statistics) and ``note`` (how it is defined, a tooltip)."""

    key: str
    label: str
    unit: str
    fn: Callable[[MetricInputs], Any]
    needs: str = "returns"
    benchmark: bool = False
    headline: bool = True
    sweep: bool = False
    t_key: str | None = None
    group: str = "main"
    note: str = ""


METRICS: tuple[Metric, ...] = (
    Metric("total_return", "Total return", "pct", lambda m: total_return(m.returns), benchmark=True, sweep=True),
    Metric("annual_return", "Annual return (CAGR, 243 sessions/year)", "pct", lambda m: m.annual, benchmark=True,
           sweep=True),
    Metric("volatility", "Volatility (annualised)", "pct", lambda m: annual_volatility(m.returns, m.periods),
           benchmark=True, sweep=True),
    Metric("sharpe", "Sharpe ratio", "ratio", lambda m: sharpe(m.returns, m.periods, m.rf), benchmark=True,
           sweep=True),
    Metric("psr", "Probabilistic Sharpe ratio (P[true Sharpe > 0])", "pct", lambda m: psr(m.returns, m.rf, m.periods),
           benchmark=True, sweep=True,
           note="Bailey & López de Prado (2012): the sample's length, skewness and kurtosis; over the risk-free rate"),
    Metric("sortino", "Sortino ratio", "ratio", lambda m: sortino(m.returns, m.periods, m.rf), benchmark=True),
    Metric("max_drawdown", "Max drawdown", "pct", lambda m: m.max_dd, benchmark=True, sweep=True),
    Metric("max_drawdown_peak", "Max drawdown peak", "date", _drawdown_date("peak"), benchmark=True, headline=False),
    Metric("max_drawdown_trough", "Max drawdown trough", "date", _drawdown_date("trough"), benchmark=True,
           headline=False),
    Metric("max_drawdown_recovery", "Max drawdown recovery", "date", _drawdown_date("recovery"), benchmark=True,
           headline=False),
    Metric("calmar", "Calmar ratio", "ratio", lambda m: calmar(m.returns, m.periods, annual=m.annual, mdd=m.max_dd),
           benchmark=True, sweep=True),
    Metric("win_rate", "Daily win rate (days with a position)", "pct", lambda m: win_rate(m.returns, m.invested),
           benchmark=True, headline=False),
    Metric("days", "Sessions", "count", lambda m: int(len(m.returns)), benchmark=True, headline=False),
    Metric("trades", "Orders filled", "count", lambda m: n_trades(m.trades), needs="trades", sweep=True),
    Metric("round_trips", "Round trips closed", "count", lambda m: int(len(round_trips(m.trades))), needs="trades",
           headline=False),
    Metric("trade_win_rate", "Win rate per closed round trip", "pct", lambda m: trade_win_rate(m.trades),
           needs="trades", headline=False),
    Metric("open_trips", "Trips open at the end", "count", lambda m: int(len(m.open_trips)), needs="trades",
           headline=False),
    Metric("open_pnl", "Open position: unrealised P&L (CNY)", "cny",
           lambda m: float(m.open_trips["pnl"].sum()) if len(m.open_trips) else 0.0, needs="trades", headline=False,
           note="value at the last close + sold − bought − fees since the open trip's first buy"),
    Metric("open_return", "Open position: unrealised return", "pct",
           lambda m: float(m.open_trips["pnl"].sum() / m.open_trips["bought"].sum()) if len(m.open_trips)
           else float("nan"), needs="trades", headline=False, note="unrealised P&L / bought value of the open trips"),
    Metric("fees", "Fees (CNY)", "cny", lambda m: float(m.trades["fee"].sum()) if len(m.trades) else 0.0,
           needs="trades", headline=False, sweep=True),
    Metric("turnover", "Turnover per year (traded value / equity)", "pct",
           lambda m: annual_turnover(m.trades, m.equity, m.periods), needs="equity"),
    Metric("exposure", "Average exposure", "pct", lambda m: average_exposure(m.invested), needs="exposure",
           sweep=True),
    Metric("alpha", "Alpha vs benchmark (annual, HAC t)", "pct", lambda m: m.alpha_beta["alpha"], needs="benchmark",
           t_key="alpha_t"),
    Metric("beta", "Beta vs benchmark (HAC t)", "ratio", lambda m: m.alpha_beta["beta"], needs="benchmark",
           t_key="beta_t"),
    Metric("alpha_t", "Alpha HAC t-statistic", "ratio", lambda m: m.alpha_beta["alpha_t"], needs="benchmark",
           headline=False),
    Metric("beta_t", "Beta HAC t-statistic", "ratio", lambda m: m.alpha_beta["beta_t"], needs="benchmark",
           headline=False),
    Metric("rf", "Risk-free rate (annual)", "pct", lambda m: float(m.rf), benchmark=True, headline=False,
           note="subtracted per session, (1 + rf)^(1/243) − 1, in Sharpe, Sortino, alpha and PSR"),
    # distribution statistics, as quantstats 0.0.86 defines them (quantkit.backtest.distribution)
    *(Metric(key, label, unit, fn, benchmark=True, headline=False, group="distribution", note=note)
      for key, label, unit, fn, note in (
        ("skew", "Skewness", "ratio", lambda m: D.skew(m.returns), "daily returns, bias-corrected"),
        ("kurtosis", "Excess kurtosis", "ratio", lambda m: D.kurtosis(m.returns),
         "daily returns, bias-corrected; 0 for a normal distribution"),
        ("var_95", "Value at risk, 95 %, one day", "pct", lambda m: D.value_at_risk(m.returns, 0.95),
         "parametric: normal with the sample mean and standard deviation"),
        ("cvar_95", "Expected shortfall (CVaR), 95 %, one day", "pct",
         lambda m: D.conditional_value_at_risk(m.returns, 0.95),
         "parametric: normal with the sample mean and standard deviation"),
        ("tail_ratio", "Tail ratio (95th / 5th percentile)", "ratio", lambda m: D.tail_ratio(m.returns, 0.95),
         "of daily returns, absolute"),
        ("best_day", "Best day", "pct", lambda m: D.best(m.returns, "day"), ""),
        ("worst_day", "Worst day", "pct", lambda m: D.worst(m.returns, "day"), ""),
        ("best_month", "Best month", "pct", lambda m: D.best(m.returns, "month"), "calendar month, compounded"),
        ("worst_month", "Worst month", "pct", lambda m: D.worst(m.returns, "month"), "calendar month, compounded"),
        ("best_year", "Best year", "pct", lambda m: D.best(m.returns, "year"), "calendar year, compounded"),
        ("worst_year", "Worst year", "pct", lambda m: D.worst(m.returns, "year"), "calendar year, compounded"),
        ("positive_months", "Positive months", "pct", lambda m: D.positive_months(m.returns),
         "share of calendar months with a positive return among months with any return"),
        ("max_win_streak", "Longest winning streak (sessions)", "count", lambda m: D.max_consecutive_wins(m.returns),
         "consecutive positive days; a flat day ends it"),
        ("max_loss_streak", "Longest losing streak (sessions)", "count",
         lambda m: D.max_consecutive_losses(m.returns), "consecutive negative days; a flat day ends it"),
        ("qs_win_rate", "Daily win rate, quantstats definition", "pct", lambda m: D.nonzero_win_rate(m.returns),
         "positive days among ALL days with a non-zero return (win_rate above counts days with a position)"),
        ("qs_exposure", "Exposure, quantstats definition", "pct", lambda m: D.time_in_market(m.returns),
         "share of sessions with a non-zero return, rounded UP to a whole percent (exposure above averages "
         "the invested weight)"),
      )),
)
METRIC_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}


def _given(m: MetricInputs, needs: str) -> bool:
    return {"returns": True, "trades": m.trades is not None, "equity": m.equity is not None,
            "exposure": m.exposure is not None, "benchmark": m.benchmark_returns is not None}[needs]


def summarize(returns: pd.Series, benchmark_returns: pd.Series | None = None, trades: pd.DataFrame | None = None,
              exposure: pd.Series | pd.DataFrame | None = None, equity: pd.Series | None = None,
              periods: int = PERIODS, rf: float = 0.0) -> dict:
    """Every :data:`METRICS` entry whose inputs are given, as a flat dict (decimals, dates as ISO strings).

    ``win_rate`` is the daily win rate over days with a position (:func:`win_rate`);
    ``trade_win_rate`` is per closed round trip (:func:`trade_win_rate`) when ``trades`` is given.
    ``turnover`` needs ``equity`` (CNY); ``alpha``/``beta`` need ``benchmark_returns``; ``rf`` is the
    annual risk-free rate (decimal) of Sharpe, Sortino, alpha and PSR (0 by default).
    """
    inputs = MetricInputs(returns, benchmark_returns, trades, exposure, equity, periods, rf)
    return {m.key: m.fn(inputs) for m in METRICS if _given(inputs, m.needs)}
