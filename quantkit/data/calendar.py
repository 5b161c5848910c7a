"""The trading calendar, derived from the data itself.

Exchange holiday tables (exchange_calendars' XSHG) end in 2026, so sessions are the dates on
which the data has bars (an ETF's own, or a universe's union of them).
Times are exchange time (Asia/Shanghai); a session counts as completed from the 15:00 close.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

import pandas as pd

from quantkit.errors import ConfigError, DataUnavailableError

EXCHANGE_TZ = "Asia/Shanghai"
MARKET_CLOSE = time(15, 0)


def today() -> date:
    """The machine's local date (tests replace it to pin the clock)."""
    return date.today()


def parse_date(value: Any, what: str = "date") -> pd.Timestamp | None:
    """A user-supplied date as a tz-naive midnight Timestamp (None stays None); one-line
    :class:`ConfigError` naming ``what`` and the bad value otherwise."""
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise ConfigError(f"{what} {value!r} is not a date: use YYYY-MM-DD, e.g. 2025-12-31")
    return (ts.tz_localize(None) if ts.tzinfo else ts).normalize()


def last_completed_session(dates: pd.DatetimeIndex, now: datetime | None = None) -> pd.Timestamp:
    """The last of ``dates`` whose session has closed: a bar dated today (Shanghai) counts from 15:00 on."""
    from zoneinfo import ZoneInfo

    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(EXCHANGE_TZ))
    cutoff = pd.Timestamp(local.date())
    if local.time() < MARKET_CLOSE:
        cutoff -= pd.Timedelta(days=1)
    done = dates[dates <= cutoff]
    if len(done) == 0:
        raise DataUnavailableError(f"no completed session in the data (first bar {dates[0].date()})")
    return done[-1]


def session_on_or_before(dates: pd.DatetimeIndex, as_of: Any, *, whose: str, fetch_hint: str) -> pd.Timestamp:
    """The last of ``dates`` on or before the user's ``--as-of`` date.

    Errors name the problem in one line: not a date, a future date, before ``whose`` data starts,
    or after its last bar (then ``fetch_hint`` says what to run).
    """
    ts = parse_date(as_of, "--as-of")
    if ts > pd.Timestamp(today()):
        raise ConfigError(f"--as-of {ts.date()} is in the future (today is {today()})")
    if ts < dates[0]:
        raise DataUnavailableError(f"--as-of {ts.date()} is before {whose} data starts ({dates[0].date()})")
    if ts > dates[-1]:
        raise DataUnavailableError(f"--as-of {ts.date()} is after the last bar of {whose} data "
                                   f"({dates[-1].date()}): {fetch_hint}")
    return dates[dates <= ts][-1]
