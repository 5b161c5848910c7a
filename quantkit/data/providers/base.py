"""What every provider shares: the interface, our own timeout, bounded retries with backoff, throttling.

Providers return frames in the canonical schema (:mod:`quantkit.data.schema`); nothing above
``quantkit.data`` ever sees a provider's own column names. Network libraries are imported inside
the provider methods, never at module import time.
"""

from __future__ import annotations

import re
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


_REASONS = (  # (pattern over a failure's full text, short reason; \1 is the pattern's group)
    (re.compile(r"did not answer within ([\d.]+) s|(?:read|connect) timeout=([\d.]+)"), r"timeout after \1\2 s"),
    (re.compile(r"(?i)\btimed? ?out\b|Timeout"), "timeout"),
    (re.compile(r"\b([45]\d\d) (?:Client|Server) Error|HTTP Error ([45]\d\d)|status(?: code)?[ =:]+([45]\d\d)"),
     None),
    (re.compile(r"(?i)name ?resolution|name or service not known|getaddrinfo|no route to host|max retries exceeded"
                r"|connection ?(?:error|refused|reset|aborted)|network (?:is )?unreachable|network disabled"),
     "network unreachable"),
    (re.compile(r"(?i)returned no (?:rows|closes)|no rows for|no local file"), "no data"),
    (re.compile(r"(?i)not importable"), "library not installed"),
)


def short_reason(text: str) -> str:
    """One short reason for a provider failure's full text: ``network unreachable``, ``HTTP 404``,
    ``timeout after 10 s``, ``no data`` … (the text's first 60 characters when none applies)."""
    for pattern, reason in _REASONS:
        found = pattern.search(text)
        if found and reason is None:
            return "HTTP " + next(g for g in found.groups() if g)
        if found:
            return found.expand(reason)
    first = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return first if len(first) <= 60 else first[:59] + "…"


class ProvidersFailed(ProviderError):
    """Every provider failed for one request: ``str()`` is one short reason (per provider when
    they differ; ``no data`` only when no provider says more), ``detail`` every full message."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        self.detail = "; ".join(f"{name}: {text}" for name, text in failures) or "no provider configured"
        reasons = [(name, short_reason(text)) for name, text in failures]
        # "no data" is what a provider that hides its network errors (yfinance) says offline
        reasons = [r for r in reasons if r[1] != "no data"] or reasons
        if not reasons:
            summary = "no provider configured"
        elif len({r for _, r in reasons}) == 1:
            summary = reasons[0][1]
        else:
            summary = "; ".join(f"{name}: {reason}" for name, reason in reasons)
        super().__init__(summary)


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
