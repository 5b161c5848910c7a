"""Sharpe ratio tests, CSCV and the bootstrap against the papers' formulas, written out independently here."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from quantkit.backtest import inference as I
from quantkit.backtest import metrics as M
from quantkit.errors import ConfigError

PERIODS = 243


def noise(rows: int, cols: int, seed: int, sd: float = 0.01) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=rows)
    return pd.DataFrame(rng.normal(0.0, sd, (rows, cols)), index=index)


def psr_by_hand(x: np.ndarray, sr_star: float) -> float:
    """Bailey & López de Prado (2012), eq. for PSR, per-period units."""
    sr = x.mean() / x.std(ddof=1)
    g3 = st.skew(x)
    g4 = st.kurtosis(x, fisher=False)
    z = (sr - sr_star) * math.sqrt(len(x) - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    return float(st.norm.cdf(z))


# ----------------------------------------------------------------------------- PSR

@pytest.fixture(scope="module")
def skewed() -> pd.Series:
    """Fat-tailed, skewed daily returns with a positive mean."""
    rng = np.random.default_rng(7)
    x = 0.0008 + 0.01 * rng.standard_t(4, 600) + 0.004 * (rng.exponential(1.0, 600) - 1.0)
    return pd.Series(x, index=pd.bdate_range("2021-01-01", periods=600))


def test_psr_matches_formula(skewed):
    x = skewed.to_numpy()
    assert I.probabilistic_sharpe_ratio(skewed) == pytest.approx(psr_by_hand(x, 0.0), rel=1e-12)
    # benchmark given annualised, tested per period
    assert I.probabilistic_sharpe_ratio(skewed, benchmark_sr=1.0) == pytest.approx(
        psr_by_hand(x, 1.0 / math.sqrt(PERIODS)), rel=1e-12)
    # against its own annualised Sharpe ratio the probability is one half
    assert I.probabilistic_sharpe_ratio(skewed, benchmark_sr=M.sharpe(skewed)) == pytest.approx(0.5, abs=1e-12)


def test_psr_of_a_frame_is_per_column(skewed):
    frame = pd.DataFrame({"a": skewed, "b": -skewed})
    out = I.probabilistic_sharpe_ratio(frame)
    assert list(out.index) == ["a", "b"]
    assert out["a"] == pytest.approx(I.probabilistic_sharpe_ratio(skewed))
    assert out["b"] == pytest.approx(psr_by_hand(-skewed.to_numpy(), 0.0), rel=1e-12)


def test_psr_risk_free_rate(skewed):
    daily = 1.03 ** (1 / PERIODS) - 1
    expected = psr_by_hand(skewed.to_numpy() - daily, 0.0)
    assert I.probabilistic_sharpe_ratio(skewed, rf=0.03) == pytest.approx(expected, rel=1e-12)
    rf = pd.Series(daily, index=skewed.index)
    assert I.probabilistic_sharpe_ratio(skewed, rf=rf) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ConfigError, match="risk-free"):
        I.probabilistic_sharpe_ratio(skewed, rf=rf.iloc[:-5])


def test_psr_normal_case_reduces_to_lo():
    """With γ3 = 0 and γ4 = 3 the variance term is Lo's (2002) 1 + SR²/2."""
    sr, n = 0.08, 500
    expected = st.norm.cdf(sr * math.sqrt(n - 1) / math.sqrt(1 + sr**2 / 2))
    assert I.psr_from_moments(sr, n, 0.0, 3.0) == pytest.approx(expected, rel=1e-12)


def test_dsr_paper_numerical_example():
    """Bailey & López de Prado (2014), 'The Deflated Sharpe Ratio', numerical example.

    100 trials, variance of their annualised Sharpe ratios 1/2, 250 sessions a year; the selected
    strategy has annualised SR 2.5 over 1,250 days, skewness −3, kurtosis 10. The paper gets
    SR0 ≈ 0.1132 per day and DSR ≈ 0.9004.
    """
    sr0 = I.expected_max_sharpe(100, 0.5) / math.sqrt(250)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)
    assert I.psr_from_moments(2.5 / math.sqrt(250), 1250, -3.0, 10.0, sr0) == pytest.approx(0.9004, abs=5e-4)


# ----------------------------------------------------------------------------- expected maximum Sharpe

@pytest.mark.parametrize("n", [2, 10, 100, 1000])
def test_expected_max_sharpe_formula(n):
    z = (1 - np.euler_gamma) * st.norm.ppf(1 - 1 / n) + np.euler_gamma * st.norm.ppf(1 - 1 / (n * np.e))
    assert I.expected_max_sharpe(n, 0.04) == pytest.approx(0.2 * z, rel=1e-12)


def test_expected_max_sharpe_close_to_simulation():
    rng = np.random.default_rng(3)
    for n in (50, 500):
        simulated = rng.standard_normal((2000, n)).max(axis=1).mean()
        assert I.expected_max_sharpe(n, 1.0) == pytest.approx(simulated, rel=0.03)
    assert I.expected_max_sharpe(1, 1.0) == 0.0
    with pytest.raises(ConfigError):
        I.expected_max_sharpe(0, 1.0)


# ----------------------------------------------------------------------------- effective trials, DSR

def test_effective_trials_estimators():
    base = noise(400, 1, seed=1).to_numpy()
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(0.8 * base + 0.6 * 0.01 * rng.standard_normal((400, 30)))
    corr = frame.corr().to_numpy()
    off = corr[~np.eye(30, dtype=bool)]
    n_eff, method = I.effective_trials(frame)
    assert method == "mean_correlation"
    assert n_eff == pytest.approx(off.mean() + (1 - off.mean()) * 30, rel=1e-10)
    eig = np.linalg.eigvalsh(corr)
    pr, _ = I.effective_trials(frame, "participation_ratio")
    assert pr == pytest.approx(eig.sum() ** 2 / (eig**2).sum(), rel=1e-10)
    # identical columns are one trial
    same = pd.DataFrame(np.repeat(base, 5, axis=1))
    assert I.effective_trials(same)[0] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="method"):
        I.effective_trials(frame, "pca")


def test_dsr_matches_formula():
    frame = noise(500, 40, seed=11)
    frame[5] += 0.0006
    srs = np.array([frame[c].mean() / frame[c].std(ddof=1) for c in frame])
    best = int(np.argmax(srs))
    rho = frame.corr().to_numpy()[~np.eye(40, dtype=bool)].mean()
    n_eff = max(rho, 0) + (1 - max(rho, 0)) * 40
    sr0 = math.sqrt(srs.var(ddof=1)) * ((1 - np.euler_gamma) * st.norm.ppf(1 - 1 / n_eff)
                                        + np.euler_gamma * st.norm.ppf(1 - 1 / (n_eff * np.e)))
    out = I.deflated_sharpe_ratio(frame)
    assert out.best == best
    assert out.dsr == pytest.approx(psr_by_hand(frame[best].to_numpy(), sr0), rel=1e-10)
    assert out.sharpe == pytest.approx(srs[best] * math.sqrt(PERIODS), rel=1e-12)
    assert out.sr0 == pytest.approx(sr0 * math.sqrt(PERIODS), rel=1e-10)
    assert (out.n_trials, out.method) == (40, "mean_correlation")
    assert out.n_effective == pytest.approx(n_eff, rel=1e-10)
    # a never-invested column is not a trial, with or without a risk-free rate
    flat = frame.assign(idle=0.0)
    assert I.deflated_sharpe_ratio(flat).dsr == pytest.approx(out.dsr, rel=1e-12)
    assert I.deflated_sharpe_ratio(flat, rf=0.02).n_trials == 40
    daily = 1.02 ** (1 / PERIODS) - 1
    with_rf = I.deflated_sharpe_ratio(frame, rf=0.02)
    assert with_rf.sharpe == pytest.approx((frame[best] - daily).mean() / frame[best].std() * math.sqrt(PERIODS))
    named = I.deflated_sharpe_ratio(frame, best=0)
    assert named.dsr == pytest.approx(psr_by_hand(frame[0].to_numpy(), sr0), rel=1e-10)
    with pytest.raises(ConfigError, match="column"):
        I.deflated_sharpe_ratio(frame, best="missing")


def test_dsr_deflates_the_best_of_pure_noise():
    frame = noise(750, 1000, seed=21)
    best = frame.mean().div(frame.std()).idxmax()
    assert I.probabilistic_sharpe_ratio(frame[best]) > 0.99  # alone it looks significant
    out = I.deflated_sharpe_ratio(frame)
    assert out.best == best
    assert out.dsr < 0.9  # among 1,000 trials it is not
    assert out.sharpe > 1.5 and out.sr0 > 1.5


def test_dsr_of_noise_is_rarely_significant():
    """The best of N worthless trials sits around the expected maximum: DSR spreads around 1/2."""
    dsrs = [I.deflated_sharpe_ratio(noise(500, 200, seed=seed)).dsr for seed in range(100, 120)]
    assert 0.3 < np.median(dsrs) < 0.7
    assert max(dsrs) < 0.95


def test_dsr_keeps_a_real_edge():
    frame = noise(750, 1000, seed=22)
    frame[123] += 0.0025  # annualised Sharpe ≈ 3.9
    out = I.deflated_sharpe_ratio(frame)
    assert out.best == 123
    assert out.dsr > 0.95


# ----------------------------------------------------------------------------- PBO

def pbo_by_loop(a: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSCV written out: every split, its in-sample best, that column's out-of-sample rank."""
    blocks = np.array_split(np.arange(a.shape[0]), s)
    n = a.shape[1]
    logits, is_best, oos_best = [], [], []

    def sharpe(x):
        sd = x.std(axis=0, ddof=1)
        return np.where(sd > 1e-15, x.mean(axis=0) / np.where(sd > 1e-15, sd, 1), 0.0) * math.sqrt(PERIODS)

    for ins in itertools.combinations(range(s), s // 2):
        outs = [b for b in range(s) if b not in ins]
        is_rows = np.concatenate([blocks[b] for b in ins])
        oos_rows = np.concatenate([blocks[b] for b in outs])
        is_sr, oos_sr = sharpe(a[is_rows]), sharpe(a[oos_rows])
        star = int(np.argmax(is_sr))
        omega = st.rankdata(oos_sr)[star] / (n + 1)
        logits.append(math.log(omega / (1 - omega)))
        is_best.append(is_sr[star])
        oos_best.append(oos_sr[star])
    return np.array(logits), np.array(is_best), np.array(oos_best)


def test_pbo_equals_explicit_loop():
    frame = noise(203, 12, seed=5)  # 203 rows: blocks of unequal size
    frame[3] += 0.0008
    frame[7] = 0.0  # never invested: Sharpe 0 in every split
    frame[11] = frame[3]  # a duplicate: tied ranks are averaged
    frame.iloc[100:, 9] = 0.0  # flat in the second half: Sharpe 0 where only those blocks are out of sample
    logits, is_best, oos_best = pbo_by_loop(frame.to_numpy(), 8)
    out = I.probability_of_backtest_overfitting(frame, n_blocks=8)
    assert out.n_splits == math.comb(8, 4) == len(logits)
    np.testing.assert_allclose(out.logits, logits, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.is_sharpe, is_best, rtol=1e-10)
    np.testing.assert_allclose(out.oos_sharpe, oos_best, rtol=1e-10)
    assert out.pbo == np.mean(logits <= 0)
    slope, intercept = np.polyfit(is_best, oos_best, 1)
    assert (out.slope, out.intercept) == (pytest.approx(slope), pytest.approx(intercept))
    assert out.prob_oos_loss == np.mean(oos_best < 0)


def test_pbo_splits_of_a_sweep_sized_matrix():
    """16 blocks give C(16, 8) = 12,870 splits, one logit each (its speed: ``benchmarks/bench_sweep.py``)."""
    out = I.probability_of_backtest_overfitting(noise(870, 1195, seed=8), n_blocks=16)
    assert out.n_splits == math.comb(16, 8) == 12870 and out.logits.shape == (12870,)


def test_pbo_of_noise_near_half():
    """All splits share the same 16 blocks, so one noise matrix's PBO varies widely: average over seeds."""
    pbos = [I.probability_of_backtest_overfitting(noise(870, 200, seed=seed)).pbo for seed in range(30, 36)]
    assert 0.35 <= np.mean(pbos) <= 0.65
    assert all(0.15 <= p <= 0.85 for p in pbos)


def test_pbo_of_planted_edge_near_zero():
    results = []
    for seed in range(40, 46):
        frame = noise(870, 200, seed=seed)
        frame[17] += 0.002  # annualised Sharpe ≈ 3.1 among noise
        results.append(I.probability_of_backtest_overfitting(frame))
    assert np.mean([r.pbo for r in results]) < 0.1
    assert all(r.pbo < 0.25 and r.prob_oos_loss < 0.25 for r in results)
    assert all(np.median(r.oos_sharpe) > 1.5 for r in results)  # the edge carries out of sample


def test_pbo_rejects_bad_blocks():
    frame = noise(100, 5, seed=1)
    for s in (7, 0, 60):
        with pytest.raises(ConfigError, match="n_blocks"):
            I.probability_of_backtest_overfitting(frame, n_blocks=s)
    with pytest.raises(ConfigError, match="metric"):
        I.probability_of_backtest_overfitting(frame, metric="calmar")


# ----------------------------------------------------------------------------- bootstrap

@pytest.fixture(scope="module")
def iid() -> pd.Series:
    rng = np.random.default_rng(12)
    return pd.Series(rng.normal(0.0006, 0.012, 1000), index=pd.bdate_range("2019-01-01", periods=1000))


def test_stationary_indices_shape_and_blocks():
    idx = I.stationary_indices(1000, 1000, mean_block=10.0, seed=1)
    assert idx.shape == (1000, 1000) and idx.min() >= 0 and idx.max() < 1000
    # a block continues with the next row (wrapping around); breaks come with probability 1/10
    breaks = np.diff(idx, axis=1) % 1000 != 1
    assert breaks.mean() == pytest.approx(0.1, rel=0.05)
    np.testing.assert_array_equal(idx, I.stationary_indices(1000, 1000, mean_block=10.0, seed=1))


def test_bootstrap_reproducible_and_contains_estimate(iid):
    first = I.stationary_bootstrap(iid, ["sharpe", "cagr", "max_drawdown"], n_samples=1000, seed=4)
    again = I.stationary_bootstrap(iid, ["sharpe", "cagr", "max_drawdown"], n_samples=1000, seed=4)
    other = I.stationary_bootstrap(iid, "sharpe", n_samples=1000, seed=5)
    assert first == again
    assert other["sharpe"].lower != first["sharpe"].lower
    assert list(first) == ["sharpe", "cagr", "max_drawdown"]
    expected = {"sharpe": M.sharpe(iid), "cagr": M.annual_return(iid), "max_drawdown": M.max_drawdown(iid)}
    for name, ci in first.items():
        assert ci.estimate == pytest.approx(expected[name], rel=1e-12)
        assert ci.lower < ci.estimate < ci.upper
        assert (ci.confidence, ci.n_samples, ci.mean_block) == (0.95, 1000, pytest.approx(10.0))
    assert first["max_drawdown"].upper <= 0


def test_bootstrap_sharpe_se_close_to_lo(iid):
    sr = iid.mean() / iid.std(ddof=1)
    lo_se = math.sqrt((1 + sr**2 / 2) / len(iid)) * math.sqrt(PERIODS)
    ci = I.stationary_bootstrap(iid, "sharpe", n_samples=2000, seed=0)["sharpe"]
    assert ci.std_error == pytest.approx(lo_se, rel=0.2)


def test_bootstrap_custom_statistic(iid):
    def mean_return(a):
        return a.mean(axis=0)

    ci = I.stationary_bootstrap(iid, mean_return, n_samples=500)["mean_return"]
    assert ci.estimate == pytest.approx(iid.mean())
    with pytest.raises(ConfigError, match="statistic"):
        I.stationary_bootstrap(iid, "omega")


def test_sharpe_difference_resamples_the_same_sessions(iid):
    rng = np.random.default_rng(13)
    bench = pd.Series(0.7 * iid.to_numpy() + rng.normal(0, 0.008, len(iid)), index=iid.index)
    out = I.bootstrap_sharpe_difference(iid, bench, n_samples=800, seed=2, mean_block=5.0)
    idx = I.stationary_indices(len(iid), 800, 5.0, seed=2)
    a, b = iid.to_numpy()[idx], bench.to_numpy()[idx]
    draws = (a.mean(1) / a.std(1, ddof=1) - b.mean(1) / b.std(1, ddof=1)) * math.sqrt(PERIODS)
    assert out.estimate == pytest.approx(M.sharpe(iid) - M.sharpe(bench), rel=1e-12)
    assert out.lower == pytest.approx(np.quantile(draws, 0.025))
    assert out.upper == pytest.approx(np.quantile(draws, 0.975))
    same = I.bootstrap_sharpe_difference(iid, iid, n_samples=200)
    assert same.lower == same.upper == 0.0
