"""What every provider shares: the interface, our own timeout, bounded retries with backoff, throttling.

Providers return frames in the canonical schema (:mod:`quantkit.data.schema`); nothing above
``quantkit.data`` ever sees a provider's own column names. Network libraries are imported inside
the provider methods, never at module import time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Protocol, TypeVar

import pandas as pd

from quantkit.data.symbols import Symbol
from quantkit.errors import ProviderError

T = TypeVar("T")


@dataclass(frozen=True)
class CallPolicy:
    """How one provider call is guarded: seconds before we give up on a call, attempts in all,
    first backoff in seconds (doubled after each failure), and the minimum seconds between calls
    to the same service (East Money blocks bursts)."""

    timeout: float = 20.0
    attempts: int = 3
    backoff: float = 1.0
    min_interval: float = 0.5


class Throttle:
    """Spaces calls to one service at least ``min_interval`` seconds apart (thread-safe)."""

    def __init__(self, min_interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_interval = min_interval
        self._clock, self._sleep = clock, sleep
        self._last = -float("inf")
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            delay = self._last + self.min_interval - self._clock()
            if delay > 0:
                self._sleep(delay)
            self._last = self._clock()


def call_with_timeout(fn: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
    """Run ``fn(*args, **kwargs)`` in a daemon thread and raise :class:`TimeoutError` after
    ``timeout`` seconds (some akshare calls use ``requests`` without a timeout and can hang)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name=f"quantkit-call-{getattr(fn, '__name__', 'fn')}")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"{getattr(fn, '__name__', 'call')} did not answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


# Failures worth another attempt: network down (OSError and its subclasses, which include
# requests' ConnectionError and TimeoutError), and answers that were empty or garbled.
RETRYABLE: tuple[type[BaseException], ...] = (OSError, TimeoutError, ValueError, KeyError)


def guarded_call(
    fn: Callable[..., T],
    *args: Any,
    policy: CallPolicy,
    throttle: Throttle | None = None,
    what: str = "",
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> T:
    """Call ``fn`` under ``policy``: throttled, timed out, retried with exponential backoff.

    Raises :class:`ProviderError` (one line naming ``what`` and the last failure) once every
    attempt has failed.
    """
    delay = policy.backoff
    last: BaseException | None = None
    for attempt in range(1, policy.attempts + 1):
        if throttle is not None:
            throttle.wait()
        try:
            return call_with_timeout(fn, *args, timeout=policy.timeout, **kwargs)
        except RETRYABLE as exc:
            last = exc
            if attempt < policy.attempts:
                sleep(delay)
                delay *= 2
    reason = f"{type(last).__name__}: {last}".strip().splitlines()[0] if last else "unknown error"
    raise ProviderError(f"{what or getattr(fn, '__name__', 'call')} failed after {policy.attempts} attempts ({reason})")


class Provider(Protocol):
    """A source of daily bars in the canonical schema.

    ``daily`` returns a validated frame for ``[start, end]`` (inclusive; None = all available),
    forward-adjusted (``qfq``) unless ``adjust`` says otherwise, with ``attrs`` ``symbol``,
    ``adjustment``, ``source`` and ``fetched_at`` set. It raises :class:`ProviderError` when the
    service fails or returns nothing.
    """

    name: str

    def daily(self, symbol: Symbol, start: date | None = None, end: date | None = None,
              adjust: str = "qfq") -> pd.DataFrame: ...
