"""load_prices / fetch behaviour with fake providers: incremental updates, offline fallback, bad input."""

import pandas as pd
import pytest

import quantkit as qk
from quantkit.data import api
from quantkit.data.api import DataSources
from quantkit.data.store import ParquetStore, Snapshot
from quantkit.errors import ConfigError, DataUnavailableError, ProviderError, SymbolError


class FakeProvider:
    """Serves a fixed frame (sliced by start), or fails like an offline service."""

    name = "fake"

    def __init__(self, frame=None, fail=False):
        self.frame, self.fail, self.calls = frame, fail, []

    def daily(self, symbol, start=None, end=None, adjust="qfq"):
        self.calls.append((symbol.code, start))
        if self.fail:
            raise ProviderError("fake: ConnectionError: network is unreachable")
        out = self.frame.loc[pd.Timestamp(start):] if start else self.frame
        out = out.copy()
        out.attrs = {"symbol": symbol.code, "source": "fake", "adjustment": "qfq", "fetched_at": "2026-11-20T08:00:00+00:00"}
        return out


def _sources(tmp_path, provider):
    return DataSources(ParquetStore(tmp_path / "store"), Snapshot(), [provider])


def test_offline_refresh_falls_back_to_snapshot_and_says_so_once(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("QUANTKIT_NOW", "2026-11-21")
    api._said.clear()
    src = _sources(tmp_path, FakeProvider(fail=True))
    with caplog.at_level("WARNING", logger="quantkit"):
        for _ in range(2):
            bars = api.load_prices("562800", refresh=True, sources=src)
    assert bars.index[-1] == pd.Timestamp("2026-09-24")
    notes = [(r.name, r.getMessage()) for r in caplog.records]
    assert notes == [("quantkit.data", "network unavailable: using data_cache snapshot through 2026-09-24 (58 days old)")]


def test_incremental_fetch_asks_only_for_the_tail_and_appends(tmp_path):
    full = qk.load_prices("562800")
    src = _sources(tmp_path, FakeProvider(full))
    src.store.write("562800", full.iloc[:-10])
    out = api.fetch(["562800"], sources=src)
    assert out[0].status == "updated" and out[0].rows == len(full)
    (code, start), = src.providers[0].calls
    assert start == full.index[-15].date()  # five overlapping bars re-checked
    pd.testing.assert_series_equal(src.store.read("562800").close, full.close, check_freq=False)


def test_refresh_of_raw_prices_with_factors_merges_qfq_levels(tmp_path):
    full = qk.load_prices("510300")  # snapshot: raw prices + factor, served here as qfq
    src = _sources(tmp_path, FakeProvider(full))
    assert api.fetch(["510300"], sources=src)[0].status == "updated"
    stored = src.store.read("510300")
    pd.testing.assert_series_equal(stored.close, full.close, check_freq=False)
    assert stored.loc["2012-05-28", "close"] < 2.1  # not the raw 2.604


class FactorProvider(FakeProvider):
    """Serves raw prices plus factors (anchored at its own first bar) when asked for ``factor``."""

    gives_factor = True

    def daily(self, symbol, start=None, end=None, adjust="qfq"):
        assert adjust == "factor"
        out = super().daily(symbol, start, end)
        out["factor"] = out["factor"] / out["factor"].iloc[0]
        out.attrs["adjustment"] = "qfq-multiplicative"
        return out


def test_raw_prices_and_factors_are_fetched_and_chained(tmp_path):
    snap = Snapshot().read("510300")  # raw + factor
    provider = FactorProvider(snap)
    src = _sources(tmp_path, provider)
    src.store.write("510300", snap.iloc[:-10])
    assert api.fetch(["510300"], sources=src)[0].status == "updated"
    assert [c[1] for c in provider.calls] == [snap.index[-15].date()]  # incremental, no refetch
    stored = src.store.read("510300")
    assert stored["factor"].to_numpy() == pytest.approx(snap["factor"].to_numpy(), rel=1e-12)
    for adjust in ("none", "hfq", "qfq"):
        pd.testing.assert_series_equal(api.load_prices("510300", adjust=adjust, sources=src).close,
                                       qk.load_prices("510300", adjust=adjust).close, check_freq=False, rtol=1e-12)


def test_raw_prices_replace_a_cached_subtractive_series_whole(tmp_path):
    snap = Snapshot().read("510300")
    provider = FactorProvider(snap)
    src = _sources(tmp_path, provider)
    src.store.write("510300", qk.load_prices("510300"))  # qfq bars without factors
    api.fetch(["510300"], sources=src)
    assert [c[1] for c in provider.calls] == [snap.index[-5].date(), None]
    assert api.load_prices("510300", adjust="none", sources=src).close.loc["2012-05-28"] == 2.604


def test_adjustment_change_triggers_full_refetch(tmp_path):
    full = qk.load_prices("562800")
    cached = full.iloc[:-10].copy()
    cached[["open", "high", "low", "close"]] *= 1.01  # levels of an older qfq anchor
    provider = FakeProvider(full)
    src = _sources(tmp_path, provider)
    src.store.write("562800", cached)
    api.fetch(["562800"], sources=src)
    assert [c[1] for c in provider.calls] == [full.index[-15].date(), None]
    pd.testing.assert_series_equal(src.store.read("562800").close, full.close, check_freq=False)


def test_fetch_reports_each_symbol_without_raising(tmp_path):
    src = _sources(tmp_path, FakeProvider(fail=True))
    out = {o.symbol: o for o in api.fetch(["562800", "159001", "56O860"], sources=src)}
    assert out["562800"].status == "cached" and "network unavailable" in out["562800"].message
    assert out["159001"].status == "failed"
    assert out["56O860"].status == "failed" and "malformed" in out["56O860"].message


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(symbol="999999"), SymbolError, "unknown code 999999"),
    (dict(symbol="56O860"), SymbolError, "malformed symbol"),
    (dict(symbol="562800", start="2025-06-01", end="2025-01-01"), ConfigError, "after end date"),
    (dict(symbol="562800", end="2099-01-01"), ConfigError, "in the future"),
    (dict(symbol="562800", start="last tuesday"), ConfigError, "is not a date"),
    (dict(symbol="562800", start="2010-01-01", end="2010-12-31"), DataUnavailableError, "data covers 2021-09-27"),
    (dict(symbol="159001"), DataUnavailableError, "quantkit fetch 159001"),
])
def test_bad_requests_raise_one_clear_line(kwargs, error, words, store_dir):
    with pytest.raises(error) as err:
        qk.load_prices(**kwargs)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_start_end_are_inclusive():
    bars = qk.load_prices("560860", start="2025-12-01", end="2025-12-31")
    assert bars.index[0] == pd.Timestamp("2025-12-01") and bars.index[-1] == pd.Timestamp("2025-12-31")


class FakeValuationProvider(FakeProvider):
    def __init__(self, valuation=None, **kw):
        super().__init__(**kw)
        self.val = valuation

    def valuation(self, symbol):
        if self.fail:
            raise ProviderError("fake: ConnectionError: network is unreachable")
        out = self.val.copy()
        out.attrs = {"symbol": symbol.code, "source": "fake-valuation", "fetched_at": "2026-11-20T08:00:00+00:00"}
        return out


def test_fetching_an_index_refreshes_its_valuation(tmp_path):
    val = qk.load_valuation("000300")
    newer = pd.concat([val, pd.DataFrame({"pe": [14.1], "pb": [1.47]}, index=pd.DatetimeIndex(["2026-06-01"], name="date"))])
    src = _sources(tmp_path, FakeValuationProvider(newer, frame=qk.load_prices("000300")))
    (out,) = api.fetch(["000300"], sources=src)
    assert out.status == "updated" and out.message == "valuation through 2026-06-01"
    assert api.load_valuation("000300", sources=src).loc["2026-06-01", "pe"] == pytest.approx(14.1)


def test_offline_valuation_refresh_uses_the_snapshot(tmp_path, caplog, capsys):
    api._said.clear()
    src = _sources(tmp_path, FakeValuationProvider(fail=True))
    with caplog.at_level("WARNING", logger="quantkit"):
        val = api.load_valuation("000300", refresh=True, sources=src)
    assert val.index[-1] == pd.Timestamp("2026-05-28")
    assert "using 000300 valuation from data_cache snapshot through 2026-05-28" in caplog.text
    assert capsys.readouterr().err == ""  # the library logs; it does not print
