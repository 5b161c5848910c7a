"""Statistical inference on backtest results: is a Sharpe ratio better than luck and selection?

Pure functions of daily simple returns (decimal, 0.01 = +1 %), ``PERIODS = 243`` sessions per
year, like :mod:`quantkit.backtest.metrics`. A *returns matrix* is a DataFrame (or 2-D array)
with one row per session and one column per strategy or parameter combination, all over the
same sessions; missing returns count as flat days (0).

- :func:`probabilistic_sharpe_ratio` — probability that the true Sharpe ratio exceeds a
  benchmark, given the sample's length, skewness and kurtosis (Bailey & López de Prado 2012);
- :func:`deflated_sharpe_ratio` — the same for the best of many trials, against the Sharpe ratio
  the best of that many worthless trials would show (Bailey & López de Prado 2014);
- :func:`probability_of_backtest_overfitting` — combinatorially symmetric cross-validation
  (Bailey, Borwein, López de Prado & Zhu 2017);
- :func:`stationary_bootstrap`, :func:`bootstrap_sharpe_difference` — confidence intervals from
  the stationary block bootstrap (Politis & Romano 1994).

scipy is imported only inside the functions that need it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quantkit.backtest import metrics as M
from quantkit.backtest.metrics import PERIODS
from quantkit.errors import ConfigError

#: Euler–Mascheroni constant γ
EULER_GAMMA = 0.5772156649015329


# ----------------------------------------------------------------------------- helpers

def _matrix(returns_matrix: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    """Returns matrix as a float DataFrame, NaN as 0; at least 3 rows and 2 columns."""
    frame = returns_matrix if isinstance(returns_matrix, pd.DataFrame) else pd.DataFrame(returns_matrix)
    if frame.ndim != 2 or frame.shape[1] < 2 or frame.shape[0] < 3:
        raise ConfigError(f"returns matrix has shape {frame.shape}; pass at least 3 sessions (rows) "
                          "and 2 strategies (columns)")
    return frame.astype(float).fillna(0.0)


def _rf_per_period(rf: float | pd.Series, index: pd.Index, periods: int) -> float | np.ndarray:
    """Per-period risk-free rate: an annual decimal compounded down, or a Series aligned by date."""
    if isinstance(rf, pd.Series):
        aligned = rf.reindex(index)
        if aligned.isna().any():
            raise ConfigError(f"risk-free series lacks {int(aligned.isna().sum())} of the return dates; "
                              "pass per-period rates for every session or an annual rate")
        return aligned.to_numpy(dtype=float)
    return M.rf_per_period(rf, periods)


def _excess(returns: pd.Series, rf: float | pd.Series, periods: int) -> np.ndarray:
    r = returns.dropna()
    return r.to_numpy(dtype=float) - _rf_per_period(rf, r.index, periods)


def sharpe_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-period Sharpe (mean / std, ddof = 1), skewness and non-excess kurtosis of ``x`` (per
    column of a matrix, in one pass over it); NaN where the returns are constant.

    Skewness and kurtosis are the plain moment estimators m3 / m2^1.5 and m4 / m2² (no
    small-sample correction), as in the papers.
    """
    n = x.shape[0]
    mean = x.mean(axis=0)
    d = x - mean
    d2 = d * d
    m2 = d2.mean(axis=0)
    ok = m2 > 0
    safe = np.where(ok, m2, 1.0)
    sr = mean / np.sqrt(safe * n / (n - 1))
    return (np.where(ok, sr, np.nan), np.where(ok, (d2 * d).mean(axis=0) / safe**1.5, np.nan),
            np.where(ok, (d2 * d2).mean(axis=0) / safe**2, np.nan))


def _moments(x: np.ndarray) -> tuple[float, float, float, int]:
    """:func:`sharpe_moments` of one series and its length; ConfigError when no test is possible."""
    n = x.shape[0]
    if n < 3:
        raise ConfigError(f"{n} returns are too few for a Sharpe ratio test; pass at least 3 sessions")
    sr, g3, g4 = (float(v) for v in sharpe_moments(x))
    if math.isnan(sr):
        raise ConfigError("returns are constant, the Sharpe ratio is undefined; pass a series that varies")
    return sr, g3, g4, n


def psr_from_moments(sharpe: float | np.ndarray, n: int, skew: float | np.ndarray, kurtosis: float | np.ndarray,
                     benchmark_sr: float = 0.0) -> float | np.ndarray:
    """PSR from summary statistics, all per period (NOT annualised); arrays give one PSR per element.

    PSR = Φ( (SR − SR*) √(n − 1) / √(1 − γ3 SR + (γ4 − 1) / 4 SR²) ) with ``sharpe`` = SR,
    ``benchmark_sr`` = SR*, ``skew`` = γ3 and ``kurtosis`` = γ4 non-excess (3 for a normal
    distribution). NaN if the variance term is not positive.
    """
    from scipy.special import ndtr  # the normal CDF behind scipy.stats.norm.cdf

    sharpe, skew, kurtosis = (np.asarray(v, dtype=float) for v in (sharpe, skew, kurtosis))
    var = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (sharpe - benchmark_sr) * math.sqrt(max(n - 1, 0)) / np.sqrt(np.where(var > 0, var, 1.0))
    out = np.where((var > 0) & (n >= 2), ndtr(z), np.nan)
    return float(out) if out.ndim == 0 else out


# ----------------------------------------------------------------------------- Sharpe ratio tests

def probabilistic_sharpe_ratio(returns: pd.Series | pd.DataFrame, benchmark_sr: float = 0.0,
                               rf: float | pd.Series = 0.0, periods: int = PERIODS) -> float | pd.Series:
    """Probabilistic Sharpe ratio (Bailey & López de Prado 2012): P(true Sharpe > ``benchmark_sr``).

    ``benchmark_sr`` is ANNUALISED and converted per period as SR* / √periods; the test itself
    uses the per-period (non-annualised) Sharpe SR̂ of the excess returns, their skewness γ3 and
    non-excess kurtosis γ4 (see :func:`psr_from_moments`). ``rf`` is an annual decimal, converted
    per period as (1 + rf)^(1/periods) − 1, or a Series of per-period rates covering the return dates.
    Returns a probability in [0, 1], or one per column for a DataFrame.
    """
    if isinstance(returns, pd.DataFrame):
        return pd.Series({col: probabilistic_sharpe_ratio(returns[col], benchmark_sr, rf, periods)
                          for col in returns.columns}, dtype=float)
    sr, g3, g4, n = _moments(_excess(returns, rf, periods))
    return psr_from_moments(sr, n, g3, g4, benchmark_sr / math.sqrt(periods))


def expected_max_sharpe(n_trials: float, sr_variance: float) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` independent trials whose true Sharpe is 0.

    E[max SR] ≈ √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e))), γ the Euler–Mascheroni constant
    and V = ``sr_variance`` the variance of the trials' Sharpe ratios (Bailey & López de Prado
    2014). The result is in the units of √V (per period if V is). 0 for a single trial.
    """
    if not n_trials >= 1:
        raise ConfigError(f"n_trials = {n_trials}; pass the number of trials, at least 1")
    if not sr_variance >= 0:
        raise ConfigError(f"sr_variance = {sr_variance}; pass a non-negative variance of the Sharpe ratios")
    if n_trials == 1:
        return 0.0
    from scipy.stats import norm

    z = (1.0 - EULER_GAMMA) * norm.ppf(1.0 - 1.0 / n_trials) + EULER_GAMMA * norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(sr_variance) * z)


def effective_trials(returns_matrix: pd.DataFrame | np.ndarray,
                     method: str = "mean_correlation") -> tuple[float, str]:
    """Effective number of independent trials among correlated strategies; returns (N_eff, method).

    ``mean_correlation``: N_eff = ρ̄ + (1 − ρ̄) N, ρ̄ the average pairwise correlation of the
    columns' returns clipped to [0, 1] (N independent columns give N, identical ones give 1).
    ``participation_ratio``: N_eff = (Σλ)² / Σλ² over the eigenvalues λ of the correlation
    matrix, i.e. N² / Σᵢⱼ ρᵢⱼ² (an equicorrelated block of correlation ρ counts about 1/ρ²); it is
    much smaller than the first for highly correlated parameter sweeps, and sampling noise in the
    correlations lowers it further when N is not small against the T sessions (N independent
    columns give about N / (1 + N/T)). Columns without variance are left out (they are not trials).
    """
    if method not in ("mean_correlation", "participation_ratio"):
        raise ConfigError(f"unknown effective-trials method {method!r}; use 'mean_correlation' or "
                          "'participation_ratio'")
    frame = _matrix(returns_matrix)
    a = frame.to_numpy()
    a = a[:, a.std(axis=0) > 0]
    n = a.shape[1]
    if n < 2:
        return float(n), method
    corr = np.corrcoef(a, rowvar=False)
    if method == "participation_ratio":
        return float(n * n / np.sum(corr**2)), method
    rho = float(np.clip((corr.sum() - n) / (n * (n - 1)), 0.0, 1.0))
    return rho + (1.0 - rho) * n, method


@dataclass(frozen=True)
class DeflatedSharpe:
    """Deflated Sharpe ratio of the best of ``n_trials`` strategies.

    ``dsr`` is the probability that the best strategy's true Sharpe exceeds ``sr0``, the expected
    maximum Sharpe of ``n_effective`` worthless trials; ``sharpe`` and ``sr0`` are annualised;
    ``sr_variance`` is the variance of the per-period Sharpe ratios across the trials; ``best``
    names the selected column.
    """

    dsr: float
    sharpe: float
    sr0: float
    n_trials: int
    n_effective: float
    method: str
    sr_variance: float
    best: object


def deflated_sharpe_ratio(returns_matrix: pd.DataFrame | np.ndarray, best: object = None, periods: int = PERIODS,
                          rf: float | pd.Series = 0.0, method: str = "mean_correlation") -> DeflatedSharpe:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014) of the best column of a returns matrix.

    The best column is the one with the highest Sharpe ratio, or the column named ``best``. DSR is
    its :func:`probabilistic_sharpe_ratio` against SR* = :func:`expected_max_sharpe` (N_eff, V),
    with N_eff from :func:`effective_trials` (``method``) and V the sample variance (ddof = 1) of
    the per-period Sharpe ratios of all columns. Columns without variance are not counted as trials.
    """
    frame = _matrix(returns_matrix)
    live = frame.loc[:, frame.std(ddof=1) > 0]
    if live.shape[1] < 2:
        raise ConfigError("fewer than 2 columns of the returns matrix vary; a deflated Sharpe ratio needs "
                          "several trials")
    rf_pp = np.broadcast_to(_rf_per_period(rf, live.index, periods), (live.shape[0],))
    excess = live.sub(rf_pp, axis=0)
    srs = excess.mean() / excess.std(ddof=1)
    if best is None:
        best = srs.idxmax()
    elif best not in live.columns:
        raise ConfigError(f"column {best!r} is not a varying column of the returns matrix; name one of its columns")
    n_eff, method = effective_trials(live, method)
    variance = float(srs.var(ddof=1))
    sr0 = expected_max_sharpe(n_eff, variance)
    sr, g3, g4, n = _moments(excess[best].to_numpy())
    return DeflatedSharpe(dsr=psr_from_moments(sr, n, g3, g4, sr0), sharpe=sr * math.sqrt(periods),
                          sr0=sr0 * math.sqrt(periods), n_trials=int(live.shape[1]), n_effective=float(n_eff),
                          method=method, sr_variance=variance, best=best)


# ----------------------------------------------------------------------------- CSCV / PBO

@dataclass(frozen=True)
class PBOResult:
    """Probability of backtest overfitting from combinatorially symmetric cross-validation.

    ``logits`` holds λ = ln(ω̄ / (1 − ω̄)) per split, ω̄ the relative out-of-sample rank of the
    in-sample best; ``is_sharpe``/``oos_sharpe`` its in- and out-of-sample performance per split
    (annualised); ``slope``/``intercept`` the OLS fit oos = intercept + slope · is;
    ``prob_oos_loss`` the share of splits where the in-sample best loses out of sample.
    """

    pbo: float
    logits: np.ndarray
    is_sharpe: np.ndarray
    oos_sharpe: np.ndarray
    slope: float
    intercept: float
    prob_oos_loss: float
    n_splits: int
    n_blocks: int


def _block_performance(total: np.ndarray, square: np.ndarray, count: np.ndarray, metric: str,
                       periods: int) -> np.ndarray:
    """Annualised Sharpe (ddof = 1; 0 without variance) or mean from sums, sums of squares, counts."""
    mean = total / count
    if metric == "mean":
        return mean * periods
    var = np.maximum(square - total * mean, 0.0) / (count - 1)
    std = np.sqrt(var)
    # a variance at rounding level of the mean square means a constant sample
    ok = var > 1e-12 * np.maximum(square / count, 1e-300)
    return np.where(ok, mean / np.where(ok, std, 1.0), 0.0) * math.sqrt(periods)


def probability_of_backtest_overfitting(returns_matrix: pd.DataFrame | np.ndarray, n_blocks: int = 16,
                                        metric: str = "sharpe", periods: int = PERIODS) -> PBOResult:
    """PBO by CSCV (Bailey, Borwein, López de Prado & Zhu 2017).

    The rows are cut into ``n_blocks`` = S contiguous blocks (even; sizes differ by at most one
    row). For each of the C(S, S/2) choices of S/2 blocks as the in-sample set (the rest
    out-of-sample), the column with the best in-sample ``metric`` (first on ties) is ranked out of
    sample: ω̄ = rank / (N + 1), rank 1 … N ascending with ties (within 1e-12) averaged, and
    λ = ln(ω̄ / (1 − ω̄)). PBO is the share of splits with λ ≤ 0. ``metric`` is ``sharpe``
    (annualised, ddof = 1, 0 for a column without variance) or ``mean`` (annualised mean return).
    Block sums and sums of squares are computed once; each split's performance is a matrix product.
    """
    if metric not in ("sharpe", "mean"):
        raise ConfigError(f"unknown metric {metric!r}; use 'sharpe' or 'mean'")
    frame = _matrix(returns_matrix)
    a = frame.to_numpy()
    t, n = a.shape
    if n_blocks < 2 or n_blocks % 2 or n_blocks * 2 > t:
        raise ConfigError(f"n_blocks = {n_blocks} with {t} sessions; pass an even number ≥ 2 with at least "
                          "2 sessions per block")
    blocks = np.array_split(np.arange(t), n_blocks)
    total = np.stack([a[b].sum(axis=0) for b in blocks])            # S × N
    square = np.stack([(a[b] ** 2).sum(axis=0) for b in blocks])     # S × N
    count = np.array([len(b) for b in blocks], dtype=float)          # S

    combos = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)))
    chosen = np.zeros((len(combos), n_blocks))
    chosen[np.arange(len(combos))[:, None], combos] = 1.0

    is_best, oos_best, logits = (np.empty(len(combos)) for _ in range(3))
    # chunks of ≈ 0.5 MB per split × column matrix keep the temporaries in cache; the thin products over
    # the blocks go through einsum, single-threaded (threaded BLAS stalls on them on a busy machine)
    chunk = max(1, 65_536 // n)
    for lo in range(0, len(combos), chunk):
        sel = chosen[lo:lo + chunk]
        rows = np.arange(sel.shape[0])
        is_perf, oos_perf = (_block_performance(np.einsum("ks,sn->kn", w, total), np.einsum("ks,sn->kn", w, square),
                                                (w @ count)[:, None], metric, periods)
                             for w in (sel, 1.0 - sel))
        star = np.argmax(is_perf, axis=1)
        own = oos_perf[rows, star]
        # identical columns (common in sweeps) may differ in the last bits: ties within 1e-12
        gap = oos_perf - own[:, None]
        tie = np.abs(gap) <= 1e-12 * np.abs(own)[:, None] + 1e-15
        rank = ((gap < 0) & ~tie).sum(axis=1) + (tie.sum(axis=1) + 1) / 2.0
        omega = rank / (n + 1.0)
        is_best[lo:lo + chunk] = is_perf[rows, star]
        oos_best[lo:lo + chunk] = own
        logits[lo:lo + chunk] = np.log(omega / (1.0 - omega))

    if np.ptp(is_best) > 0:
        slope, intercept = (float(v) for v in np.polyfit(is_best, oos_best, 1))
    else:
        slope, intercept = float("nan"), float(oos_best.mean())
    return PBOResult(pbo=float(np.mean(logits <= 0)), logits=logits, is_sharpe=is_best, oos_sharpe=oos_best,
                     slope=slope, intercept=intercept, prob_oos_loss=float(np.mean(oos_best < 0)),
                     n_splits=len(combos), n_blocks=n_blocks)


# ----------------------------------------------------------------------------- bootstrap

@dataclass(frozen=True)
class BootstrapInterval:
    """Percentile bootstrap confidence interval of one statistic.

    ``estimate`` is the statistic on the original series, ``lower``/``upper`` the (1 − c)/2 and
    (1 + c)/2 quantiles of its bootstrap distribution for ``confidence`` c, ``std_error`` the
    standard deviation of that distribution (ddof = 1). Resamples where the statistic is not
    finite (e.g. a Sharpe ratio without variance) are left out of all three.
    """

    statistic: str
    estimate: float
    lower: float
    upper: float
    std_error: float
    confidence: float
    n_samples: int
    mean_block: float


def default_mean_block(n: int) -> float:
    """Default mean block length of the stationary bootstrap: n^(1/3) sessions (at least 1)."""
    return max(1.0, float(np.cbrt(n)))


def stationary_indices(n: int, n_samples: int, mean_block: float, seed: int | None = 0) -> np.ndarray:
    """(n_samples, n) row indices of the stationary bootstrap (Politis & Romano 1994).

    Each resample is a chain of blocks laid on the series wrapped into a circle: a block starts at
    a uniformly drawn row and each next row starts a new block with probability 1 / ``mean_block``,
    so block lengths are geometric with mean ``mean_block``. ``seed`` feeds numpy's default Generator.
    """
    if n < 1 or n_samples < 1:
        raise ConfigError(f"cannot resample {n} rows {n_samples} times; pass a non-empty series and n_samples ≥ 1")
    if not mean_block >= 1:
        raise ConfigError(f"mean_block = {mean_block}; pass a mean block length of at least 1 session")
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n, size=(n_samples, n))
    new_block = rng.random((n_samples, n)) < 1.0 / mean_block
    new_block[:, 0] = True
    pos = np.arange(n)
    block_start = np.maximum.accumulate(np.where(new_block, pos, 0), axis=1)
    idx = np.take_along_axis(starts, block_start, axis=1)
    idx += pos - block_start
    idx[idx >= n] -= n  # wrap around the circle (both terms are below n)
    return idx


Statistic = str | Callable[[np.ndarray], np.ndarray]


def _statistic(stat: Statistic, periods: int) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """Name and function of a statistic; functions map a (sessions × samples) array to one value per column."""
    if callable(stat):
        return getattr(stat, "__name__", "statistic"), stat
    named = {
        "sharpe": lambda a: M.sharpe(a, periods),
        "cagr": lambda a: M.annual_return(a, periods),
        "max_drawdown": M.max_drawdown,
    }
    if stat not in named:
        raise ConfigError(f"unknown bootstrap statistic {stat!r}; use one of {', '.join(named)} or a function")
    return stat, named[stat]


def _interval(name: str, estimate: float, draws: np.ndarray, confidence: float, mean_block: float) -> BootstrapInterval:
    draws = np.asarray(draws, dtype=float)
    finite = draws[np.isfinite(draws)]
    half = (1.0 - confidence) / 2.0
    lower, upper = (np.quantile(finite, [half, 1.0 - half]) if finite.size else (np.nan, np.nan))
    se = float(np.std(finite, ddof=1)) if finite.size > 1 else float("nan")
    return BootstrapInterval(statistic=name, estimate=float(estimate), lower=float(lower), upper=float(upper),
                             std_error=se, confidence=confidence, n_samples=int(draws.size),
                             mean_block=float(mean_block))


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ConfigError(f"confidence = {confidence}; pass a level between 0 and 1, e.g. 0.95")


def stationary_bootstrap(returns: pd.Series, statistics: Statistic | Sequence[Statistic] = ("sharpe", "cagr",
                                                                                            "max_drawdown"),
                         n_samples: int = 1000, mean_block: float | None = None, seed: int | None = 0,
                         confidence: float = 0.95, periods: int = PERIODS) -> dict[str, BootstrapInterval]:
    """Stationary-bootstrap confidence intervals of statistics of one daily returns series.

    ``statistics`` is one or several of ``sharpe`` (annualised), ``cagr`` and ``max_drawdown``
    (negative fraction), as computed by :mod:`quantkit.backtest.metrics`, or functions of a
    (sessions × samples) array returning one value per column. ``mean_block`` defaults to
    :func:`default_mean_block`; resampling follows :func:`stationary_indices`. NaN returns are
    dropped first. Returns {name: :class:`BootstrapInterval`} in the order given.
    """
    _check_confidence(confidence)
    a = returns.dropna().to_numpy(dtype=float)
    mean_block = default_mean_block(len(a)) if mean_block is None else float(mean_block)
    idx = stationary_indices(len(a), n_samples, mean_block, seed)
    return _intervals_of(a, idx, statistics, confidence, mean_block, periods)


def _intervals_of(a: np.ndarray, idx: np.ndarray, statistics: Statistic | Sequence[Statistic], confidence: float,
                  mean_block: float, periods: int) -> dict[str, BootstrapInterval]:
    sample = a[idx].T  # sessions × samples, the layout the metrics functions take
    stats = [statistics] if isinstance(statistics, str) or callable(statistics) else list(statistics)
    out: dict[str, BootstrapInterval] = {}
    for stat in stats:
        name, fn = _statistic(stat, periods)
        estimate = np.asarray(fn(a[:, None]), dtype=float).ravel()[0]
        out[name] = _interval(name, estimate, fn(sample), confidence, mean_block)
    return out


def bootstrap_sharpe_difference(returns: pd.Series, benchmark_returns: pd.Series, n_samples: int = 1000,
                                mean_block: float | None = None, seed: int | None = 0, confidence: float = 0.95,
                                periods: int = PERIODS) -> BootstrapInterval:
    """Stationary-bootstrap interval of Sharpe(returns) − Sharpe(benchmark), both annualised.

    The two series are aligned on their common dates (NaN rows dropped) and every resample draws
    the SAME sessions for both, which keeps their correlation. An interval above 0 says the
    strategy's Sharpe ratio beats the benchmark's at that confidence.
    """
    _check_confidence(confidence)
    a = _joined(returns, benchmark_returns)
    mean_block = default_mean_block(len(a)) if mean_block is None else float(mean_block)
    idx = stationary_indices(len(a), n_samples, mean_block, seed)
    return _sharpe_difference_of(a, idx, confidence, mean_block, periods)


def _joined(returns: pd.Series, benchmark_returns: pd.Series) -> np.ndarray:
    """(sessions × 2) array of the two series on their common dates, NaN rows dropped."""
    return pd.concat([returns.rename("r"), benchmark_returns.rename("b")], axis=1,
                     join="inner").dropna().to_numpy(dtype=float)


def _sharpe_difference_of(a: np.ndarray, idx: np.ndarray, confidence: float, mean_block: float,
                          periods: int) -> BootstrapInterval:
    estimate = M.sharpe(a[:, 0], periods) - M.sharpe(a[:, 1], periods)
    draws = M.sharpe(a[idx, 0].T, periods) - M.sharpe(a[idx, 1].T, periods)
    return _interval("sharpe_difference", estimate, draws, confidence, mean_block)


#: bootstrap settings of every backtest result: seeded, so reports and JSON are reproducible
BACKTEST_BOOTSTRAP = {"n_samples": 1000, "seed": 0, "confidence": 0.95}


def backtest_intervals(returns: pd.Series, benchmark_returns: pd.Series | None = None, rf: float = 0.0,
                       n_samples: int = BACKTEST_BOOTSTRAP["n_samples"], seed: int | None = BACKTEST_BOOTSTRAP["seed"],
                       confidence: float = BACKTEST_BOOTSTRAP["confidence"],
                       periods: int = PERIODS) -> dict[str, BootstrapInterval]:
    """The stationary-bootstrap intervals a backtest reports: ``sharpe`` (over ``rf``, annual decimal),
    ``cagr``, ``max_drawdown`` and, with a benchmark, ``sharpe_difference`` (strategy − benchmark,
    both over ``rf``), all with the default mean block of :func:`default_mean_block`."""

    def sharpe(a: np.ndarray) -> np.ndarray:
        return M.sharpe(a, periods, rf)

    _check_confidence(confidence)
    indices: dict[int, tuple[np.ndarray, float]] = {}

    def resampling(n: int) -> tuple[np.ndarray, float]:  # the same draws serve both when the lengths agree
        if n not in indices:
            mean_block = default_mean_block(n)
            indices[n] = (stationary_indices(n, n_samples, mean_block, seed), mean_block)
        return indices[n]

    a = returns.dropna().to_numpy(dtype=float)
    idx, mean_block = resampling(len(a))
    out = _intervals_of(a, idx, (sharpe, "cagr", "max_drawdown"), confidence, mean_block, periods)
    if benchmark_returns is not None:
        rf_pp = M.rf_per_period(rf, periods) if rf else 0.0
        pair = _joined(returns - rf_pp, benchmark_returns - rf_pp)
        idx, mean_block = resampling(len(pair))
        out["sharpe_difference"] = _sharpe_difference_of(pair, idx, confidence, mean_block, periods)
    return out
