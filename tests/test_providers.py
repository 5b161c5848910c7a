"""Providers on recorded responses (tests/fixtures/providers): units, fallbacks, timeouts, retries, files."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import akshare
import numpy as np
import pandas as pd
import pytest
import requests
import yfinance

from quantkit.data.providers import AkshareProvider, YFinanceProvider, read_price_file
from quantkit.data.providers.base import CallPolicy, Throttle, guarded_call
from quantkit.data.providers.local_file import LocalFileProvider
from quantkit.errors import DataValidationError, ProviderError

FIX = Path(__file__).parent / "fixtures" / "providers"
REAL = {name: getattr(akshare, name) for name in ("fund_etf_dividend_sina", "fund_cf_em")}  # before any patching
FAST = CallPolicy(timeout=5.0, attempts=1, backoff=0.0, min_interval=0.0)
D = pd.Timestamp


# ---- recorded responses, rebuilt with the dtypes akshare gives them -------------------------------

def _dates(frame: pd.DataFrame, col: str, fmt: str | None = None) -> pd.DataFrame:
    frame[col] = pd.to_datetime(frame[col].astype(str), format=fmt).dt.date  # akshare returns datetime.date
    return frame


def em_562800() -> pd.DataFrame:
    return pd.read_csv(FIX / "fund_etf_hist_em_562800.csv", dtype={"日期": str})  # 日期 stays text in akshare


def sina(name: str) -> pd.DataFrame:
    return _dates(pd.read_csv(FIX / name), "date")


def csindex(code: str) -> pd.DataFrame:
    return _dates(pd.read_csv(FIX / f"stock_zh_index_hist_csindex_{code}.csv", dtype={"指数代码": str}), "日期")


def legulegu(name: str) -> pd.DataFrame:
    return _dates(pd.read_csv(FIX / name), "日期")


def value_csindex() -> pd.DataFrame:
    raw = pd.read_csv(FIX / "stock_zh_index_value_csindex_000985.csv", dtype={"日期": str, "指数代码": str})
    return _dates(raw, "日期", "%Y%m%d")


def dividends_510300() -> pd.DataFrame:
    return _dates(pd.read_csv(FIX / "fund_etf_dividend_sina_sh510300.csv"), "日期")


def em_raw(code: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"fund_etf_hist_em_raw_{code}.csv", dtype={"日期": str})


def splits_2025() -> pd.DataFrame:
    return _dates(pd.read_csv(FIX / "fund_cf_em_2025.csv", dtype={"基金代码": str}), "拆分折算日")


def returning(frame: pd.DataFrame, calls: list | None = None):
    def fake(*args, **kwargs):
        if calls is not None:
            calls.append(kwargs or args)
        return frame.copy()
    return fake


def failing(exc: BaseException, calls: list | None = None):
    def fake(*args, **kwargs):
        if calls is not None:
            calls.append(kwargs)
        raise exc
    return fake


@pytest.fixture
def provider() -> AkshareProvider:
    return AkshareProvider(FAST, throttles={})


@pytest.fixture(autouse=True)
def no_events(monkeypatch):
    """Unless a test says otherwise: Sina lists no distribution and no split table is needed."""
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", returning(pd.DataFrame()))
    monkeypatch.setattr(akshare, "fund_cf_em", failing(AssertionError("fund_cf_em is not needed here")))


def _one_line(exc: pytest.ExceptionInfo, *needles: str) -> str:
    message = str(exc.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message
    return message


# ---- the fixtures really have the installed libraries' layouts ------------------------------------

def _akshare_columns(fn) -> list[str]:
    """The last ``temp_df.columns = [...]`` list in an akshare function's source."""
    blocks = re.findall(r"temp_df\.columns = \[(.*?)\]", inspect.getsource(fn), flags=re.S)
    return re.findall(r'"([^"]+)"', blocks[-1])


@pytest.mark.parametrize("fn, frame", [
    ("fund_etf_hist_em", em_562800),
    ("stock_zh_index_hist_csindex", lambda: csindex("000300")),
    ("stock_zh_index_value_csindex", value_csindex),
    ("stock_index_pe_lg", lambda: legulegu("stock_index_pe_lg_hs300.csv")),
    ("stock_index_pb_lg", lambda: legulegu("stock_index_pb_lg_hs300.csv")),
    ("fund_etf_dividend_sina", dividends_510300),
])
def test_fixture_columns_match_installed_akshare(fn, frame):
    assert list(frame().columns) == _akshare_columns(REAL.get(fn) or getattr(akshare, fn))


def test_split_fixture_matches_installed_fund_cf_em():
    selected = re.findall(r"big_df = big_df\[\s*\[(.*?)\]\s*\]", inspect.getsource(REAL["fund_cf_em"]), flags=re.S)
    assert list(splits_2025().columns) == re.findall(r'"([^"]+)"', selected[-1])
    assert list(em_raw("510300").columns) == list(em_562800().columns)


def test_yfinance_fixtures_have_download_layout():
    full = pd.read_pickle(FIX / "yf_download_510300.SS.pkl")
    empty = pd.read_pickle(FIX / "yf_download_offline_empty.pkl")
    for frame in (full, empty):
        assert frame.columns.names == ["Price", "Ticker"]
        assert list(frame.columns.get_level_values(0)) == ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    assert empty.empty and len(full) == 20 and full[("Volume", "510300.SS")].dtype == np.int64


# ---- akshare: ETFs -----------------------------------------------------------------------------------

def test_east_money_etf_maps_units_dates_attrs(provider, monkeypatch):
    calls: list = []
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_562800(), calls))
    bars = provider.daily("562800", start="2025-06-03", end="2025-07-04")
    assert calls == [{"symbol": "562800", "period": "daily", "start_date": "20250603", "end_date": "20250704",
                      "adjust": ""}]  # raw bars: the adjustment is computed here
    assert len(bars) == 24 and bars.index.name == "date" and bars.index.dtype == "datetime64[ns]"
    row = bars.loc[D("2025-06-04")]
    assert row["close"] == 0.509 and row["open"] == 0.495 and row["high"] == 0.509 and row["low"] == 0.495
    assert row["volume"] == 93_499_000  # 934 990 lots
    assert row["amount"] == 47_337_359.0 and row["turnover"] == 5.86
    assert bars.attrs["symbol"] == "562800" and bars.attrs["adjustment"] == "qfq"
    assert bars.attrs["source"] == "akshare:fund_etf_hist_em+fund_etf_dividend_sina"
    assert datetime.fromisoformat(bars.attrs["fetched_at"]).utcoffset().total_seconds() == 0


def test_east_money_unadjusted_request(provider, monkeypatch):
    calls: list = []
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_562800(), calls))
    bars = provider.daily("sh562800", adjust="none", end="2025-06-10")
    assert calls[0]["adjust"] == "" and calls[0]["start_date"] == "19700101"
    assert bars.attrs["adjustment"] == "none" and bars.index[-1] == D("2025-06-10")


def test_east_money_failure_falls_back_to_sina(provider, monkeypatch):
    sina_calls: list = []
    monkeypatch.setattr(akshare, "fund_etf_hist_em", failing(requests.exceptions.ConnectionError("reset by peer")))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(sina("fund_etf_hist_sina_sh562800.csv"), sina_calls))
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", returning(pd.DataFrame()))
    bars = provider.daily("562800", start="2025-06-04", end="2025-06-30")
    assert sina_calls == [{"symbol": "sh562800"}]
    assert bars.index[0] == D("2025-06-04") and bars.index[-1] == D("2025-06-30")
    assert bars.loc[D("2025-06-04"), "close"] == 0.509 and bars.loc[D("2025-06-04"), "volume"] == 93_499_000
    assert bars.loc[D("2025-06-04"), "amount"] == 47_337_359.0 and np.isnan(bars.loc[D("2025-06-04"), "turnover"])
    assert bars.attrs["source"] == "akshare:fund_etf_hist_sina+fund_etf_dividend_sina"
    assert bars.attrs["adjustment"] == "qfq" and "no distributions" in bars.attrs["note"]


def test_empty_east_money_frame_is_a_failure(provider, monkeypatch):
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(pd.DataFrame()))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(sina("fund_etf_hist_sina_sh562800.csv")))
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", returning(pd.DataFrame()))
    bars = provider.daily("562800", adjust="none")
    assert bars.attrs["source"] == "akshare:fund_etf_hist_sina" and bars.attrs["adjustment"] == "none"
    assert len(bars) == 24


def test_sina_prices_adjusted_with_distributions(provider, monkeypatch):
    monkeypatch.setattr(akshare, "fund_etf_hist_em", failing(OSError("Network is unreachable")))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(sina("fund_etf_hist_sina_sh510300.csv")))
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", returning(dividends_510300()))
    raw = provider.daily("510300", adjust="none")
    assert raw.loc[D("2025-06-17"), "close"] == 3.989 and raw.attrs["adjustment"] == "none"
    qfq = provider.daily("510300")
    # 0.088 paid on 2025-06-18: the day before matches East Money's qfq close (3.901), later bars unchanged
    assert qfq.loc[D("2025-06-17"), "close"] == pytest.approx(3.901, abs=1e-9)
    assert qfq.loc[D("2025-06-18"), "close"] == 3.904
    factor = 1 - 0.088 / 3.989
    assert qfq.loc[D("2025-06-09"), "open"] == pytest.approx(3.989 * factor)
    assert qfq.loc[D("2025-06-17"), "volume"] == 482_891_300
    assert qfq.attrs["adjustment"] == "qfq"
    hfq = provider.daily("510300", adjust="hfq")
    assert hfq.loc[D("2025-06-09"), "close"] == 3.995
    assert hfq.loc[D("2025-06-18"), "close"] == pytest.approx(3.904 / factor)


def test_adjusted_request_without_distributions_fails_rather_than_pass_raw_prices(provider, monkeypatch):
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_raw("510300")))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(sina("fund_etf_hist_sina_sh510300.csv")))
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", failing(requests.exceptions.ConnectionError("timed out")))
    with pytest.raises(ProviderError) as exc:
        provider.daily("510300")
    _one_line(exc, "qfq needs the distributions", "fund_etf_hist_em", "fund_etf_hist_sina", "timed out")
    assert provider.daily("510300", adjust="none").loc[D("2025-06-17"), "close"] == 3.989


def test_east_money_raw_bars_adjusted_multiplicatively(provider, monkeypatch):
    """510300 paid 0.088 per unit ex 2025-06-18 (previous raw close 3.989)."""
    calls: list = []
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_raw("510300"), calls))
    monkeypatch.setattr(akshare, "fund_etf_dividend_sina", returning(dividends_510300()))
    qfq = provider.daily("510300", start="2025-06-03", end="2025-07-04")
    assert calls[0]["adjust"] == ""
    assert qfq.loc[D("2025-06-18"):, "close"].tolist() == em_raw("510300").set_index("日期").loc["2025-06-18":, "收盘"].tolist()
    assert qfq.loc[D("2025-06-03"), "close"] == pytest.approx(3.957 * (3.989 - 0.088) / 3.989, abs=1e-12)
    # East Money's subtractive qfq would give 3.957 - 0.088 = 3.869 on 2025-06-03
    assert qfq.loc[D("2025-06-03"), "close"] != pytest.approx(3.869, abs=1e-4)
    assert qfq.attrs["events"] == "2025-06-18 cash 0.088" and qfq.attrs["adjustment"] == "qfq"
    raw = provider.daily("510300", adjust="factor")  # for the store: raw prices plus the factor
    assert raw.loc[D("2025-06-17"), "close"] == 3.989 and raw.attrs["adjustment"] == "qfq-multiplicative"
    assert raw["factor"].iloc[0] == 1.0 and raw.loc[D("2025-06-18"), "factor"] == pytest.approx(3.989 / 3.901)
    hfq = provider.daily("510300", adjust="hfq")
    assert hfq.loc[D("2025-06-03"), "close"] == 3.957
    assert hfq.loc[D("2025-07-04"), "close"] == pytest.approx(4.032 * 3.989 / (3.989 - 0.088), abs=1e-12)


def test_east_money_split_found_in_the_fund_split_table(provider, monkeypatch):
    """512800 split 1:2 on 2025-07-04 (拆分折算日); its raw price halves from 2025-07-07."""
    cf_calls: list = []
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_raw("512800")))
    monkeypatch.setattr(akshare, "fund_cf_em", returning(splits_2025(), cf_calls))
    bars = provider.daily("512800")
    assert cf_calls == [{"year": "2025"}]
    assert bars.loc[D("2025-07-04"), "close"] == pytest.approx(1.777 / 2, abs=1e-12)
    assert bars.loc[D("2025-07-07"), "close"] == 0.894
    assert bars.loc[D("2025-07-04"), "volume"] == 491_442_800  # volume is not adjusted
    assert bars["close"].pct_change().abs().max() < 0.05
    assert bars.attrs["events"] == "2025-07-07 split 2" and "fund_cf_em" in bars.attrs["source"]
    provider.daily("512800", adjust="hfq")
    assert len(cf_calls) == 1  # the year's table is asked once


def test_opening_gap_without_split_table_fails(provider, monkeypatch):
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_raw("512800")))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(pd.DataFrame()))
    monkeypatch.setattr(akshare, "fund_cf_em", failing(requests.exceptions.ConnectionError("refused")))
    with pytest.raises(ProviderError) as exc:
        provider.daily("512800")
    _one_line(exc, "gaps on 2025-07-07", "fund splits of 2025 are unavailable")


def test_all_etf_sources_failing_is_one_provider_error(provider, monkeypatch):
    monkeypatch.setattr(akshare, "fund_etf_hist_em", failing(requests.exceptions.ConnectionError("refused")))
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", returning(pd.DataFrame()))
    with pytest.raises(ProviderError) as exc:
        provider.daily("562800")
    _one_line(exc, "562800", "fund_etf_hist_em", "ConnectionError", "fund_etf_hist_sina('sh562800') returned no rows")


# ---- akshare: indices and valuation ------------------------------------------------------------------

def test_csindex_index_units(provider, monkeypatch):
    calls: list = []
    monkeypatch.setattr(akshare, "stock_zh_index_hist_csindex", returning(csindex("000300"), calls))
    bars = provider.daily("000300", start="2025-06-03", end="2025-07-04")
    assert calls == [{"symbol": "000300", "start_date": "20250603", "end_date": "20250704"}]
    row = bars.loc[D("2025-06-04")]
    assert row["close"] == 3868.74 and row["open"] == 3855.49
    assert row["volume"] == pytest.approx(11680.39e6)  # 万手 → shares
    assert row["amount"] == pytest.approx(2117.36e8)  # 亿元 → CNY
    assert bars.attrs["adjustment"] == "none" and bars.attrs["source"] == "akshare:stock_zh_index_hist_csindex"


def test_csindex_all_share_index(provider, monkeypatch):
    monkeypatch.setattr(akshare, "stock_zh_index_hist_csindex", returning(csindex("000985")))
    bars = provider.daily("000985.CSI")
    assert bars.loc[D("2025-06-04"), "close"] == 4821.11
    assert bars.loc[D("2025-06-04"), "amount"] == pytest.approx(11317.07e8)
    assert bars["volume"].isna().all()


def test_csindex_failure_falls_back_to_sina_index(provider, monkeypatch):
    calls: list = []
    monkeypatch.setattr(akshare, "stock_zh_index_hist_csindex", failing(KeyError("data")))
    monkeypatch.setattr(akshare, "stock_zh_index_daily", returning(sina("stock_zh_index_daily_sh000300.csv"), calls))
    bars = provider.daily("000300", start="2025-06-10")
    assert calls == [{"symbol": "sh000300"}] and bars.index[0] == D("2025-06-10")
    assert bars.loc[D("2025-06-04"):].iloc[0]["close"] == bars.loc[D("2025-06-10"), "close"]
    assert bars.loc[D("2025-06-10"), "volume"] == pytest.approx(csindex("000300").set_index("日期")
                                                                .loc[D("2025-06-10").date(), "成交量"] * 1e6)
    assert bars.attrs["source"] == "akshare:stock_zh_index_daily"


def test_valuation_legulegu(provider, monkeypatch):
    pe_calls: list = []
    monkeypatch.setattr(akshare, "stock_index_pe_lg", returning(legulegu("stock_index_pe_lg_hs300.csv"), pe_calls))
    monkeypatch.setattr(akshare, "stock_index_pb_lg", returning(legulegu("stock_index_pb_lg_hs300.csv")))
    val = provider.valuation("000300")
    assert pe_calls == [{"symbol": "沪深300"}]
    assert list(val.columns) == ["pe", "pb"] and val.index.name == "date"
    assert val.loc[D("2025-06-04"), "pe"] == 11.8 and val.loc[D("2025-06-04"), "pb"] == 1.29
    assert "滚动市盈率" in val.attrs["source"]


def test_valuation_csindex(provider, monkeypatch):
    monkeypatch.setattr(akshare, "stock_zh_index_value_csindex", returning(value_csindex()))
    val = provider.valuation("000985")
    assert val.loc[D("2025-06-04"), "pe"] == 15.93 and val["pb"].isna().all()


# ---- guarding: timeout, retries, throttle ----------------------------------------------------------

def test_hanging_call_times_out_quickly(monkeypatch):
    release = threading.Event()

    def hang(**kwargs):
        release.wait(30)  # like a requests.get without timeout

    monkeypatch.setattr(akshare, "fund_etf_hist_em", hang)
    monkeypatch.setattr(akshare, "fund_etf_hist_sina", hang)
    fast = AkshareProvider(CallPolicy(timeout=0.2, attempts=1, backoff=0.0, min_interval=0.0), throttles={})
    began = time.monotonic()
    try:
        with pytest.raises(ProviderError) as exc:
            fast.daily("562800")
    finally:
        release.set()
    assert time.monotonic() - began < 2.0
    _one_line(exc, "fund_etf_hist_em", "did not answer within 0.2 s", "failed after 1 attempts")


def test_retries_then_succeeds(monkeypatch):
    calls: list = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) < 3:
            raise requests.exceptions.ConnectionError("Connection aborted")
        return em_562800()

    monkeypatch.setattr(akshare, "fund_etf_hist_em", flaky)
    bars = AkshareProvider(CallPolicy(timeout=5, attempts=3, backoff=0.0, min_interval=0), throttles={}).daily("562800")
    assert len(calls) == 3 and bars.attrs["source"] == "akshare:fund_etf_hist_em+fund_etf_dividend_sina"


def test_backoff_doubles_and_gives_up():
    sleeps: list[float] = []
    calls: list = []
    with pytest.raises(ProviderError) as exc:
        guarded_call(failing(OSError("down"), calls), policy=CallPolicy(timeout=1, attempts=3, backoff=0.5),
                     what="fake fetch", sleep=sleeps.append)
    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    _one_line(exc, "fake fetch failed after 3 attempts (OSError: down)")


class FakeClock:
    def __init__(self) -> None:
        self.now, self.sleeps = 100.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_throttle_spaces_calls():
    clock = FakeClock()
    throttle = Throttle(0.5, clock=clock, sleep=clock.sleep)
    throttle.wait()  # first call: no wait
    throttle.wait()  # immediately after: waits the full interval
    clock.now += 0.2
    throttle.wait()  # 0.2 s later: waits the rest
    clock.now += 1.0
    throttle.wait()  # long after: no wait
    assert clock.sleeps == pytest.approx([0.5, 0.3])


def test_provider_calls_go_through_the_service_throttle(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(akshare, "fund_etf_hist_em", returning(em_562800()))
    prov = AkshareProvider(FAST, throttles={"eastmoney": Throttle(0.5, clock=clock, sleep=clock.sleep)})
    prov.daily("562800")
    prov.daily("562800")
    assert clock.sleeps == [0.5]


# ---- yfinance --------------------------------------------------------------------------------------------

def yf_frame() -> pd.DataFrame:
    return pd.read_pickle(FIX / "yf_download_510300.SS.pkl")


def test_yfinance_maps_multiindex_and_qfq(monkeypatch):
    calls: list = []

    def download(tickers, **kwargs):
        calls.append((tickers, kwargs))
        return yf_frame()

    monkeypatch.setattr(yfinance, "download", download)
    prov = YFinanceProvider(FAST, throttle=None)
    bars = prov.daily("510300", start="2025-06-09", end="2025-07-04")
    ticker, kwargs = calls[0]
    assert ticker == "510300.SS" and kwargs["start"] == "2025-06-09" and kwargs["end"] == "2025-07-05"  # exclusive
    assert kwargs["auto_adjust"] is False and kwargs["progress"] is False and kwargs["actions"] is False
    assert kwargs["multi_level_index"] is True
    assert len(bars) == 20 and bars.index.dtype == "datetime64[ns]"
    assert bars.loc[D("2025-06-17"), "close"] == pytest.approx(3.901, abs=1e-6)  # = East Money's qfq close
    assert bars.loc[D("2025-06-17"), "open"] == pytest.approx(3.991 * 3.901 / 3.989, abs=1e-6)
    assert bars.loc[D("2025-06-18"), "close"] == 3.904
    assert bars.loc[D("2025-06-17"), "volume"] == 482_891_300
    assert bars["amount"].isna().all() and bars["turnover"].isna().all()
    assert bars.attrs["adjustment"] == "qfq" and bars.attrs["source"] == "yfinance:download"
    raw = prov.daily("510300", adjust="none")
    assert raw.loc[D("2025-06-17"), "close"] == 3.989 and raw.attrs["adjustment"] == "none"


def test_yfinance_empty_offline_frame_is_provider_error(monkeypatch):
    monkeypatch.setattr(yfinance, "download", returning(pd.read_pickle(FIX / "yf_download_offline_empty.pkl")))
    with pytest.raises(ProviderError) as exc:
        YFinanceProvider(FAST, throttle=None).daily("510300")
    _one_line(exc, "510300.SS", "no rows")


def test_yfinance_oserror_is_provider_error(monkeypatch):
    monkeypatch.setattr(yfinance, "download", failing(OSError("[Errno 101] Network is unreachable")))
    with pytest.raises(ProviderError) as exc:
        YFinanceProvider(FAST, throttle=None).daily("159915")
    _one_line(exc, "159915.SZ", "Network is unreachable")


def test_yfinance_refuses_what_yahoo_cannot_give():
    prov = YFinanceProvider(FAST, throttle=None)
    with pytest.raises(ProviderError, match="hfq"):
        prov.daily("510300", adjust="hfq")
    with pytest.raises(ProviderError, match="CSI"):
        prov.daily("930713")


# ---- package ---------------------------------------------------------------------------------------------

def test_package_is_light_and_lists_default_providers():
    code = ("import sys, quantkit.data.providers as p; "
            "print('akshare' in sys.modules, 'yfinance' in sys.modules, [x.name for x in p.default_providers()])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False ['akshare', 'yfinance']"


# ---- local files -----------------------------------------------------------------------------------------

ROWS = em_562800().head(5)  # 2025-06-03 … 06-09, volume in lots
ZH = "日期,开盘,收盘,最高,最低,成交量,成交额,换手率"
EN = "date,open,high,low,close,volume,amount,turnover"


def _lines(header: str, order: list[str], lots: bool = True) -> list[str]:
    lines = [header]
    for _, r in ROWS.iterrows():
        values = {"d": r["日期"], "o": r["开盘"], "h": r["最高"], "l": r["最低"], "c": r["收盘"],
                  "v": r["成交量"] * (1 if lots else 100), "a": r["成交额"], "t": r["换手率"]}
        lines.append(",".join(str(values[k]) for k in order))
    return lines


ZH_ORDER = ["d", "o", "c", "h", "l", "v", "a", "t"]
EN_ORDER = ["d", "o", "h", "l", "c", "v", "a", "t"]


def _check(bars: pd.DataFrame, symbol: str = "562800") -> None:
    row = bars.loc[D("2025-06-04")]
    assert len(bars) == 5 and bars.attrs["symbol"] == symbol
    assert (row["open"], row["high"], row["low"], row["close"]) == (0.495, 0.509, 0.495, 0.509)
    assert row["volume"] == 93_499_000 and row["amount"] == 47_337_359.0 and row["turnover"] == 5.86


@pytest.mark.parametrize("encoding, newline, header, order, unit", [
    ("utf-8", "\n", ZH, ZH_ORDER, "lots"),
    ("utf-8-sig", "\r\n", ZH, ZH_ORDER, "lots"),
    ("gbk", "\n", ZH, ZH_ORDER, "lots"),
    ("utf-8", "\r", EN, EN_ORDER, "lots"),
    ("gbk", "\r", ZH.replace("成交量", "成交量(手)"), ZH_ORDER, "shares"),  # unit in the header
    ("utf-8-sig", "\n", "Date,OPEN,HIGH,LOW,CLOSE,VOLUME,AMT,TURN", EN_ORDER, "lots"),
])
def test_read_price_file_encodings_and_headers(tmp_path, encoding, newline, header, order, unit):
    path = tmp_path / "562800.csv"
    path.write_bytes(newline.join(_lines(header, order)).encode(encoding) + newline.encode())
    _check(read_price_file(path, volume_unit=unit))


def test_read_price_file_shares_by_default_and_title_lines(tmp_path):
    path = tmp_path / "my export.csv"
    lines = [",562800 稀土ETF,,,,,,", ",562800.SH,,,,,,"] + _lines(EN, EN_ORDER, lots=False)
    path.write_bytes("\r".join(lines).encode("utf-8-sig"))
    _check(read_price_file(path, symbol="562800"))


def test_read_price_file_parquet(tmp_path):
    frame = pd.DataFrame({"open": ROWS["开盘"].to_numpy(), "high": ROWS["最高"].to_numpy(),
                          "low": ROWS["最低"].to_numpy(), "close": ROWS["收盘"].to_numpy(),
                          "volume": ROWS["成交量"].to_numpy() * 100, "amount": ROWS["成交额"].to_numpy(),
                          "turnover": ROWS["换手率"].to_numpy()},
                         index=pd.DatetimeIndex(pd.to_datetime(ROWS["日期"]), name="date"))
    frame.to_parquet(tmp_path / "562800.parquet")
    _check(read_price_file(tmp_path / "562800.parquet"))
    frame.reset_index().rename(columns={"date": "日期"}).to_parquet(tmp_path / "562800b.parquet")
    _check(read_price_file(tmp_path / "562800b.parquet", symbol="562800"))


def test_local_file_provider(tmp_path):
    (tmp_path / "562800.csv").write_text("\n".join(_lines(EN, EN_ORDER, lots=False)), encoding="utf-8")
    bars = LocalFileProvider(tmp_path).daily("sh562800", start="2025-06-04", end="2025-06-05")
    assert list(bars.index) == [D("2025-06-04"), D("2025-06-05")] and bars.attrs["adjustment"] == "qfq"
    with pytest.raises(ProviderError, match="no local file"):
        LocalFileProvider(tmp_path).daily("510300")


def _bad(tmp_path: Path, name: str, text: str, *needles: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError) as exc:
        read_price_file(path)
    _one_line(exc, name, *needles)


def test_read_price_file_rejects_bad_files(tmp_path):
    good = _lines(EN, EN_ORDER, lots=False)
    _bad(tmp_path, "empty.csv", "", "empty file")
    _bad(tmp_path, "header_only.csv", EN + "\n", "no data rows")
    _bad(tmp_path, "no_close.csv", "\n".join(line.rsplit(",", 4)[0] for line in good), "no close column")
    _bad(tmp_path, "no_date.csv", "\n".join(line.split(",", 1)[1] for line in good), "no date column")
    _bad(tmp_path, "dup.csv", "\n".join(good + [good[-1]]), "2025-06-09", "duplicate date")
    negative = good[:3] + [good[3].replace("0.51,", "-0.51,", 1)] + good[4:]
    _bad(tmp_path, "negative.csv", "\n".join(negative), "must be > 0")
    _bad(tmp_path, "baddate.csv", "\n".join(good + ["2025-13-45,1,1,1,1,1,1,1"]), "unparseable date '2025-13-45'")


def test_read_real_wind_export_with_bom_cr_and_title_lines(shared_data):
    bars = read_price_file(shared_data / "wind_export_phbs" / "881001.csv")  # BOM, CR-only, 3 title lines
    assert bars.attrs["symbol"] == "881001" and bars.index[0] == D("2007-01-04")
    assert bars.loc[D("2020-03-18"), "close"] == 4031.7937 and bars.loc[D("2020-03-18"), "turnover"] == 1.4054


@pytest.mark.parametrize("text, reason", [
    ("akshare fund_etf_hist_em('159001') failed after 3 attempts (ConnectionError: HTTPSConnectionPool(host='x', "
     "port=443): Max retries exceeded with url: /api (Caused by NameResolutionError(\"Failed to resolve\")))",
     "network unreachable"),
    ("akshare fund_etf_hist_em('510300') failed after 1 attempts (TimeoutError: fund_etf_hist_em did not answer "
     "within 10 s)", "timeout after 10 s"),
    ("failed after 3 attempts (HTTPError: 404 Client Error: Not Found for url: https://x/y)", "HTTP 404"),
    ("ConnectionError: HTTPSConnectionPool(host='x', port=443): Read timed out. (read timeout=15)",
     "timeout after 15 s"),
    ("yfinance returned no rows for 159001.SZ (offline, unknown ticker or empty range)", "no data"),
    ("something odd happened " + "x" * 200, "something odd happened " + "x" * 36 + "…"),
])
def test_short_reasons_of_provider_failures(text, reason):
    from quantkit.data.providers.base import short_reason

    assert short_reason(text) == reason


def test_one_reason_per_symbol_when_providers_agree():
    from quantkit.data.providers.base import ProvidersFailed

    err = ProvidersFailed([("akshare", "ConnectionError: Max retries exceeded " + "x" * 900),
                           ("yfinance", "yfinance returned no rows for 159001.SZ")])
    assert str(err) == "network unreachable" and len(err.detail) > 900
    err = ProvidersFailed([("akshare", "HTTPError: 503 Server Error"), ("yfinance", "TimeoutError: did not answer within 20 s")])
    assert str(err) == "akshare: HTTP 503; yfinance: timeout after 20 s"
