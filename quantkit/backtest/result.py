"""``BacktestResult``: one immutable value carrying everything a report or a notebook needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from quantkit.backtest.inference import BACKTEST_BOOTSTRAP
from quantkit.backtest.metrics import METRICS

#: keys of the headline metrics in the JSON of ``quantkit backtest --json`` (strategy side)
JSON_METRICS = tuple(m.key for m in METRICS if m.headline)
#: keys meaningful for the benchmark (a buy-and-hold series has no trades or alpha against itself)
JSON_BENCHMARK_METRICS = tuple(m.key for m in METRICS if m.headline and m.benchmark)


@dataclass(frozen=True, repr=False)
class BacktestResult:
    """The outcome of one backtest.

    All series are indexed by session date. ``equity`` (CNY, at each session's close),
    ``returns`` (decimal, of that session), ``positions`` (shares held at the close, one column per
    symbol), ``weights`` (actual share of equity per symbol at the close), ``target_weights`` (as
    decided at each close, NaN = no decision), ``trades`` (one row per filled order: date of
    execution, symbol, side, shares, price incl. slippage in CNY, value CNY, fee CNY).
    ``metrics``/``benchmark_metrics`` are flat dicts of decimals (see
    :func:`quantkit.backtest.metrics.summarize`). ``data_fingerprint`` is the SHA-256 of the input
    price arrays. The result carries its inputs, so a report never reloads data: ``prices`` (the
    traded bars over the window), ``model`` (the typed output of the model step, cut to the window:
    a ``TimingFrame``, ``MarketState``, ``RotationState`` …), ``kind`` and ``sections`` (the model
    and its parameter dataclasses) and ``sources`` (per symbol: source, adjustment, last date of
    its data). ``extras`` holds engine by-products (the money-market column with ``cash_rate``).
    ``bootstrap``: 95 % stationary-bootstrap intervals (1,000 seeded resamples) of ``sharpe``,
    ``cagr``, ``max_drawdown`` and ``sharpe_difference`` (strategy − benchmark), see
    :func:`quantkit.backtest.inference.backtest_intervals`.
    """

    equity: pd.Series
    returns: pd.Series
    positions: pd.DataFrame
    weights: pd.DataFrame
    target_weights: pd.DataFrame
    trades: pd.DataFrame
    metrics: dict
    benchmark_equity: pd.Series
    benchmark_metrics: dict
    params: dict
    symbols: tuple[str, ...]
    names: dict
    start: pd.Timestamp
    end: pd.Timestamp
    data_fingerprint: str
    version: str
    strategy: str = ""
    benchmark_name: str = ""
    extras: dict = field(default_factory=dict)
    prices: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    model: Any = None
    kind: str = ""
    sections: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bootstrap: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        m = self.metrics
        more = f" +{len(self.symbols) - 3}" if len(self.symbols) > 3 else ""
        return (f"<BacktestResult {self.strategy or 'weights'}: {', '.join(self.symbols[:3])}{more}, "
                f"{self.start.date()}..{self.end.date()}, {len(self.equity)} sessions, "
                f"total {m.get('total_return', float('nan')):+.2%}, Sharpe {m.get('sharpe', float('nan')):.2f}, "
                f"max DD {m.get('max_drawdown', float('nan')):.2%}, {len(self.trades)} orders>")

    @property
    def benchmark_returns(self) -> pd.Series:
        """Daily returns of the benchmark (decimal), the first session relative to itself (0)."""
        eq = self.benchmark_equity
        return eq.pct_change().fillna(0.0)

    @property
    def exposure(self) -> pd.Series:
        """Invested share of equity at each close (sum of actual weights, decimal)."""
        return self.weights.sum(axis=1).rename("exposure")

    def to_dict(self, series: bool = False) -> dict[str, Any]:
        """JSON-ready dict: strategy, symbols, start, end, params, metrics, benchmark, fingerprint, version.

        ``metrics`` holds the headline keys of :data:`JSON_METRICS` followed by the other computed
        metrics; ``benchmark`` the keys meaningful for a buy-and-hold series. With ``series=True``
        the equity curves and the trade list are included too. ``bootstrap`` holds the intervals
        (estimate, lower, upper, std_error) and how they were drawn.
        """
        head = {k: self.metrics.get(k) for k in JSON_METRICS}
        rest = {k: v for k, v in self.metrics.items() if k not in head}
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "symbols": list(self.symbols),
            "names": dict(self.names),
            "start": self.start.date().isoformat(),
            "end": self.end.date().isoformat(),
            "params": self.params,
            "metrics": {**head, **rest},
            "benchmark": {"name": self.benchmark_name,
                          **{k: self.benchmark_metrics.get(k) for k in JSON_BENCHMARK_METRICS}},
            "data_fingerprint": self.data_fingerprint,
            "version": self.version,
        }
        if self.bootstrap:
            first = next(iter(self.bootstrap.values()))
            out["bootstrap"] = {
                "method": "stationary", "confidence": first.confidence, "n_samples": first.n_samples,
                "seed": BACKTEST_BOOTSTRAP["seed"], "mean_block": first.mean_block,
                **{k: {"estimate": v.estimate, "lower": v.lower, "upper": v.upper, "std_error": v.std_error}
                   for k, v in self.bootstrap.items()}}
        if series:
            out["equity"] = {d.date().isoformat(): float(v) for d, v in self.equity.items()}
            out["benchmark_equity"] = {d.date().isoformat(): float(v) for d, v in self.benchmark_equity.items()}
            trades = self.trades.copy()
            if len(trades):
                trades["date"] = trades["date"].dt.date.astype(str)
            out["trades"] = trades.to_dict(orient="records")
        return out
