"""`quantkit signal`: keys, figures as of a past date, bad input, and a light import path."""

import json
import subprocess
import sys

import pytest

import quantkit as qk
from conftest import run_cli as run

KEYS = {"symbol", "name", "as_of", "close", "ma_short", "ma_long", "distance", "regime", "profit_effect",
        "market", "quadrant", "data"}
MARKET_KEYS = {"index", "regime", "distance", "profit_effect", "pe_percentile", "pb_percentile", "valuation", "position"}


@pytest.fixture(scope="module")
def as_of_2026_01_23():
    from quantkit.app.signal import signal

    return signal("562800", as_of="2026-01-23").to_dict()


def test_json_has_every_key(capsys):
    code, out, _ = run(capsys, "signal", "--etf", "560860", "--json")
    sig = json.loads(out)
    assert code == 0 and KEYS <= set(sig) and MARKET_KEYS <= set(sig["market"])
    assert {"source", "last_date", "stale_days"} <= set(sig["data"])
    assert sig["symbol"] == "560860" and sig["name"] == "工业有色ETF" and sig["as_of"] == "2026-05-07"


def test_as_of_uses_the_market_state_of_that_day(as_of_2026_01_23):
    sig = as_of_2026_01_23
    m = sig["market"]
    assert sig["as_of"] == "2026-01-23"
    assert m["index"] == "000985" and m["regime"] == "up"
    assert m["distance"] == pytest.approx(6154.35 / 5776.39 - 1, abs=2e-5)  # +6.54 %
    assert m["position"] == pytest.approx(0.80)  # up, normal valuation (PE pct 0.764, PB pct 0.511)
    timing = qk.timing_regime(qk.load_prices("562800", end="2026-01-23").close).iloc[-1]
    assert sig["distance"] == pytest.approx(timing["distance"]) and sig["regime"] == timing["regime"]
    assert sig["quadrant"] in (1, 2, 3, 4)


def test_weekend_as_of_resolves_to_the_last_session(capsys):
    code, out, _ = run(capsys, "signal", "--etf", "562800", "--as-of", "2026-01-24", "--json")
    assert code == 0 and json.loads(out)["as_of"] == "2026-01-23"


def test_readable_table(capsys):
    code, out, _ = run(capsys, "signal", "--etf", "562800", "--as-of", "2026-01-23")
    assert code == 0
    assert "562800 稀有金属ETF — as of 2026-01-23" in out
    assert "suggested equity position" in out and "80%" in out


@pytest.mark.parametrize("argv, words", [
    (["--etf", "999999"], "unknown code 999999"),
    (["--etf", "56O860"], "malformed symbol"),
    (["--etf", "562800", "--as-of", "2019-01-02"], "before 562800's data starts (2021-09-27)"),
    (["--etf", "562800", "--as-of", "2026-11-30"], "after the last bar of 562800's data (2026-09-24)"),
    (["--etf", "562800", "--as-of", "2099-01-01"], "in the future"),
    (["--etf", "562800", "--as-of", "friday"], "is not a date"),
])
def test_bad_input_exits_non_zero_with_one_line(capsys, argv, words):
    code, out, err = run(capsys, "signal", *argv)
    assert code != 0 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1


def test_signal_path_imports_no_heavy_library():
    code = ("import sys; from quantkit.cli.main import main; main(['signal','--etf','560860','--json']);"
            "print(sorted(m for m in ('vectorbt','plotly','akshare','yfinance','numba','statsmodels') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_an_index_is_not_an_etf(capsys):
    code, out, err = run(capsys, "signal", "--etf", "000985")
    assert code == 2 and "000985 is an index, not an ETF" in err
