"""Symbol normalisation: ``560860`` ⇄ ``sh560860`` ⇄ ``560860.SH`` ⇄ ``560860.SS`` are one ETF.

A :class:`Symbol` is the canonical identity of an instrument: a six-character code, the exchange
or publisher it belongs to, and its kind (``etf`` or ``index``). Exchanges are inferred from the
code; nothing here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from quantkit.errors import SymbolError

_PREFIXES = ("sh", "sz", "bj")
_SUFFIXES = {
    "SH": "SSE", "SS": "SSE", "SZ": "SZSE", "CSI": "CSI", "SI": "SW", "WI": "WIND", "BJ": "BSE",
}
_CODE = re.compile(r"^(?:[0-9]{6}|H[0-9]{5})$")  # ASCII digits only: \d also matches ５ and ٥
_HELP = "use a 6-digit code such as 560860, sh560860, 560860.SH or 560860.SS"


@dataclass(frozen=True, order=True)
class Symbol:
    """A normalised instrument code.

    ``code`` is the bare six-character code (``560860``, ``000985``, ``H30184``); ``exchange`` is
    ``SSE``/``SZSE`` for listed funds and for index codes quoted there, ``CSI``, ``SW`` or ``WIND``
    for indices published by those houses; ``kind`` is ``etf`` or ``index``.
    """

    code: str
    exchange: str
    kind: str

    def __str__(self) -> str:
        return self.code

    @property
    def prefixed(self) -> str:
        """Sina/East Money style: ``sh560860``, ``sz159915``."""
        return {"SSE": "sh", "SZSE": "sz"}.get(self.exchange, "sh") + self.code

    @property
    def yahoo(self) -> str:
        """Yahoo Finance ticker: ``562800.SS`` (Shanghai), ``159915.SZ`` (Shenzhen)."""
        return self.code + (".SZ" if self.exchange == "SZSE" else ".SS")


def _classify(code: str) -> tuple[str, str] | None:
    """(exchange, kind) inferred from a bare code, or None when the code names nothing we know."""
    if code.startswith("H") or code[:2] == "93":
        return "CSI", "index"
    head2, head3 = code[:2], code[:3]
    if head2 in ("51", "52", "56", "58"):  # Shanghai ETFs (588xxx: STAR-market ETFs)
        return "SSE", "etf"
    if head2 == "15":  # Shenzhen ETFs
        return "SZSE", "etf"
    if head3 in ("000", "950"):  # SSE/CSI index codes (000300, 000985, 000905 …)
        return "SSE", "index"
    if head3 == "399":
        return "SZSE", "index"
    if head3 in ("801", "850", "857"):  # 申万 (Shenwan) industry indices
        return "SW", "index"
    if head3 in ("881", "882", "884", "885", "886"):  # Wind indices (881001 万得全A)
        return "WIND", "index"
    return None


def normalize_symbol(raw: str | int | Symbol) -> Symbol:
    """Parse any common spelling of a code into a :class:`Symbol`.

    Accepts ``560860``, ``sh560860``, ``SH560860``, ``560860.SH``, ``560860.SS``, ``159915.SZ``,
    ``000985.CSI``, ``801010.SI``, ``881001.WI``. Raises :class:`SymbolError` for a malformed code
    (``56O860``) or one that is neither an ETF nor a known index family (``999999``).
    """
    if isinstance(raw, Symbol):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = f"{raw:06d}"
    if not isinstance(raw, str):
        raise SymbolError(f"symbol must be a string such as '560860', got {type(raw).__name__}")
    text = raw.strip()
    if not text.isascii():
        ascii_text = unicodedata.normalize("NFKC", text)
        hint = f"type {ascii_text}" if ascii_text.isascii() else "use ASCII digits 0-9, e.g. 560860"
        raise SymbolError(f"malformed symbol {raw!r}: not ASCII (full-width digits?); {hint}")
    suffix_exchange = None
    if "." in text:
        text, _, suffix = text.rpartition(".")
        suffix_exchange = _SUFFIXES.get(suffix.upper())
        if suffix_exchange is None:
            raise SymbolError(f"malformed symbol {raw!r}: unknown suffix '.{suffix}'; {_HELP}")
    elif text[:2].lower() in _PREFIXES and len(text) == 8:
        suffix_exchange = {"sh": "SSE", "sz": "SZSE", "bj": "BSE"}[text[:2].lower()]
        text = text[2:]
    code = text.upper()
    if not _CODE.match(code):
        raise SymbolError(f"malformed symbol {raw!r}: {_HELP}")
    found = _classify(code)
    if found is None:
        raise SymbolError(
            f"unknown code {code}: not an A-share ETF (51/52/56/58xxxx Shanghai, 15xxxx Shenzhen) "
            "nor a known index family (000xxx, 399xxx, 93xxxx/Hxxxxx CSI, 801xxx SW, 881xxx Wind)"
        )
    exchange, kind = found
    if suffix_exchange in ("SSE", "SZSE") and kind == "etf" and suffix_exchange != exchange:
        raise SymbolError(f"symbol {raw!r}: {code} is listed on {exchange}, not {suffix_exchange}")
    return Symbol(code=code, exchange=exchange, kind=kind)


def etf_symbol(raw: str | int | Symbol) -> Symbol:
    """:func:`normalize_symbol` for places that need a tradable ETF: an index code is refused."""
    sym = normalize_symbol(raw)
    if sym.kind != "etf":
        raise SymbolError(f"{sym.code} is an index, not an ETF: trade or rank ETFs (e.g. 560860); "
                          "indices go to --index / [signal] index")
    return sym
