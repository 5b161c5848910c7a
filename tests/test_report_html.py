"""The backtest HTML report as a file: standalone (no external request), plotly.js once, escaped text,
sections following the model outputs present, percentages, atomic writes, the trade-list cap.

Results are assembled from real snapshot prices and real model outputs without the simulator
(a daily-rebalanced weight times the close-to-close return), so these tests stay fast; the
browser tests render the reports of real backtests.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from quantkit.backtest.metrics import summarize
from quantkit.backtest.result import BacktestResult

EVIL = "<script>alert(1)</script>"


class Page(HTMLParser):
    """Tags, URL attributes, script bodies and text of an HTML document."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.h1: list[str] = []
        self._in_script = self._in_h1 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data", "srcset", "formaction") and value:
                self.urls.append((tag, name, value))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        self._in_h1 = tag == "h1" or self._in_h1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)
            if self._in_h1:
                self.h1.append(data)


def _trades(weights: pd.Series, close: pd.Series, equity: pd.Series, symbol: str) -> pd.DataFrame:
    change = weights.diff().fillna(weights)
    rows = [{"date": d, "symbol": symbol, "side": "buy" if dw > 0 else "sell",
             "shares": float(round(abs(dw) * equity[d] / close[d], -2)), "price": float(close[d]),
             "value": float(abs(dw) * equity[d]), "fee": 5.0} for d, dw in change.items() if abs(dw) > 1e-12]
    return pd.DataFrame(rows, columns=["date", "symbol", "side", "shares", "price", "value", "fee"])


def make_result(weights: pd.DataFrame, closes: pd.DataFrame, *, strategy: str, kind: str | None,
                names: dict | None = None, model=None, sections: dict | None = None) -> BacktestResult:
    """A BacktestResult of daily-rebalanced ``weights`` (decided at each close, applied to the next return)."""
    from quantkit import __version__

    rets = closes.pct_change().fillna(0.0)
    held = weights.shift(1).fillna(0.0)
    returns = (held * rets).sum(axis=1).rename("returns")
    equity = (1_000_000.0 * (1 + returns).cumprod()).rename("equity")
    bench_r = rets.mean(axis=1)
    bench_r.iloc[0] = 0.0
    bench_equity = (1_000_000.0 * (1 + bench_r).cumprod()).rename("benchmark_equity")
    trades = pd.concat([_trades(weights[s], closes[s], equity, s) for s in weights.columns], ignore_index=True)
    trades = trades.sort_values("date", kind="stable").reset_index(drop=True)
    params = {"execution": {"execution": "next_open", "threshold": 0.0}, "costs": {"commission": 0.0002}}
    if kind:
        params["strategy"] = {"name": strategy, "kind": kind, "description": f"{strategy} description",
                              "signal": {"index": "self", "short": 20, "long": 120, "band": 0.03}}
    return BacktestResult(
        equity=equity, returns=returns, positions=weights * 0, weights=weights, target_weights=weights,
        trades=trades, metrics=summarize(returns, bench_r, trades, weights, equity), benchmark_equity=bench_equity,
        benchmark_metrics=summarize(bench_r), params=params, symbols=tuple(weights.columns),
        names=names or {s: "" for s in weights.columns}, start=equity.index[0], end=equity.index[-1],
        data_fingerprint="f" * 64, version=__version__, strategy=strategy, benchmark_name="buy & hold",
        prices={s: closes[[s]].rename(columns={s: "close"}) for s in closes.columns}, model=model, kind=kind or "",
        sections=sections or {})


@pytest.fixture(scope="module")
def timing_result() -> BacktestResult:
    """562800 timed by its own MA-distance regime over 2024-2025 (real prices, real timing frame)."""
    from quantkit.data.api import load_prices
    from quantkit.models import RegimeWeights, TimingFrame, TimingParams, timing_regime

    close = load_prices("562800")["close"]
    frame = timing_regime(close).loc["2024-01-02":"2025-12-31"]
    weights = frame["regime"].map({"up": 1.0, "range": 0.5, "down": 0.0}).astype(float).fillna(0.0)
    closes = close.loc[frame.index].to_frame("562800")
    return make_result(weights.to_frame("562800"), closes, strategy="ma_timing", kind="timing",
                       names={"562800": "稀有金属ETF"}, model=TimingFrame(frame, weights.to_frame("562800"), "562800"),
                       sections={"signal": TimingParams(index="self"), "weights": RegimeWeights()})


@pytest.fixture(scope="module")
def rotation_result() -> BacktestResult:
    """Three theme ETFs held equally from a real quadrant table; holdings and quadrants as extras."""
    from quantkit.data.api import load_prices
    from quantkit.app.signal import quadrant_table

    codes = ("562800", "560860", "512480")
    closes = pd.DataFrame({c: load_prices(c, start="2025-06-02", end="2025-12-31")["close"] for c in codes}).dropna()
    table = quadrant_table(closes.index[-1], codes)
    weights = pd.DataFrame(1 / 3, index=closes.index, columns=list(codes))
    from quantkit.models import RegimeWeights, RotationParams, RotationState, TimingParams

    holdings = pd.Series({closes.index[-1]: list(codes[:2])}, name="holdings", dtype=object)
    return make_result(weights, closes, strategy="rotation", kind="rotation",
                       names={"562800": "稀有金属ETF", "560860": "工业有色ETF", "512480": "半导体ETF"},
                       model=RotationState(weights, holdings, table),
                       sections={"rotation": RotationParams(), "signal": TimingParams(), "weights": RegimeWeights()})


@pytest.fixture(scope="module")
def timing_html(timing_result, tmp_path_factory) -> str:
    from quantkit.report import write_html

    path = write_html(timing_result, tmp_path_factory.mktemp("report") / "timing.html")
    return path.read_text(encoding="utf-8")


def test_no_external_requests(timing_html):
    page = Page(timing_html)
    assert page.urls, "the table of contents links are parsed"
    external = [u for u in page.urls if re.match(r"^\s*(https?:)?//", u[2], re.I)]
    assert external == []
    assert all(u[2].startswith("#") for u in page.urls if u[1] == "href")
    assert "link" not in page.tags and "iframe" not in page.tags and "img" not in page.tags
    styles = re.findall(r"<style>(.*?)</style>", timing_html, re.S)
    assert styles and not any(re.search(r"@import|url\(", s) for s in styles)


def test_plotly_js_embedded_once_compressed_and_every_chart_drawn_from_its_json(timing_html):
    import base64
    import gzip
    import json

    from plotly.offline import get_plotlyjs_version

    page = Page(timing_html)
    packed = [re.search(r'var packed = "([A-Za-z0-9+/=]+)"', s) for s in page.scripts]
    packed = [m.group(1) for m in packed if m]
    assert len(packed) == 1  # plotly.js once, inside the page
    js = gzip.decompress(base64.b64decode(packed[0])).decode("utf-8")
    assert f"plotly.js (cartesian - minified) v{get_plotlyjs_version()}" in js[:200]  # made for these figures
    assert "DecompressionStream('gzip')" in timing_html and len(timing_html) < 2_000_000
    assert not any("src" == name for tag, name, _ in page.urls if tag == "script")
    charts = re.findall(r'<div id="(chart-[a-z-]+)" class="plotly-graph-div"', timing_html)
    assert len(charts) == len(set(charts)) >= 8
    data = dict(re.findall(r'<script type="application/json" data-chart="([a-z-]+)">(.*?)</script>', timing_html, re.S))
    assert sorted(data) == sorted(charts)
    assert all(json.loads(text)["data"] for text in data.values())
    assert sum("Plotly.newPlot" in s for s in page.scripts) == 1  # the loader draws them all


def test_header_metrics_and_percentages(timing_result, timing_html):
    page = Page(timing_html)
    text = " ".join(page.text)
    assert "".join(page.h1).strip() == "ma_timing"
    assert "稀有金属ETF" in text and "562800" in text
    assert f"{timing_result.start.date()} to {timing_result.end.date()}" in text
    total = timing_result.metrics["total_return"]
    assert f"{total * 100:.2f}%" in text
    assert f"{timing_result.benchmark_metrics['max_drawdown'] * 100:.2f}%" in text
    assert "signal.band" in text and "3%" in text
    assert 'class="metrics"' in timing_html and 'meta charset="utf-8"' in timing_html
    assert "f" * 64 in text  # data fingerprint in the footer
    # sections follow the model outputs: a timing report has the timing section only
    assert 'id="timing"' in timing_html and 'id="position"' not in timing_html and 'id="rotation"' not in timing_html
    assert 'id="chart-timing-distance"' in timing_html and 'id="chart-trades"' in timing_html


def test_worst_drawdowns_table_matches_metrics(timing_result, timing_html):
    from quantkit.backtest.metrics import drawdown_table

    worst = drawdown_table(timing_result.returns, top=5)
    body = re.search(r'<table class="drawdowns compact">(.*?)</table>', timing_html, re.S).group(1)
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\d{4}-\d\d-\d\d)</td>", body)
    assert len(rows) == min(5, len(worst))
    assert rows[0] == (str(worst["peak"][0].date()), str(worst["trough"][0].date()))
    assert f"{worst['depth'][0] * 100:.2f}%" in body


def test_names_are_escaped(rotation_result, tmp_path):
    from quantkit.report import write_html

    evil = replace(rotation_result, strategy=EVIL, names={s: f"{EVIL} {s}" for s in rotation_result.symbols})
    html = write_html(evil, tmp_path / "evil.html").read_text(encoding="utf-8")
    page = Page(html)
    assert EVIL not in html  # never as raw markup, anywhere in the file
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    assert "".join(page.h1).strip() == EVIL
    escaped = ("\\u003cscript\\u003e", "&lt;script&gt;", "\\u0026lt;script\\u0026gt;")
    assert not any("alert(1)" in s and not any(e in s for e in escaped) for s in page.scripts)
    assert page.tags.count("script") == 1 + html.count('class="plotly-graph-div"')


def test_rotation_section_from_the_model_output(rotation_result, tmp_path):
    from quantkit.report import write_html

    html = write_html(rotation_result, tmp_path / "rotation.html").read_text(encoding="utf-8")
    assert 'id="rotation"' in html and 'id="chart-rotation-quadrants"' in html and 'id="chart-rotation-holdings"' in html
    table = rotation_result.model.table
    for code in table.index:
        assert f"<td>{code}</td>" in html
    assert "工业有色ETF ●" in html and "半导体ETF ●" not in html  # held after the last rebalance


def test_a_result_without_a_model_leaves_model_sections_out(timing_result, tmp_path):
    from quantkit.report import write_html

    bare = replace(timing_result, model=None, kind="", sections={}, params={})
    html = write_html(bare, tmp_path / "bare.html").read_text(encoding="utf-8")
    for section in ("timing", "position", "rotation"):
        assert f'id="{section}"' not in html
    assert 'id="metrics"' in html and 'id="chart-equity"' in html


def test_trade_list_is_capped(timing_result, tmp_path):
    from quantkit.report import write_html
    from quantkit.report.html import MAX_TRADE_ROWS

    many = pd.concat([timing_result.trades] * (MAX_TRADE_ROWS // max(len(timing_result.trades), 1) + 2),
                     ignore_index=True)
    assert len(many) > MAX_TRADE_ROWS
    html = write_html(replace(timing_result, trades=many), tmp_path / "many.html").read_text(encoding="utf-8")
    body = re.search(r'<table class="trades compact">(.*?)</table>', html, re.S).group(1)
    assert body.count("<tr>") == MAX_TRADE_ROWS + 1  # header row + capped body
    assert f"Showing the last {MAX_TRADE_ROWS} of {len(many)} orders" in html


def test_write_is_atomic_and_replaces(timing_result, tmp_path):
    from quantkit.report import write_html

    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    returned = write_html(timing_result, target)
    assert returned == target and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temporary file left


def test_chart_helpers():
    from quantkit.report.charts import monthly_returns, regime_segments, rolling_sharpe, yearly_returns

    idx = pd.bdate_range("2024-12-30", periods=6)
    regime = pd.Series(["up", "up", None, "down", "down", "range"], index=idx, dtype=object)
    assert regime_segments(regime) == [(idx[0], idx[2], "up"), (idx[3], idx[5], "down"), (idx[5], idx[5], "range")]
    r = pd.Series([0.01, 0.02, -0.01, 0.0, 0.03, 0.01], index=idx)
    months = monthly_returns(r)
    assert months.loc[2024, 12] == pytest.approx(1.01 * 1.02 - 1)
    assert months.loc[2025, 1] == pytest.approx(0.99 * 1.0 * 1.03 * 1.01 - 1)
    assert yearly_returns(r).loc[2025] == pytest.approx(months.loc[2025, 1])
    flat = pd.Series(np.r_[np.zeros(100), np.random.default_rng(0).normal(0, 0.01, 200)],
                     index=pd.bdate_range("2024-01-01", periods=300))
    sharpe = rolling_sharpe(flat, window=121)
    assert sharpe.iloc[:160].isna().all()  # mostly in cash: no ratio
    assert sharpe.iloc[-1] == pytest.approx(flat.iloc[-121:].mean() / flat.iloc[-121:].std() * np.sqrt(243))


def test_sweep_report(tmp_path):
    from quantkit.backtest.sweep import SweepResult
    from quantkit.report import write_sweep_html

    rows = [{"short": s, "long": lg, "band": b, "sharpe": s / lg + b, "annual_return": 0.1, "total_return": 0.3,
             "volatility": 0.2, "max_drawdown": -0.2, "calmar": 0.5, "trades": 10, "fees": 50.0, "exposure": 0.6}
            for s in (10, 20) for lg in (60, 120) for b in (0.0, 0.03)]
    table = pd.DataFrame(rows).sort_values("sharpe", ascending=False).reset_index(drop=True)
    sweep = SweepResult(table=table, walk_forward=None, combos=8, skipped=0, sessions=500,
                        start=pd.Timestamp("2022-01-04"), end=pd.Timestamp("2024-01-04"),
                        seconds={"signals": 0.1, "simulation": 0.5}, passes=2)
    html = write_sweep_html(sweep, tmp_path / "sweep.html", title=f"{EVIL} sweep").read_text(encoding="utf-8")
    page = Page(html)
    assert EVIL not in html and "chart-sweep-heatmap" in html
    assert not [u for u in page.urls if re.match(r"^\s*(https?:)?//", u[2], re.I)]
    text = " ".join(page.text)
    assert "Best 8 combinations by Sharpe" in text
    assert re.search(r'<td class="num">20</td><td class="num">60</td><td class="num">3\.0%</td><td class="num">0\.36</td>',
                     html)  # best row: 20 / 60 / 3 %, Sharpe 20/60 + 0.03


def test_research_statistics_sections(timing_result, tmp_path):
    """Bootstrap intervals in brackets and as a chart, the distribution table with its definitions, the
    benchmark's monthly heatmap and the rolling beta, and the risk-free rate in the lead text."""
    import quantstats as qs

    from quantkit.backtest.inference import backtest_intervals
    from quantkit.report import write_html

    boot = backtest_intervals(timing_result.returns, timing_result.benchmark_returns)
    html = write_html(replace(timing_result, bootstrap=boot), tmp_path / "r.html").read_text(encoding="utf-8")
    text = " ".join(Page(html).text)
    sharpe = boot["sharpe"]
    assert f"{sharpe.estimate:.2f} [{sharpe.lower:.2f}, {sharpe.upper:.2f}]" in text
    mdd = boot["max_drawdown"]
    assert f"[{mdd.lower * 100:.2f}%, {mdd.upper * 100:.2f}%]" in text
    assert "Sharpe ratio − benchmark's" in text and "risk-free rate of 0.00% a year" in text
    for key in ("bootstrap", "distribution", "monthly-benchmark", "rolling-beta"):
        assert f'id="chart-{key}"' in html
    assert 'id="distribution"' in html and 'title="parametric: normal' in html
    skew = qs.stats.skew(timing_result.benchmark_returns)
    assert re.search(rf"Skewness.*?<td class=\"num\">[^<]+</td><td class=\"num\">{skew:.2f}</td>", html, re.S)


def test_shared_plotlyjs_of_a_non_cartesian_page_is_the_full_bundle(tmp_path):
    """A chart the cartesian bundle cannot draw makes a shared page load the full plotly.js, written
    beside it once (a second page does not rewrite it) and byte for byte what the plotly package ships."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    from quantkit.report.html import plotly_js, write_shared_plotlyjs

    page = str(plotly_js([go.Figure(go.Scatterpolar(r=[1, 2], theta=[0, 90]))], "shared"))
    full = f"plotly-{get_plotlyjs_version()}.min.js"
    assert page.startswith(f'<script src="{full}"></script>')
    [path] = write_shared_plotlyjs(tmp_path, page)
    assert path.name == full and path.read_text(encoding="utf-8") == get_plotlyjs()
    stamp = path.stat().st_mtime_ns
    assert write_shared_plotlyjs(tmp_path, page) == [path] and path.stat().st_mtime_ns == stamp
    assert write_shared_plotlyjs(tmp_path, str(plotly_js([go.Figure(go.Scatter())]))) == []  # inline: nothing
