"""The weekly report: numbers equal ``quantkit signal --json``, deterministic re-runs, changes since the
previous report on two consecutive real weeks, the as-of rules, locking, the CLI and its exit codes."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_cli
from quantkit.cli.main import main

AS_OF, PREVIOUS = "2026-01-23", "2026-01-16"
ETF_FIELDS = ("close", "ma_short", "ma_long", "distance", "regime", "profit_effect", "rise", "crowding", "quadrant",
              "quadrant_reason")


@pytest.fixture(scope="module")
def weeks(tmp_path_factory) -> dict:
    """Reports of two consecutive weeks written into one folder, the earlier first."""
    from quantkit.app.weekly import build_weekly, write_weekly

    folder = tmp_path_factory.mktemp("weekly")
    first = write_weekly(build_weekly(PREVIOUS), folder)
    second = write_weekly(build_weekly(AS_OF), folder)
    return {"folder": folder, "first": first, "second": second}


def _signal_json(capsys, etf: str, as_of: str) -> dict:
    capsys.readouterr()
    assert main(["signal", "--etf", etf, "--as-of", as_of, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("etf", ["560860", "512480"])
def test_numbers_equal_signal_json(weeks, capsys, etf):
    report = json.loads(weeks["second"].json.read_text(encoding="utf-8"))
    sig = _signal_json(capsys, etf, AS_OF)
    row = next(r for r in report["watchlist"] if r["symbol"] == etf)
    assert sig["as_of"] == report["as_of"] == AS_OF
    assert {k: row[k] for k in ETF_FIELDS} == {k: sig[k] for k in ETF_FIELDS}
    assert row["name"] == sig["name"] and row["quadrant"] in (1, 2, 3, 4)
    assert report["market"] == sig["market"]


def test_week_return_is_last_five_sessions(weeks):
    from quantkit.data.api import load_prices

    report = weeks["second"].report
    row = next(r for r in report["watchlist"] if r["symbol"] == "562800")
    close = load_prices("562800")["close"].loc[:AS_OF]
    assert row["week_return"] == pytest.approx(close.iloc[-1] / close.iloc[-6] - 1)
    assert row["last_date"] == AS_OF


def test_files_named_by_as_of_and_consistent(weeks):
    out = weeks["second"]
    assert {p.name for p in (out.html, out.md, out.json)} == {f"weekly-{AS_OF}.{x}" for x in ("html", "md", "json")}
    on_disk = json.loads(out.json.read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(out.report))
    md = out.md.read_text(encoding="utf-8")
    assert md.startswith(f"# Weekly signal report — {AS_OF}") and f"## Changes since {PREVIOUS}" in md
    assert all(c["text"] in md for c in on_disk["changes"])


def _independent_changes(prev: dict, cur: dict) -> set[tuple]:
    """Regime flips, quadrant moves and market changes computed straight from two report JSONs."""
    out = set()
    for f in ("regime", "effective_regime", "valuation", "position"):
        if prev["market"][f] != cur["market"][f]:
            out.add((cur["market"]["index"], f, prev["market"][f], cur["market"][f]))
    before = {r["symbol"]: r for r in prev["watchlist"]}
    for r in cur["watchlist"]:
        for f in ("regime", "quadrant"):
            if before[r["symbol"]][f] != r[f]:
                out.add((r["symbol"], f, before[r["symbol"]][f], r[f]))
    return out


def test_changes_since_previous_week(weeks):
    prev = json.loads(weeks["first"].json.read_text(encoding="utf-8"))
    cur = json.loads(weeks["second"].json.read_text(encoding="utf-8"))
    assert prev["previous_as_of"] is None and prev["changes"] == []
    assert cur["previous_as_of"] == PREVIOUS
    expected = _independent_changes(prev, cur)
    got = {(c["symbol"], c["field"], c["from"], c["to"]) for c in cur["changes"]}
    assert expected and got == expected
    assert len(cur["changes"]) == len(expected)


def test_rerun_same_date_is_idempotent(weeks, tmp_path):
    from quantkit.app.weekly import build_weekly, write_weekly

    folder = weeks["folder"]
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".md")}
    again = write_weekly(build_weekly(AS_OF), folder, now=datetime(2030, 1, 1, tzinfo=timezone.utc))
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".json", ".md")}
    assert after == before
    assert again.previous_as_of == PREVIOUS  # never compared with itself
    # the HTML differs only by its generation time
    one = write_weekly(again.report, tmp_path / "a", now=datetime(2030, 1, 1, tzinfo=timezone.utc)).html
    two = write_weekly(again.report, tmp_path / "b", now=datetime(2031, 6, 2, tzinfo=timezone.utc)).html
    a, b = one.read_text(encoding="utf-8"), two.read_text(encoding="utf-8")
    assert a != b and a.replace("2030-01-01", "X") == b.replace("2031-06-02", "X")


def test_previous_is_newest_earlier_report(weeks, tmp_path):
    import shutil

    from quantkit.app.weekly import previous_report

    folder = tmp_path / "mixed"
    folder.mkdir()
    for out in (weeks["first"], weeks["second"]):
        shutil.copy(out.json, folder / out.json.name)
    (folder / "weekly-2026-01-20.json").write_text("{ partial", encoding="utf-8")  # unreadable: skipped
    assert previous_report(folder, "2026-01-30")["as_of"] == AS_OF
    assert previous_report(folder, AS_OF)["as_of"] == PREVIOUS
    assert previous_report(folder, PREVIOUS) is None


def test_last_completed_session():
    from quantkit.data.calendar import last_completed_session

    dates = pd.DatetimeIndex(["2026-01-21", "2026-01-22", "2026-01-23"])
    # 14:59 and 15:00 in Shanghai (UTC+8) on the 23rd
    assert last_completed_session(dates, datetime(2026, 1, 23, 6, 59, tzinfo=timezone.utc)) == dates[1]
    assert last_completed_session(dates, datetime(2026, 1, 23, 7, 0, tzinfo=timezone.utc)) == dates[2]
    assert last_completed_session(dates, datetime(2026, 1, 25, 2, 0, tzinfo=timezone.utc)) == dates[2]


@pytest.mark.parametrize("pinned, utc, session", [
    ("2026-01-23", "2026-01-23T10:00", "2026-01-23"),  # a day alone: 18:00 in Shanghai, after its close
    ("20260123", "2026-01-23T10:00", "2026-01-23"),
    ("2026-01-23T14:59", "2026-01-23T06:59", "2026-01-22"),  # exchange time: one minute before the close
    ("2026-01-23T15:00", "2026-01-23T07:00", "2026-01-23"),
    ("2026-01-23T06:59+00:00", "2026-01-23T06:59", "2026-01-22"), ("2026-01-23T07:00Z", "2026-01-23T07:00", "2026-01-23"),
])
def test_the_clock_is_pinned_by_quantkit_now(monkeypatch, pinned, utc, session):
    from quantkit.data.calendar import last_completed_session, now

    monkeypatch.setenv("QUANTKIT_NOW", pinned)
    assert now() == datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    dates = pd.DatetimeIndex(["2026-01-21", "2026-01-22", "2026-01-23"])
    assert last_completed_session(dates) == pd.Timestamp(session)


@pytest.mark.parametrize("zone, day", [("UTC", "2026-01-23"), ("Asia/Shanghai", "2026-01-24")])
def test_today_is_the_pinned_instant_in_the_machines_zone(monkeypatch, zone, day):
    import time

    from quantkit.data.calendar import today

    monkeypatch.setenv("QUANTKIT_NOW", "2026-01-23T23:30+00:00")  # 07:30 on the 24th in Shanghai
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert str(today()) == day
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_bad_quantkit_now_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("QUANTKIT_NOW", "next tuesday")
    code, _, err = run_cli(capsys, "signal", "--etf", "560860")
    assert code == 2 and err.strip().splitlines() == [
        "quantkit: error: QUANTKIT_NOW='next tuesday' is not a date: use YYYY-MM-DD or an ISO date-time, "
        "or unset it to use the machine's clock"], err


def test_as_of_resolves_to_last_session_on_or_before(tmp_path):
    from quantkit.app.weekly import build_weekly

    report = build_weekly("2026-01-25", universe=("562800", "560860"))  # a Sunday
    assert report["as_of"] == AS_OF and report["universe"] == ["562800", "560860"]


def test_lock_timeout_is_reported(weeks, tmp_path):
    from filelock import FileLock

    from quantkit.app.weekly import ReportLockedError, write_weekly

    folder = tmp_path / "locked"
    folder.mkdir()
    with FileLock(str(folder / ".weekly.lock")):
        with pytest.raises(ReportLockedError) as err:
            write_weekly(weeks["second"].report, folder, lock_timeout=0.2)
    assert err.value.exit_code == 4
    assert not list(folder.glob("weekly-*"))


def test_concurrent_writes_do_not_clobber(weeks, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from quantkit.app.weekly import write_weekly

    folder = tmp_path / "race"
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: write_weekly(weeks["second"].report, folder), range(4)))
    texts = {o.json.read_text(encoding="utf-8") for o in outs}
    assert len(texts) == 1 and json.loads(texts.pop())["as_of"] == AS_OF
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".weekly.lock")) == \
        [f"weekly-{AS_OF}.{x}" for x in ("html", "json", "md")]


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------

def test_cli_writes_and_logs_changes(weeks, tmp_path, capsys):
    import shutil

    out = tmp_path / "cli"
    out.mkdir()
    shutil.copy(weeks["first"].json, out / weeks["first"].json.name)
    uni = tmp_path / "universe.txt"
    uni.write_text("# theme ETFs\n" + "\n".join(weeks["second"].report["universe"]) + "\n", encoding="utf-8")
    assert main(["weekly", "--universe", str(uni), "--out", str(out), "--as-of", AS_OF]) == 0
    line = capsys.readouterr().out.strip()
    n = len(weeks["second"].report["changes"])
    assert line == f"weekly report {AS_OF}: {out / f'weekly-{AS_OF}.html'} ({n} changes since {PREVIOUS}; 1 warnings)"
    written = json.loads((out / f"weekly-{AS_OF}.json").read_text(encoding="utf-8"))
    assert written == json.loads(weeks["second"].json.read_text(encoding="utf-8"))


def test_readme_example_is_what_a_user_gets(tmp_path, capsys, monkeypatch):
    """The README's two-week example prints the line it shows (4 regime flips, 3 ETFs without a bar)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = next(line for line in readme.splitlines() if line.startswith("weekly report 2026-05-07:"))
    monkeypatch.chdir(tmp_path)
    assert main(["weekly", "--as-of", "2026-04-30"]) == 0
    assert main(["weekly", "--as-of", "2026-05-07"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == shown
    report = json.loads((tmp_path / "reports" / "weekly" / "weekly-2026-05-07.json").read_text(encoding="utf-8"))
    changes = {(c["symbol"], c["field"], c["from"], c["to"]) for c in report["changes"]}
    assert changes == _regime_flips_by_hand(report["universe"], "2026-04-30", "2026-05-07") and len(changes) == 4


def _regime_flips_by_hand(codes, before: str, after: str) -> set:
    """ETFs whose MA20/MA120 − 1 regime (±3 % band) differs between two sessions at which both have a bar."""
    from quantkit.data.api import load_prices

    def regime(close: pd.Series, day: str) -> str:
        d = close.loc[:day].iloc[-20:].mean() / close.loc[:day].iloc[-120:].mean() - 1
        return "up" if d > 0.03 else "down" if d < -0.03 else "range"

    flips = set()
    for code in codes:
        close = load_prices(code)["close"]
        if {pd.Timestamp(before), pd.Timestamp(after)} <= set(close.index) and len(close.loc[:before]) >= 120:
            old, new = regime(close, before), regime(close, after)
            if old != new:
                flips.add((code, "regime", old, new))
    return flips


def test_cli_json_on_stdout(tmp_path, capsys):
    assert main(["weekly", "--universe", "theme", "--out", str(tmp_path), "--as-of", PREVIOUS, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == json.loads((tmp_path / f"weekly-{PREVIOUS}.json").read_text(encoding="utf-8"))
    assert captured.err.strip().endswith(f"(first report in {tmp_path}; 1 warnings)")


@pytest.mark.parametrize("name, text", [
    ("u.txt", "562800, 560860  # two metals\nsh512480\n"),
    ("u.csv", "code,name\n562800,稀有金属\n\n560860.SS,工业有色\n512480,半导体\n"),
    ("u.toml", '[universe]\nsymbols = ["562800", "560860", "512480"]\n'),
])
def test_universe_file_formats(tmp_path, name, text):
    from quantkit.data.universe import read_universe

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert read_universe(str(path)) == ("562800", "560860", "512480")


@pytest.mark.parametrize("args, text, code, message", [
    (["--universe", "{dir}/bad.txt"], "562800\nxyz\n", 2, "bad.txt:2: malformed symbol 'xyz'"),
    (["--universe", "{dir}/empty.csv"], "code\n", 2, "lists no codes"),
    (["--universe", "{dir}/bad.toml"], "symbols = 562800\n", 2, "symbols must be a list"),
    (["--universe", "{dir}/missing.txt"], None, 2, "not found"),
    (["--as-of", "2099-01-01"], None, 2, "in the future"),
    (["--as-of", "yesterday-ish"], None, 2, "is not a date"),
    (["--universe", "{dir}/nodata.txt"], "562800\n159001\n", 3, "no data for 159001"),
    (["--as-of", "2026-11-30"], None, 3, "after the last bar"),
])
def test_cli_bad_input_exit_codes(tmp_path, capsys, args, text, code, message):
    if text is not None:
        name = next(a for a in args if "{dir}" in a).split("/")[-1]
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = ["weekly", "--out", str(tmp_path / "out"), *[a.format(dir=tmp_path) for a in args]]
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and err.startswith("quantkit: error:")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("weekly-*"))


def test_shared_plotlyjs_one_bundle_per_folder(weeks, tmp_path, capsys):
    """``--plotlyjs shared``: every page of the folder loads one plain plotly.js file written beside them
    (the shipped cartesian bundle, inflated), and carries no compressed copy of its own."""
    import gzip

    from quantkit.cli.output import PLOTLYJS_CHOICES
    from plotly.offline import get_plotlyjs_version

    from quantkit.report.html import CARTESIAN_BUNDLE, CARTESIAN_VERSION, PLOTLYJS_MODES

    assert PLOTLYJS_CHOICES == PLOTLYJS_MODES
    out = tmp_path / "shared"
    for as_of in (PREVIOUS, AS_OF):
        assert main(["weekly", "--out", str(out), "--as-of", as_of, "--plotlyjs", "shared"]) == 0
    capsys.readouterr()
    bundles = sorted(p.name for p in out.glob("*.js"))
    if get_plotlyjs_version() == CARTESIAN_VERSION:  # else the full bundle of the installed plotly serves
        assert bundles == [f"plotly-cartesian-{CARTESIAN_VERSION}.min.js"]
        assert (out / bundles[0]).read_bytes() == gzip.decompress(CARTESIAN_BUNDLE.read_bytes())
    else:
        assert bundles == [f"plotly-{get_plotlyjs_version()}.min.js"]
    inline = weeks["second"].html.read_text(encoding="utf-8")
    for as_of in (PREVIOUS, AS_OF):
        page = (out / f"weekly-{as_of}.html").read_text(encoding="utf-8")
        assert page.count(f'<script src="{bundles[0]}"></script>') == 1
        assert "DecompressionStream" not in page and len(page) < len(inline) - 500_000
    assert "DecompressionStream" in inline and "<script src=" not in inline
    assert json.loads((out / f"weekly-{AS_OF}.json").read_text(encoding="utf-8")) == \
        json.loads(weeks["second"].json.read_text(encoding="utf-8"))


def test_bad_plotlyjs_mode_is_one_line(tmp_path, capsys):
    from quantkit.app.weekly import write_weekly
    from quantkit.errors import ConfigError

    assert main(["weekly", "--out", str(tmp_path), "--plotlyjs", "cdn"]) == 2
    assert "invalid choice: 'cdn'" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="use one of inline, shared"):
        write_weekly({"as_of": AS_OF, "watchlist": [], "market": {}, "version": "x"}, tmp_path, plotlyjs="cdn")
    assert list(tmp_path.iterdir()) == []
