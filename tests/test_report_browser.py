"""The HTML reports rendered by a real headless Chromium with networking off.

Drives /usr/bin/chromium over the Chrome DevTools protocol (websocket): opens each report from
a file:// URL with the network emulated offline and external hosts unresolvable, then checks
that no console error or uncaught exception occurred, no request left the file, every plotly
chart was drawn (its div holds the rendered ``svg.main-svg``), the metrics table is there, and
takes a full-page screenshot into the pytest tmp dir. The backtests are real (strategy TOMLs on
the committed snapshot) and shared per module because each costs seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")]

ROOT = Path(__file__).resolve().parents[1]
EVIL = "<script>alert(1)</script>"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--window-size=1400,4000",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-port=0"]


class Browser:
    """A headless Chromium driven over the DevTools protocol (flattened target sessions)."""

    def __init__(self, profile: Path):
        from websockets.sync.client import connect

        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # the machine's clock (tests/clock_ahead.py)
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        url = f"ws://127.0.0.1:{port}{path}"
        try:
            self.ws = connect(url, max_size=None, open_timeout=20, legacy=True)
        except TypeError:  # websockets without the legacy flag connects directly anyway
            self.ws = connect(url, max_size=None, open_timeout=20)
        self.next_id = 0
        self.events: list[dict] = []
        self.dismissed = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        """Send one command and return its result; events arriving meanwhile are kept."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.events.append(json.loads(self.ws.recv(timeout=left)))
            except TimeoutError:
                return

    def dismiss_dialogs(self, session: str) -> None:
        """Dismiss JavaScript dialogs (a dialog blocks the page); they stay recorded as events."""
        dialogs = [e for e in self.events if e.get("method") == "Page.javascriptDialogOpening"
                   and e.get("sessionId") == session]
        for _ in dialogs[self.dismissed:]:
            self.send("Page.handleJavaScriptDialog", {"accept": False}, session=session)
        self.dismissed = max(self.dismissed, len(dialogs))

    def wait_event(self, method: str, session: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            self.dismiss_dialogs(session)
            for ev in self.events:
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return ev
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self.pump(0.2)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 — closing is best effort
            pass
        try:
            self.ws.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


_STATE_JS = """JSON.stringify({
  charts: document.querySelectorAll('.plotly-graph-div').length,
  ids: Array.from(document.querySelectorAll('.plotly-graph-div')).map(d => d.id),
  drawn: Array.from(document.querySelectorAll('.plotly-graph-div'))
              .filter(d => d.querySelector('svg.main-svg')).length,
  undrawn: Array.from(document.querySelectorAll('.plotly-graph-div'))
              .filter(d => !d.querySelector('svg.main-svg')).map(d => d.id),
  metricsRows: document.querySelectorAll('table.metrics tbody tr').length,
  h1: (document.querySelector('h1') || {}).textContent,
  sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
  quadrantText: (document.getElementById('chart-rotation-quadrants') || {}).textContent || '',
  height: document.documentElement.scrollHeight,
  ready: document.readyState
})"""


_LOG_TOGGLE_JS = """(async () => {
  const gd = document.getElementById('chart-equity');
  if (!gd) return null;
  const buttons = gd.querySelectorAll('.updatemenu-button');
  const types = [gd.layout.yaxis.type || 'linear'];
  for (const i of [1, 0]) {
    buttons[i].dispatchEvent(new MouseEvent('click', {bubbles: true}));
    await new Promise(r => setTimeout(r, 300));
    types.push(gd.layout.yaxis.type);
  }
  return types;
})()"""


def render(browser: Browser, page: Path, shot: Path, settle: float = 1.0) -> dict:
    """Open ``page`` offline, wait until every chart is drawn, screenshot it; the page's state and events."""
    browser.dismissed = 0
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                          "uploadThroughput": -1}, session=session)
        start = len(browser.events)
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_event("Page.loadEventFired", session, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            state = json.loads(browser.send("Runtime.evaluate", {"expression": _STATE_JS, "returnByValue": True},
                                            session=session)["result"]["value"])
            if state["ready"] == "complete" and state["charts"] and state["drawn"] == state["charts"]:
                break
            if time.monotonic() > deadline:
                break
            browser.pump(0.3)
        browser.pump(settle)
        browser.dismiss_dialogs(session)
        height = min(int(state["height"]), 16000)
        png = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                      "clip": {"x": 0, "y": 0, "width": 1400, "height": height,
                                                               "scale": 1}}, session=session, timeout=120)
        import base64

        shot.write_bytes(base64.b64decode(png["data"]))
        state["log_axis"] = browser.send("Runtime.evaluate", {"expression": _LOG_TOGGLE_JS, "returnByValue": True,
                                                             "awaitPromise": True}, session=session)["result"]["value"]
        events = [e for e in browser.events[start:] if e.get("sessionId") == session]
        state["events"] = events
        return state
    finally:
        browser.send("Target.closeTarget", {"targetId": target})


def problems(events: list[dict]) -> dict[str, list]:
    """Console errors, uncaught exceptions, dialogs and non-file requests among the page's events."""
    out: dict[str, list] = {"console": [], "exceptions": [], "dialogs": [], "requests": []}
    for ev in events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out["console"].append([a.get("value", a.get("description")) for a in params.get("args", [])])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            out["console"].append(params["entry"].get("text"))
        elif method == "Runtime.exceptionThrown":
            out["exceptions"].append(params.get("exceptionDetails", {}).get("text"))
        elif method == "Page.javascriptDialogOpening":
            out["dialogs"].append(params.get("message"))
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            if not url.startswith(("file:", "data:", "blob:", "about:")):
                out["requests"].append(url)
    return out


# --------------------------------------------------------------------------------------------
# real backtests of the three strategy kinds (module-scoped: seconds each)
# --------------------------------------------------------------------------------------------

#: the research statistics every backtest report draws
RESEARCH_CHARTS = ("chart-bootstrap", "chart-distribution", "chart-monthly-benchmark", "chart-rolling-beta")

STRATEGY_RUNS = {
    "timing": ("ma_timing.toml", {}),
    "position": ("valuation_position.toml", {"start": "2019-01-02"}),
    "rotation": ("quadrant_rotation.toml", {"start": "2025-09-01"}),
}


@pytest.fixture(scope="module")
def results():
    from quantkit.backtest import run_strategy

    return {kind: run_strategy(ROOT / "strategies" / toml, **kw) for kind, (toml, kw) in STRATEGY_RUNS.items()}


@pytest.mark.parametrize("kind", list(STRATEGY_RUNS))
def test_backtest_report_renders_offline(browser, results, kind, tmp_path):
    from quantkit.report import write_html

    page = write_html(results[kind], tmp_path / f"{kind}.html")
    shot = tmp_path / f"{kind}.png"
    state = render(browser, page, shot)
    found = problems(state["events"])
    assert found == {"console": [], "exceptions": [], "dialogs": [], "requests": []}
    assert state["charts"] >= 11, state
    assert state["drawn"] == state["charts"], f"charts not drawn: {state['undrawn']}"
    assert set(RESEARCH_CHARTS) <= set(state["ids"]), state["ids"]
    assert state["metricsRows"] >= 30  # the key metrics and the distribution statistics
    assert "distribution" in state["sections"]
    assert kind in state["sections"] and "metrics" in state["sections"] and "tradelist" in state["sections"]
    others = {"timing", "position", "rotation"} - {kind}
    if kind != "rotation":
        assert not others & set(state["sections"])
    assert state["log_axis"] == ["linear", "log", "linear"]  # the equity chart's Linear / Log buttons work
    assert shot.stat().st_size > 50_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")


def test_hostile_names_render_as_text(browser, results, tmp_path):
    """A strategy and ETF names holding a script tag are shown literally and never run."""
    from dataclasses import replace

    from quantkit.report import write_html

    rot = results["rotation"]
    evil = replace(rot, strategy=EVIL, names={s: f"{EVIL}{s}" for s in rot.symbols})
    page = write_html(evil, tmp_path / "evil.html")
    state = render(browser, page, tmp_path / "evil.png", settle=0.5)
    found = problems(state["events"])
    assert found["dialogs"] == [] and found["exceptions"] == [] and found["console"] == []
    assert state["h1"] == EVIL
    assert state["drawn"] == state["charts"]
    assert f"{EVIL}562800" in state["quadrantText"]  # plotly labels show the name literally too


def test_weekly_report_renders_offline(browser, tmp_path):
    from quantkit.app.weekly import build_weekly, write_weekly

    out = write_weekly(build_weekly("2026-01-23"), tmp_path / "weekly")
    state = render(browser, out.html, tmp_path / "weekly.png", settle=0.5)
    assert problems(state["events"]) == {"console": [], "exceptions": [], "dialogs": [], "requests": []}
    assert state["charts"] == 1 and state["drawn"] == 1
    assert state["h1"] == "Weekly signal report — 2026-01-23"
    assert {"market", "changes", "quadrants", "watchlist"} <= set(state["sections"])


def test_sweep_report_with_robustness_panel_renders_offline(browser, tmp_path):
    from quantkit.backtest import sweep_strategy
    from quantkit.report import write_sweep_html

    grid = {"short": [10, 20, 40], "long": [60, 120, 250], "band": [0.0, 0.03]}
    res = sweep_strategy(ROOT / "strategies" / "ma_timing.toml", grid, etf="562800")
    page = write_sweep_html(res, tmp_path / "sweep.html", title="ma_timing sweep")
    state = render(browser, page, tmp_path / "sweep.png", settle=0.5)
    assert problems(state["events"]) == {"console": [], "exceptions": [], "dialogs": [], "requests": []}
    assert set(state["ids"]) == {"chart-sweep-heatmap", "chart-sweep-pbo", "chart-sweep-is-oos"}
    assert state["drawn"] == state["charts"] == 3, state["undrawn"]
    assert "robustness" in state["sections"]


def test_shared_plotlyjs_pages_render_offline(browser, results, tmp_path):
    """Two weekly reports and a backtest report in one folder, loading the plotly.js files written beside
    them (cartesian for the weekly pages, the full bundle for none of these: all their charts are cartesian)."""
    from quantkit.app.weekly import build_weekly, write_weekly
    from quantkit.report import write_html

    folder = tmp_path / "reports"
    pages = [write_weekly(build_weekly(d), folder, plotlyjs="shared").html for d in ("2026-01-16", "2026-01-23")]
    pages.append(write_html(results["timing"], folder / "timing.html", plotlyjs="shared"))
    bundle = _shared_bundle_of_cartesian_pages()
    assert sorted(p.name for p in folder.glob("*.js")) == [bundle]
    for page in pages:
        state = render(browser, page, tmp_path / f"{page.stem}.png", settle=0.5)
        assert problems(state["events"]) == {"console": [], "exceptions": [], "dialogs": [], "requests": []}
        assert state["charts"] >= 1 and state["drawn"] == state["charts"], (page.name, state["undrawn"])
        loaded = [e["params"]["request"]["url"] for e in state["events"]
                  if e.get("method") == "Network.requestWillBeSent"]
        assert any(u.endswith(f"/{bundle}") for u in loaded), loaded


def _shared_bundle_of_cartesian_pages() -> str:
    """``plotly-cartesian-<v>.min.js`` while the shipped bundle is of the plotly package's plotly.js
    version, else the full ``plotly-<v>.min.js`` (the file name follows the installed plotly release)."""
    from quantkit.report.html import bundle_file_name, cartesian_bundle_fits

    return bundle_file_name(cartesian_bundle_fits(()))
