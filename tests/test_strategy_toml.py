"""Strategy TOML: schema validation, ``--set`` overrides, target-weight steps, and no look-ahead."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantkit.backtest import apply_overrides, load_strategy, parse_strategy, run_strategy
from quantkit.backtest.pipeline import build_target_weights, load_inputs, schedule, select_symbols, weekly_days
from quantkit.backtest.strategy_file import schema
from quantkit.errors import ConfigError
from conftest import MINIMAL_STRATEGY as MINIMAL

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ROOT / "strategies"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("name", ["ma_timing", "valuation_position", "quadrant_rotation"])
def test_shipped_strategies_load(name):
    s = load_strategy(STRATEGIES / f"{name}.toml")
    assert s.name == name
    assert s.kind in ("timing", "position", "rotation")


def test_shipped_strategies_say_what_the_brief_says():
    ma = load_strategy(STRATEGIES / "ma_timing.toml")
    signal, weights = ma.params["signal"], ma.params["weights"]
    assert ma.universe.symbols == ("562800",) and signal.index == "self" and ma.rebalance.frequency == "daily"
    assert (weights.up, weights.range, weights.down) == (1.0, 0.5, 0.0)
    vp = load_strategy(STRATEGIES / "valuation_position.toml")
    signal = vp.params["signal"]
    assert vp.universe.symbols == ("510300",) and signal.index == "000985" and signal.valuation_index == "000300"
    assert vp.rebalance.frequency == "weekly" and vp.execution.threshold == 0.05
    qr = load_strategy(STRATEGIES / "quadrant_rotation.toml")
    rotation = qr.params["rotation"]
    assert qr.universe.name == "theme" and rotation.top_k == 3 and rotation.preferred == (2, 3)
    assert rotation.timing_overlay is False and qr.rebalance.frequency == "weekly" and qr.benchmark.symbol is None


def test_defaults_fill_missing_keys(tmp_path):
    s = load_strategy(write(tmp_path, MINIMAL))
    signal = s.params["signal"]
    assert (signal.short, signal.long, signal.band) == (20, 120, 0.03)
    assert s.execution.lot_size == 100 and s.costs.min_commission == 5.0 and s.rebalance.frequency == "daily"


def test_unknown_key_names_section_and_key(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key \[signal\] shrot") as err:
        load_strategy(write(tmp_path, MINIMAL + "[signal]\nshrot = 5\n"))
    assert "short" in str(err.value)  # the expected keys are listed
    assert "\n" not in str(err.value)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[sginal\]"):
        load_strategy(write(tmp_path, MINIMAL + "[sginal]\nshort = 5\n"))


@pytest.mark.parametrize("line, expected", [
    ('short = "20"', r"\[signal\] short must be an integer"),
    ("band = true", r"\[signal\] band must be a number"),
    ("inclusive = 1", r"\[signal\] inclusive must be true or false"),
    ("index = 985", r"\[signal\] index must be a string"),
])
def test_wrong_types_name_the_key_and_expected_type(tmp_path, line, expected):
    with pytest.raises(ConfigError, match=expected):
        load_strategy(write(tmp_path, MINIMAL + "[signal]\n" + line + "\n"))


def test_unquoted_codes_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"\[universe\] symbols must be a list of strings"):
        load_strategy(write(tmp_path, MINIMAL.replace('["562800"]', "[562800]")))


def test_invalid_values(tmp_path):
    with pytest.raises(ConfigError, match="kind must be one of"):
        load_strategy(write(tmp_path, MINIMAL.replace('"timing"', '"momentum"')))
    with pytest.raises(ConfigError, match="short .* smaller than long"):
        load_strategy(write(tmp_path, MINIMAL + "[signal]\nshort = 120\nlong = 20\n"))
    with pytest.raises(ConfigError, match=r"\[weights\] up"):
        load_strategy(write(tmp_path, MINIMAL + "[weights]\nup = 1.5\n"))
    with pytest.raises(ConfigError, match="costs.commission"):
        load_strategy(write(tmp_path, MINIMAL + "[costs]\ncommission = 0.5\n"))
    with pytest.raises(ConfigError, match="frequency"):
        load_strategy(write(tmp_path, MINIMAL + "[rebalance]\nfrequency = \"monthly\"\n"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_strategy(write(tmp_path, MINIMAL + "[signal\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_strategy(tmp_path / "missing.toml")


def test_overrides_parse_toml_literals():
    raw = {"strategy": {"name": "t", "kind": "timing"}, "universe": {"symbols": ["562800"]}}
    out = apply_overrides(raw, ["costs.commission=0", "weights.range=0.25", "signal.inclusive=true",
                                "rotation.preferred=[2]", "signal.index=000985", 'benchmark.symbol="000300"'])
    assert out["costs"]["commission"] == 0 and out["weights"]["range"] == 0.25
    assert out["signal"]["inclusive"] is True and out["rotation"]["preferred"] == [2]
    assert out["signal"]["index"] == "000985"  # not a TOML literal: kept as a string
    assert out["benchmark"]["symbol"] == "000300"
    assert "costs" not in raw  # the input is not modified
    with pytest.warns(UserWarning, match=r"\[rotation\] is not read by a timing strategy; ignored"):
        s = parse_strategy(out)
    assert s.costs.commission == 0.0 and s.params["weights"].range == 0.25


def test_override_of_a_nonexistent_key_is_an_error():
    with pytest.raises(ConfigError, match=r"--set costs.comission: no such key"):
        apply_overrides({}, ["costs.comission=0"])
    with pytest.raises(ConfigError, match="no such key"):
        apply_overrides({}, ["nosection.key=1"])
    with pytest.raises(ConfigError, match="expected section.key=value"):
        apply_overrides({}, ["costs.commission"])


def test_override_with_a_wrong_type_is_reported_by_the_schema(tmp_path):
    with pytest.raises(ConfigError, match=r"\[signal\] short must be an integer"):
        load_strategy(write(tmp_path, MINIMAL), ["signal.short=abc"])


def test_schema_documented_in_readme():
    text = (STRATEGIES / "README.md").read_text(encoding="utf-8")
    for section, keys in schema().items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"`{key}`" in text, f"{section}.{key} is not documented"


def test_empty_universe_is_an_error(tmp_path):
    s = load_strategy(write(tmp_path, MINIMAL.replace('["562800"]', "[]")))
    with pytest.raises(ConfigError, match="universe is empty"):
        select_symbols(s)
    with pytest.raises(ConfigError, match="universe is empty"):
        run_strategy(s)


def test_window_before_the_data_starts_at_its_first_bar_and_after_it_is_an_error(caplog):
    with caplog.at_level("WARNING", logger="quantkit"):
        early = run_strategy(STRATEGIES / "ma_timing.toml", start="2015-01-05")
    assert early.start == pd.Timestamp("2021-09-27")  # 562800's first bar; no decision yet, so it waits in cash
    assert "window starts 2015-01-05, before the data (562800 data covers 2021-09-27" in caplog.text
    assert "starting at 2021-09-27" in caplog.text
    with pytest.raises(ConfigError, match="window ends 2015-06-30, before the data"):
        run_strategy(STRATEGIES / "ma_timing.toml", start="2015-01-05", end="2015-06-30")
    with pytest.raises(ConfigError, match="after the data"):
        run_strategy(STRATEGIES / "ma_timing.toml", end="2026-11-30")


def test_etf_override_and_its_limits():
    s = load_strategy(STRATEGIES / "ma_timing.toml")
    assert select_symbols(s, "sh560860") == ("560860",)
    with pytest.raises(ConfigError, match="--etf applies to timing and position"):
        select_symbols(load_strategy(STRATEGIES / "quadrant_rotation.toml"), "560860")


def test_weekly_schedule_decides_on_the_last_session_of_each_week():
    days = pd.DatetimeIndex(["2024-04-01", "2024-04-02", "2024-04-03",  # Thu 4th, Fri 5th: Qingming
                             "2024-04-08", "2024-04-12", "2024-04-15", "2024-04-16"])
    assert weekly_days(days).tolist() == [False, False, True, False, True, False, False]
    w = pd.DataFrame({"x": np.arange(len(days), dtype=float)}, index=days)
    out = schedule(w, "weekly")
    assert out["x"].notna().tolist() == weekly_days(days).tolist()
    assert schedule(w, "daily").equals(w)


def test_timing_weights_follow_the_regime():
    s = load_strategy(STRATEGIES / "ma_timing.toml")
    inputs = load_inputs(s.model, s.params, ("562800",))
    built = build_target_weights(s, inputs)
    w = built.weights["562800"]
    regime = built.frame["regime"]
    expected = regime.map({"up": 1.0, "range": 0.5, "down": 0.0}).astype(float)
    pd.testing.assert_series_equal(w, expected.reindex(w.index), check_names=False)
    assert w.iloc[:119].isna().all() and w.iloc[119:].notna().all()  # no decision before 120 bars


# --------------------------------------------------------------------------------------------
# no look-ahead: cutting bars after a date leaves the equity curve up to it unchanged
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, start, cutoff, end", [
    ("ma_timing", None, "2024-06-14", None),
    ("valuation_position", "2019-01-02", "2023-03-15", None),
    ("quadrant_rotation", "2025-10-08", "2025-12-10", "2026-01-30"),
])
def test_no_look_ahead(name, start, cutoff, end):
    path = STRATEGIES / f"{name}.toml"
    full = run_strategy(path, start=start, end=end)
    cut = run_strategy(path, start=start, end=cutoff)
    assert cut.end == pd.Timestamp(cutoff)
    assert len(full.trades) > len(cut.trades) > 0
    head = full.equity.loc[:cutoff]
    pd.testing.assert_series_equal(cut.equity, head, check_exact=True)
    pd.testing.assert_frame_equal(cut.positions, full.positions.loc[:cutoff], check_exact=True)
    t_full = full.trades[full.trades["date"] <= pd.Timestamp(cutoff)].reset_index(drop=True)
    pd.testing.assert_frame_equal(cut.trades, t_full)
