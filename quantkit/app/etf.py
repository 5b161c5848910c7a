"""ETF facts use cases: ``etf_info`` (one ETF) and ``etf_peers`` (the ETFs tracking the same index).

Everything comes from the stored data (``quantkit.data.etf_meta``): no network. Scale and flows
are CNY, shares fund units, tracking error an annualised decimal. Fees are not in any offline
source and are reported as ``"unknown"``, never estimated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

from quantkit.data import etf_meta
from quantkit.data.symbols import etf_symbol
from quantkit.display import number_or_none
from quantkit.errors import DataUnavailableError

FEE_UNKNOWN = "unknown"


def _day(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None or pd.isna(ts) else ts.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class EtfInfo:
    """What the stored data says about one ETF (None where unknown).

    ``shares``: latest shares outstanding (fund units), ``shares_official`` False when they are
    implied by volume / turnover; ``scale`` = shares × price on ``shares_date`` (CNY);
    ``flow_5d``/``flow_20d``: net creation (+) / redemption (−) over 5 / 20 sessions to
    ``flow_date`` (CNY); ``tracking_error``: annualised sd of ETF − index daily returns (decimal)
    over the last year both series share, ETF prices distribution-adjusted; ``fee``: "unknown".
    """

    code: str
    name: str
    company: str | None
    exchange: str | None
    index_code: str | None
    index_name: str | None
    shares: float | None
    shares_official: bool
    shares_date: str | None
    price: float | None
    scale: float | None
    flow_5d: float | None
    flow_20d: float | None
    flow_date: str | None
    prices_first_date: str | None
    prices_last_date: str | None
    tracking_error: float | None
    tracking_error_dates: str | None
    fee: str = FEE_UNKNOWN

    def to_dict(self) -> dict:
        return asdict(self)


def _tracking(code: str, index_code: str | None) -> tuple[float | None, str | None]:
    """Tracking error of ``code`` against ``index_code`` where both price series are stored."""
    from quantkit.data.api import load_prices

    if index_code is None:
        return None, None
    try:
        etf, index = load_prices(code)["close"], load_prices(index_code)["close"]
    except (DataUnavailableError, ValueError):
        return None, None
    te = etf_meta.tracking_error(etf, index)
    common = etf.index.intersection(index.index)[-(etf_meta.SESSIONS_PER_YEAR + 1):]
    return (None, None) if math.isnan(te) else (te, f"{_day(common[0])}..{_day(common[-1])}")


def etf_info(code: str) -> EtfInfo:
    """Name, company, tracked index, shares, scale, flows, data dates and tracking error of ``code``."""
    from quantkit.data.api import load_prices

    sym = etf_symbol(code).code
    row = etf_meta.meta_row(sym)
    try:
        bars = load_prices(sym)
    except DataUnavailableError:
        bars = None
    if row is None and bars is None:
        raise DataUnavailableError(f"{sym}: no ETF metadata, shares or prices stored")
    facts = etf_meta.share_facts(sym)
    index_code = etf_meta.tracked_index(sym)
    te, te_dates = _tracking(sym, index_code)
    name = (row["name"] if row is not None and row["name"] else "") or (bars.attrs.get("name", "") if bars is not None else "")

    def field(key: str) -> str | None:
        return None if row is None or pd.isna(row[key]) or row[key] in ("", None) else str(row[key])

    return EtfInfo(
        code=sym, name=name, company=field("company"), exchange=field("exchange"), index_code=index_code,
        index_name=field("index_name"), shares=number_or_none(facts.shares), shares_official=facts.official,
        shares_date=_day(facts.shares_date), price=number_or_none(facts.price), scale=number_or_none(facts.scale),
        flow_5d=number_or_none(facts.flow_5d), flow_20d=number_or_none(facts.flow_20d),
        flow_date=_day(facts.flow_date),
        prices_first_date=_day(bars.index[0]) if bars is not None and len(bars) else None,
        prices_last_date=_day(bars.index[-1]) if bars is not None and len(bars) else None,
        tracking_error=te, tracking_error_dates=te_dates)


@dataclass(frozen=True)
class Peers:
    """The ETFs tracking ``index_code`` (``code`` among them), largest scale first."""

    code: str
    index_code: str
    index_name: str | None
    peers: tuple[EtfInfo, ...]

    def to_dict(self) -> dict:
        return {"code": self.code, "index_code": self.index_code, "index_name": self.index_name,
                "peers": [p.to_dict() for p in self.peers]}


def etf_peers(code: str) -> Peers:
    """:func:`etf_info` of every ETF tracking the same index as ``code``, by scale (descending, unknown last)."""
    sym = etf_symbol(code).code
    index_code = etf_meta.tracked_index(sym)
    if index_code is None:
        raise DataUnavailableError(f"{sym}: tracked index unknown, so its peers are unknown")
    infos = [etf_info(c) for c in etf_meta.trackers(index_code)]
    infos.sort(key=lambda i: (i.scale is None, -(i.scale or 0.0), i.code))
    return Peers(sym, index_code, infos[0].index_name if infos else None, tuple(infos))
