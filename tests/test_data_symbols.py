import pytest

from quantkit.data.symbols import normalize_symbol
from quantkit.errors import SymbolError


@pytest.mark.parametrize("raw", ["560860", "sh560860", "SH560860", "560860.SH", "560860.SS", " 560860 ", 560860])
def test_spellings_of_one_shanghai_etf(raw):
    sym = normalize_symbol(raw)
    assert (sym.code, sym.exchange, sym.kind) == ("560860", "SSE", "etf")
    assert sym.yahoo == "560860.SS" and sym.prefixed == "sh560860"


@pytest.mark.parametrize("raw, code, exchange, kind", [
    ("159915.SZ", "159915", "SZSE", "etf"), ("sz159915", "159915", "SZSE", "etf"),
    ("588000", "588000", "SSE", "etf"), ("000985", "000985", "SSE", "index"),
    ("000985.CSI", "000985", "SSE", "index"), ("H30184", "H30184", "CSI", "index"),
    ("930713", "930713", "CSI", "index"), ("801010.SI", "801010", "SW", "index"),
    ("881001.WI", "881001", "WIND", "index"), ("399006", "399006", "SZSE", "index"),
])
def test_exchange_and_kind_inferred_from_code(raw, code, exchange, kind):
    sym = normalize_symbol(raw)
    assert (sym.code, sym.exchange, sym.kind) == (code, exchange, kind)


@pytest.mark.parametrize("raw, words", [
    ("56O860", "malformed symbol '56O860'"), ("5608600", "malformed"), ("", "malformed"),
    ("560860.XX", "unknown suffix"), ("999999", "unknown code 999999"), ("159915.SS", "listed on SZSE"),
])
def test_bad_codes_get_one_clear_line(raw, words):
    with pytest.raises(SymbolError) as err:
        normalize_symbol(raw)
    assert words in str(err.value) and "\n" not in str(err.value)
