"""Errors that mean "the input or the environment is wrong", shown to users as one line.

Anything raised as a :class:`QuantkitError` is an expected failure: the CLI prints its message
(no traceback) and exits non-zero. Every other exception is a bug.
"""

from __future__ import annotations


class QuantkitError(Exception):
    """Base class of expected, user-facing errors; ``str(err)`` is the one-line message."""

    exit_code = 2


class SymbolError(QuantkitError, ValueError):
    """A code that is malformed or names nothing quantkit knows."""


class DataValidationError(QuantkitError, ValueError):
    """A price frame that breaks the canonical schema (names symbol, row and rule)."""


class DataUnavailableError(QuantkitError):
    """No provider, cache or snapshot can supply the requested data."""

    exit_code = 3


class ProviderError(QuantkitError):
    """One provider failed (network down, timeout, empty answer); others may still succeed."""

    exit_code = 3


class ConfigError(QuantkitError, ValueError):
    """A bad parameter, strategy file key, or command-line option."""
