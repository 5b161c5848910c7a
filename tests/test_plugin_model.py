"""A model added through the registry alone: the README's breakout example, run from a TOML file."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]

STRATEGY = """
[strategy]
name = "breakout"
kind = "breakout"
description = "562800 held while its close is above the previous 60-session high"

[universe]
symbols = ["562800"]

[breakout]
window = 60

[costs]
commission = 0.0
min_commission = 0.0
"""


@pytest.fixture(scope="module")
def breakout():
    """The example module of the README's "Extending quantkit" section, executed as written."""
    from quantkit.models.registry import MODELS, unregister

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Extending quantkit", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    module = types.ModuleType("breakout_example")
    sys.modules[module.__name__] = module
    exec(compile(code, "README.md#extending", "exec"), module.__dict__)
    assert MODELS["breakout"] is module.MODEL
    yield module
    unregister("breakout")
    del sys.modules[module.__name__]


def test_the_example_is_short():
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Extending quantkit", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len([ln for ln in code.splitlines() if ln.strip()]) <= 32


def test_a_registered_model_backtests_from_toml_with_its_report_section(breakout, tmp_path):
    from quantkit import load_prices, run_strategy, write_html

    path = tmp_path / "breakout.toml"
    path.write_text(STRATEGY, encoding="utf-8")
    result = run_strategy(path)
    assert result.kind == "breakout" and isinstance(result.model, breakout.Breakout)

    # the decisions, recomputed by a plain loop: 1 when the close beats the max of the 60 closes before it
    close = load_prices("562800")["close"].to_numpy()
    dates = load_prices("562800").index
    expected = pd.Series([float(close[i] > close[i - 60:i].max()) if i >= 60 else np.nan for i in range(len(close))],
                         index=dates)
    got = result.target_weights["562800"]
    assert result.start == dates[60]  # the window opens at the first decision
    pd.testing.assert_series_equal(got, expected.loc[got.index], check_names=False)
    held = result.weights["562800"] > 0
    assert 0 < held.mean() < 1 and len(result.trades) > 10

    html = write_html(result, tmp_path / "breakout.html").read_text(encoding="utf-8")
    assert 'id="breakout"' in html and 'id="chart-breakout-high"' in html
    assert "Breakout above the previous high" in html and "breakout.window" in html


def test_a_plugin_section_is_validated_like_the_built_in_ones(breakout, tmp_path):
    from quantkit.backtest import load_strategy
    from quantkit.errors import ConfigError

    path = tmp_path / "bad.toml"
    path.write_text(STRATEGY.replace("window = 60", 'window = "60"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[breakout\] window must be an integer"):
        load_strategy(path)
    path.write_text(STRATEGY.replace("window = 60", "windw = 60"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key \[breakout\] windw"):
        load_strategy(path)
    assert load_strategy(_ok(tmp_path)).params["breakout"].window == 60


def _ok(tmp_path: Path) -> Path:
    p = tmp_path / "ok.toml"
    p.write_text(STRATEGY, encoding="utf-8")
    return p
