"""Named ETF universes of the snapshot.

``THEME_ETFS`` is the default rotation universe: the theme and industry ETFs (主题/行业ETF) of
the snapshot — broad-market, style, bond, gold and overseas ETFs are left out, as in the
research the rotation model comes from. Codes with the same theme (two 芯片ETF, two 电力ETF, three
有色 ETFs) are all kept: the selection rule prefers larger scale among them.
"""

from __future__ import annotations

THEME_ETFS: tuple[str, ...] = (
    "159611", "159766", "159819", "159825", "159870", "159881", "159928", "159980", "159995",
    "512000", "512010", "512170", "512200", "512400", "512480", "512660", "512690", "512720",
    "512760", "512800", "512880", "512980", "513050", "515030", "515050", "515210", "515220",
    "515790", "515880", "516010", "516150", "516160", "560860", "561560", "562800",
)

BROAD_ETFS: tuple[str, ...] = (
    "510050", "510300", "510500", "512100", "159845", "563300", "159915", "159949", "588000",
)

UNIVERSES: dict[str, tuple[str, ...]] = {"theme": THEME_ETFS, "broad": BROAD_ETFS}


def universe(name: str) -> tuple[str, ...]:
    """The codes of a named universe (``theme`` or ``broad``)."""
    from quantkit.errors import ConfigError

    try:
        return UNIVERSES[name]
    except KeyError:
        raise ConfigError(f"unknown universe {name!r}: choose one of {', '.join(UNIVERSES)}") from None
