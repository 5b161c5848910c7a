"""The trading calendar, derived from the data itself.

Exchange holiday tables (exchange_calendars' XSHG) end in 2026, so sessions are the dates on
which the data has bars (an ETF's own, or a universe's union of them).
Times are exchange time (Asia/Shanghai); a session counts as completed from the 15:00 close.

"Now" comes from one clock, :func:`now`: the machine's time, or the instant that the environment
variable ``QUANTKIT_NOW`` pins (``YYYY-MM-DD`` = that day after the close, or an ISO date-time), so
that a report can be rerun as on a given day and tests do not depend on the day they run.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from typing import Any

import pandas as pd

from quantkit.errors import ConfigError, DataUnavailableError

EXCHANGE_TZ = "Asia/Shanghai"
MARKET_CLOSE = time(15, 0)
CLOCK_ENV = "QUANTKIT_NOW"
_PINNED_TIME = time(18, 0)  # a pinned day without a time: after that day's close


def now() -> datetime:
    """The current instant (timezone-aware): ``QUANTKIT_NOW`` when set, else the machine's clock.

    A date alone stands for 18:00 exchange time that day; a date-time without an offset is
    exchange time. A value that is not a date is a :class:`ConfigError`."""
    pinned = os.environ.get(CLOCK_ENV, "").strip()
    if not pinned:
        return datetime.now(timezone.utc)
    from zoneinfo import ZoneInfo

    try:
        moment = datetime.combine(date.fromisoformat(pinned), _PINNED_TIME)
    except ValueError:
        try:
            moment = datetime.fromisoformat(pinned)
        except ValueError:
            raise ConfigError(f"{CLOCK_ENV}={pinned!r} is not a date: use YYYY-MM-DD or an ISO date-time, "
                              "or unset it to use the machine's clock") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(EXCHANGE_TZ))


def today() -> date:
    """Today's date on the clock of :func:`now`, in the machine's local time zone."""
    return now().astimezone().date()


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


def last_completed_session(dates: pd.DatetimeIndex, at: datetime | None = None) -> pd.Timestamp:
    """The last of ``dates`` whose session has closed at ``at`` (default :func:`now`): a bar dated
    today (Shanghai) counts from 15:00 on."""
    from zoneinfo import ZoneInfo

    local = (at or now()).astimezone(ZoneInfo(EXCHANGE_TZ))
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
